/**
 * The credential chain: where the provider's own identity (the "caller") comes from.
 *
 * Tried in this order, first match wins (the settings Yandex users already have):
 *
 * 1. Stack config `yandex:token` / `yandex:serviceAccountKeyFile`, the keys the Pulumi Yandex
 *    provider uses, handed in by the provider's `configure` as a plain object.
 * 2. Environment `YC_TOKEN` / `YC_SERVICE_ACCOUNT_KEY_FILE`, as the Terraform provider reads them.
 * 3. The `yc` CLI's active profile in `<home>/.config/yandex-cloud/config.yaml`
 *    (`token`, `service-account-key` or `instance-service-account: true`).
 * 4. The instance metadata service of a Yandex Compute VM (`169.254.169.254`, or `YC_METADATA_ADDR`).
 *
 * A token is an IAM token, used as-is, when it starts with `t1.` and has exactly two dots;
 * otherwise it is an OAuth token to exchange. A key file setting is a path or the JSON itself.
 * Setting both a token and a key file at one level is an error (which one was meant is unknowable).
 *
 * The IAM endpoint comes from stack config `yandex:iamEndpoint`, else `YC_IAM_ENDPOINT`, else the
 * `endpoint` of the yc profile the credentials came from (`api.<domain>` -> `https://iam.api.<domain>`),
 * else `https://iam.api.cloud.yandex.net`. Stack config wins over the environment, like the
 * credentials: it is the more specific, per-stack setting. A CA certificate for https to a
 * self-signed endpoint (an emulator) is read from the PEM file named by `yandex:iamCaCertFile`,
 * else `YC_IAM_CA_CERT_FILE`.
 *
 * Nothing here touches the network: the metadata step only yields an address; whether a metadata
 * service answers there is found out by the session on first use.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CredentialsError, describeForeignError } from "./errors";
import { type AuthorizedKey, DEFAULT_IAM_ENDPOINT, authorizedKeyFromObject, parseAuthorizedKey } from "./jwt";
import { validateIamBaseUrl } from "./apiClient";

/** Stack config keys read by the chain. */
export const STACK_CONFIG_KEYS = Object.freeze({
  token: "yandex:token",
  serviceAccountKeyFile: "yandex:serviceAccountKeyFile",
  iamEndpoint: "yandex:iamEndpoint",
  iamCaCertFile: "yandex:iamCaCertFile",
});

/** Environment variables read by the chain. */
export const ENV_VARS = Object.freeze({
  token: "YC_TOKEN",
  serviceAccountKeyFile: "YC_SERVICE_ACCOUNT_KEY_FILE",
  iamEndpoint: "YC_IAM_ENDPOINT",
  iamCaCertFile: "YC_IAM_CA_CERT_FILE",
  metadataAddr: "YC_METADATA_ADDR",
});

/** The metadata service's default address (host[:port]). */
export const DEFAULT_METADATA_ADDR = "169.254.169.254";

/** A caller credential found by the chain. `source` describes where, without any secret. */
export type ResolvedCredential =
  | { kind: "iamToken"; iamToken: string; source: string }
  | { kind: "oauthToken"; oauthToken: string; source: string }
  | { kind: "serviceAccountKey"; key: AuthorizedKey; source: string }
  | { kind: "metadata"; metadataBaseUrl: string; source: string; fallback: boolean };

/** The outcome of {@link resolveCredentialChain}. */
export interface ResolvedChain {
  /** The caller credential. */
  credential: ResolvedCredential;
  /** The validated IAM base URL. */
  endpoint: string;
  /** Where the endpoint came from (e.g. `"environment YC_IAM_ENDPOINT"`, `"default"`). */
  endpointSource: string;
  /** A PEM CA certificate to trust for https, when configured. */
  caCertPem?: string;
  /** Every place looked at, in order, with what was found (for the "nothing found" error). */
  tried: string[];
}

/** Inputs of {@link resolveCredentialChain}; everything injected so tests need no real HOME or env. */
export interface CredentialChainInput {
  /** Stack config as a plain object keyed `yandex:token`, `yandex:serviceAccountKeyFile`, ... */
  stackConfig: Record<string, string | undefined>;
  /** The environment (normally `process.env`). */
  env: NodeJS.ProcessEnv;
  /** The home directory holding `.config/yandex-cloud/config.yaml`. */
  homeDir: string;
  /** Reads a UTF-8 file (default fs.readFileSync). */
  readFile?: (filePath: string) => string;
}

/**
 * How a `YC_TOKEN` / `yandex:token` value is used: `"iamToken"` when it starts with `t1.` and has
 * exactly two dots (the Terraform provider's rule), otherwise `"oauthToken"`.
 */
export function classifyYcToken(value: string): "iamToken" | "oauthToken" {
  const token = value.trim();
  return token.startsWith("t1.") && token.split(".").length === 3 ? "iamToken" : "oauthToken";
}

/** Path of the yc CLI config under a home directory. */
export function ycConfigPath(homeDir: string): string {
  return path.join(homeDir, ".config", "yandex-cloud", "config.yaml");
}

const defaultReadFile = (filePath: string): string => fs.readFileSync(filePath, "utf8");

function nonEmpty(value: string | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * Loads an authorized key from a setting that is either a path (`~/` expanded) or the JSON
 * content itself (a value starting with `{`).
 *
 * @param settingName - how the setting is named in errors, e.g. `"YC_SERVICE_ACCOUNT_KEY_FILE"`
 * @throws CredentialsError (naming the setting and the path, never the key)
 */
export function loadServiceAccountKey(
  value: string,
  settingName: string,
  homeDir: string,
  readFile: (filePath: string) => string = defaultReadFile,
): AuthorizedKey {
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) return parseAuthorizedKey(trimmed, `${settingName} (inline JSON)`);
  const filePath = trimmed.startsWith("~/") ? path.join(homeDir, trimmed.slice(2)) : trimmed;
  let text: string;
  try {
    text = readFile(filePath);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === "ENOENT" ? "the file does not exist" : describeForeignError(error);
    throw new CredentialsError(
      `${settingName} names the key file ${filePath}, which cannot be read: ${reason}. Set it to the path of an authorized key file (\`yc iam key create --output key.json\`) or to the file's JSON content.`,
    );
  }
  return parseAuthorizedKey(text, `${settingName} (${filePath})`);
}

/** Everything needed to pick a credential at one level of the chain. */
interface LevelSettings {
  /** e.g. `"stack config"`. */
  levelName: string;
  tokenName: string;
  token?: string;
  keyName: string;
  keyValue?: string;
  /** A key already parsed into an object (yc profile inline key). */
  keyObject?: unknown;
  instanceServiceAccount?: boolean;
  instanceName?: string;
}

function credentialAtLevel(
  level: LevelSettings,
  input: CredentialChainInput,
  metadataBaseUrl: string,
): ResolvedCredential | undefined {
  const readFile = input.readFile ?? defaultReadFile;
  const set: string[] = [];
  if (level.token !== undefined) set.push(level.tokenName);
  if (level.keyValue !== undefined || level.keyObject !== undefined) set.push(level.keyName);
  if (level.instanceServiceAccount) set.push(level.instanceName ?? "instance-service-account");
  if (set.length > 1) {
    throw new CredentialsError(
      `${level.levelName}: ${set.join(" and ")} are both set; set only one of them (a token or a service account key file) so it is clear which identity to use.`,
    );
  }
  if (level.token !== undefined) {
    const kind = classifyYcToken(level.token);
    const source = `${level.levelName} ${level.tokenName} (${kind === "iamToken" ? "IAM token" : "OAuth token"})`;
    return kind === "iamToken"
      ? { kind, iamToken: level.token, source }
      : { kind, oauthToken: level.token, source };
  }
  if (level.keyObject !== undefined) {
    const key = authorizedKeyFromObject(level.keyObject, `${level.levelName} ${level.keyName}`);
    return { kind: "serviceAccountKey", key, source: `${level.levelName} ${level.keyName} (key ${key.id})` };
  }
  if (level.keyValue !== undefined) {
    const key = loadServiceAccountKey(
      level.keyValue,
      `${level.levelName} ${level.keyName}`,
      input.homeDir,
      readFile,
    );
    return { kind: "serviceAccountKey", key, source: `${level.levelName} ${level.keyName} (key ${key.id})` };
  }
  if (level.instanceServiceAccount) {
    return {
      kind: "metadata",
      metadataBaseUrl,
      source: `${level.levelName} ${level.instanceName} (instance metadata service at ${metadataBaseUrl})`,
      fallback: false,
    };
  }
  return undefined;
}

/** What the yc CLI's active profile holds, as far as the chain cares. */
interface YcProfile {
  name: string;
  token?: string;
  keyObject?: unknown;
  instanceServiceAccount: boolean;
  endpoint?: string;
}

/**
 * Reads the yc CLI's active profile. Returns a description instead when there is nothing usable
 * (no file, no such profile, a federated profile). Parse errors only give the line number: a
 * YAML error's excerpt could quote a token.
 */
function readYcProfile(configPath: string, readFile: (p: string) => string): YcProfile | string {
  let text: string;
  try {
    text = readFile(configPath);
  } catch (error) {
    return (error as { code?: unknown }).code === "ENOENT" ? "file not found" : "file not readable";
  }
  let doc: unknown;
  try {
    // Loaded here, not at module top level: the provider module is serialized by Pulumi and
    // should reach libraries only through calls.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const yaml = require("js-yaml") as typeof import("js-yaml");
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

/**
 * The IAM base URL for a yc `endpoint` (`api.<domain>[:443]`, the gRPC API gateway): the REST IAM
 * API lives at `https://iam.api.<domain>`. A full URL is taken as the IAM base URL itself.
 * Returns undefined for forms that cannot be mapped.
 */
export function iamEndpointFromYcEndpoint(endpoint: string): string | undefined {
  if (endpoint.includes("://")) return endpoint;
  const match = /^(api\.[A-Za-z0-9.-]+?)(?::443)?$/.exec(endpoint);
  return match ? `https://iam.${match[1]}` : undefined;
}

/** The metadata service base URL from `YC_METADATA_ADDR` (host[:port], or a URL) or the default. */
export function metadataBaseUrl(env: NodeJS.ProcessEnv): string {
  const addr = nonEmpty(env[ENV_VARS.metadataAddr]) ?? DEFAULT_METADATA_ADDR;
  return (addr.includes("://") ? addr : `http://${addr}`).replace(/\/+$/, "");
}

/**
 * Walks the chain (see the module comment) and returns the first credential found, the endpoint,
 * and the list of places looked at. Reads files but never the network.
 *
 * @throws CredentialsError on conflicting settings, unreadable/invalid key files, an invalid
 *   endpoint or CA file, or a yc config that is not YAML
 */
export function resolveCredentialChain(input: CredentialChainInput): ResolvedChain {
  const { stackConfig, env } = input;
  const readFile = input.readFile ?? defaultReadFile;
  const metadataUrl = metadataBaseUrl(env);
  const tried: string[] = [];

  let credential: ResolvedCredential | undefined = credentialAtLevel(
    {
      levelName: "stack config",
      tokenName: STACK_CONFIG_KEYS.token,
      token: nonEmpty(stackConfig[STACK_CONFIG_KEYS.token]),
      keyName: STACK_CONFIG_KEYS.serviceAccountKeyFile,
      keyValue: nonEmpty(stackConfig[STACK_CONFIG_KEYS.serviceAccountKeyFile]),
    },
    input,
    metadataUrl,
  );
  tried.push(
    `stack config ${STACK_CONFIG_KEYS.token} / ${STACK_CONFIG_KEYS.serviceAccountKeyFile}: ${credential ? "found" : "not set"}`,
  );

  if (!credential) {
    credential = credentialAtLevel(
      {
        levelName: "environment",
        tokenName: ENV_VARS.token,
        token: nonEmpty(env[ENV_VARS.token]),
        keyName: ENV_VARS.serviceAccountKeyFile,
        keyValue: nonEmpty(env[ENV_VARS.serviceAccountKeyFile]),
      },
      input,
      metadataUrl,
    );
    tried.push(
      `environment ${ENV_VARS.token} / ${ENV_VARS.serviceAccountKeyFile}: ${credential ? "found" : "not set"}`,
    );
  }

  let profileEndpoint: { url: string; profile: string } | undefined;
  if (!credential) {
    const configPath = ycConfigPath(input.homeDir);
    const profile = readYcProfile(configPath, readFile);
    if (typeof profile === "string") {
      tried.push(`yc CLI config ${configPath}: ${profile}`);
    } else {
      const levelName = `yc CLI profile "${profile.name}" (${configPath})`;
      credential = credentialAtLevel(
        {
          levelName,
          tokenName: "token",
          token: profile.token,
          keyName: "service-account-key",
          keyObject: profile.keyObject,
          instanceServiceAccount: profile.instanceServiceAccount,
          instanceName: "instance-service-account",
        },
        input,
        metadataUrl,
      );
      tried.push(
        `${levelName}: ${credential ? "found" : "no token, service-account-key or instance-service-account (federated profiles are not supported)"}`,
      );
      if (credential && profile.endpoint) {
        const mapped = iamEndpointFromYcEndpoint(profile.endpoint);
        if (mapped) profileEndpoint = { url: mapped, profile: profile.name };
      }
    }
  }

  if (!credential) {
    credential = {
      kind: "metadata",
      metadataBaseUrl: metadataUrl,
      source: `instance metadata service at ${metadataUrl}${nonEmpty(env[ENV_VARS.metadataAddr]) ? ` (${ENV_VARS.metadataAddr})` : ""}`,
      fallback: true,
    };
  }

  const { endpoint, endpointSource } = resolveEndpoint(stackConfig, env, profileEndpoint);
  const caCertPem = resolveCaCert(stackConfig, env, input.homeDir, readFile);
  return { credential, endpoint, endpointSource, caCertPem, tried };
}

function resolveEndpoint(
  stackConfig: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
  profileEndpoint: { url: string; profile: string } | undefined,
): { endpoint: string; endpointSource: string } {
  const fromStack = nonEmpty(stackConfig[STACK_CONFIG_KEYS.iamEndpoint]);
  if (fromStack) {
    return {
      endpoint: validateIamBaseUrl(fromStack, `stack config ${STACK_CONFIG_KEYS.iamEndpoint}`),
      endpointSource: `stack config ${STACK_CONFIG_KEYS.iamEndpoint}`,
    };
  }
  const fromEnv = nonEmpty(env[ENV_VARS.iamEndpoint]);
  if (fromEnv) {
    return {
      endpoint: validateIamBaseUrl(fromEnv, `environment ${ENV_VARS.iamEndpoint}`),
      endpointSource: `environment ${ENV_VARS.iamEndpoint}`,
    };
  }
  if (profileEndpoint) {
    const what = `yc CLI profile "${profileEndpoint.profile}" endpoint`;
    return { endpoint: validateIamBaseUrl(profileEndpoint.url, what), endpointSource: what };
  }
  return { endpoint: DEFAULT_IAM_ENDPOINT, endpointSource: "default" };
}

function resolveCaCert(
  stackConfig: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
  homeDir: string,
  readFile: (p: string) => string,
): string | undefined {
  const setting = nonEmpty(stackConfig[STACK_CONFIG_KEYS.iamCaCertFile])
    ? {
        name: `stack config ${STACK_CONFIG_KEYS.iamCaCertFile}`,
        value: nonEmpty(stackConfig[STACK_CONFIG_KEYS.iamCaCertFile])!,
      }
    : nonEmpty(env[ENV_VARS.iamCaCertFile])
      ? { name: `environment ${ENV_VARS.iamCaCertFile}`, value: nonEmpty(env[ENV_VARS.iamCaCertFile])! }
      : undefined;
  if (!setting) return undefined;
  const filePath = setting.value.startsWith("~/")
    ? path.join(homeDir, setting.value.slice(2))
    : setting.value;
  let pem: string;
  try {
    pem = readFile(filePath);
  } catch (error) {
    throw new CredentialsError(
      `${setting.name} names ${filePath}, which cannot be read: ${describeForeignError(error)}.`,
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CredentialsError(`${setting.name} names ${filePath}, which holds no PEM certificate.`);
  }
  return pem;
}
