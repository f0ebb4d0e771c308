/**
 * The yc CLI's configuration: which profile is active and what it holds, as far as the credential
 * chain cares. Parse errors give only a line number: a YAML error's excerpt could quote a token.
 */
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CredentialsError } from "./errors";
import { nonEmpty } from "./settings";
import { type ReadFile, SettingFileError, isMissingFile } from "./settingFiles";

/** What the yc CLI's active profile holds. */
export interface YcProfile {
  /** The profile's name (`current:` in the config, else `default`). */
  name: string;
  /** `token`: an OAuth or IAM token. */
  token?: string;
  /** `service-account-key`: an authorized key, already parsed from YAML (or from a JSON string). */
  keyObject?: unknown;
  /** `instance-service-account: true`: use the VM's service account. */
  instanceServiceAccount: boolean;
  /** `endpoint`: the API gateway (`api.cloud.yandex.net:443`). */
  endpoint?: string;
}

/** Path of the yc CLI config under a home directory. */
export function ycConfigPath(homeDir: string): string {
  return path.join(homeDir, ".config", "yandex-cloud", "config.yaml");
}

/**
 * Reads the yc CLI's active profile. Returns a description instead when there is nothing usable
 * (no file, no such profile).
 *
 * @throws CredentialsError when the file is not YAML or its key is neither a mapping nor JSON
 */
export function readYcProfile(configPath: string, readFile: ReadFile): YcProfile | string {
  let text: string;
  try {
    text = readFile(configPath);
  } catch (error) {
    if (isMissingFile(error)) return "file not found";
    return error instanceof SettingFileError ? `file not usable: ${error.message}` : "file not readable";
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (error) {
    const line = (error as { mark?: { line?: unknown } }).mark?.line;
    throw new CredentialsError(
      `The yc CLI config ${configPath} is not valid YAML${typeof line === "number" ? ` (near line ${line + 1})` : ""}. Fix it with \`yc config profile list\` / \`yc init\`, or configure credentials explicitly.`,
    );
  }
  if (typeof doc !== "object" || doc === null) return "empty or not a mapping";
  const root = doc as { current?: unknown; profiles?: unknown };
  const name = typeof root.current === "string" && root.current !== "" ? root.current : "default";
  const profiles =
    typeof root.profiles === "object" && root.profiles !== null
      ? (root.profiles as Record<string, unknown>)
      : {};
  const profile = profiles[name];
  if (typeof profile !== "object" || profile === null) return `no profile "${name}"`;
  const p = profile as Record<string, unknown>;
  let keyObject: unknown = p["service-account-key"];
  if (typeof keyObject === "string") {
    try {
      keyObject = JSON.parse(keyObject);
    } catch {
      throw new CredentialsError(
        `The yc CLI config ${configPath}, profile "${name}": service-account-key is neither a mapping nor JSON.`,
      );
    }
  }
  return {
    name,
    token: typeof p.token === "string" ? nonEmpty(p.token) : undefined,
    keyObject: keyObject === undefined || keyObject === null ? undefined : keyObject,
    instanceServiceAccount:
      p["instance-service-account"] === true || p["instance-service-account"] === "true",
    endpoint: typeof p.endpoint === "string" ? nonEmpty(p.endpoint) : undefined,
  };
}
