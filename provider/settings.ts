/**
 * The settings the provider reads, by name, and how a setting is looked up: stack config first
 * (the more specific, per-stack setting), then the environment. Setting names appear in every
 * message about them, so a user always knows which one to change.
 */
import { DEFAULT_IAM_ENDPOINT, metadataBaseUrl, validateIamBaseUrl } from "./endpoints";
import { CredentialsError } from "./errors";
import { describeForeignError } from "./redaction";
import { type ReadFile, expandHome } from "./settingFiles";

/** Stack config keys read by the provider. */
export const STACK_CONFIG_KEYS = Object.freeze({
  /** An OAuth token or an IAM token (the Yandex provider's own key). */
  token: "yandex:token",
  /** The path or the JSON content of an authorized key file (the Yandex provider's own key). */
  serviceAccountKeyFile: "yandex:serviceAccountKeyFile",
  /** The IAM API's base URL. */
  iamEndpoint: "yandex:iamEndpoint",
  /** A PEM file of CA certificates to trust for https to the IAM endpoint. */
  iamCaCertFile: "yandex:iamCaCertFile",
});

/** Environment variables read by the provider. */
export const ENV_VARS = Object.freeze({
  /** An OAuth token or an IAM token, as the Terraform provider reads it. */
  token: "YC_TOKEN",
  /** The path or the JSON content of an authorized key file, as the Terraform provider reads it. */
  serviceAccountKeyFile: "YC_SERVICE_ACCOUNT_KEY_FILE",
  /** The IAM API's base URL. */
  iamEndpoint: "YC_IAM_ENDPOINT",
  /** A PEM file of CA certificates to trust for https to the IAM endpoint. */
  iamCaCertFile: "YC_IAM_CA_CERT_FILE",
  /** The metadata service's address (host[:port]), as Yandex's Go SDK reads it. */
  metadataAddr: "YC_METADATA_ADDR",
});

/** Where settings come from; everything injected so tests need no real environment. */
export interface SettingSources {
  /** Stack config as a plain object keyed `yandex:token`, `yandex:serviceAccountKeyFile`, ... */
  stackConfig: Record<string, string | undefined>;
  /** The environment (normally `process.env`). */
  env: NodeJS.ProcessEnv;
}

/** A setting that is set: its trimmed value and its name as users write it (never the value). */
export interface Setting {
  /** The value, trimmed. */
  value: string;
  /** e.g. `"stack config yandex:token"` or `"environment YC_TOKEN"`. */
  name: string;
}

/** The value trimmed, or undefined when absent or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** A stack config setting, when set. */
export function stackSetting(sources: SettingSources, key: string): Setting | undefined {
  const value = nonEmpty(sources.stackConfig[key]);
  return value === undefined ? undefined : { value, name: `stack config ${key}` };
}

/** An environment setting, when set. */
export function envSetting(sources: SettingSources, variable: string): Setting | undefined {
  const value = nonEmpty(sources.env[variable]);
  return value === undefined ? undefined : { value, name: `environment ${variable}` };
}

/** The IAM endpoint in use and where it came from. */
export interface ResolvedEndpoint {
  /** The validated IAM base URL. */
  endpoint: string;
  /** Where it came from (e.g. `"environment YC_IAM_ENDPOINT"`, `"default"`). */
  endpointSource: string;
}

/**
 * The IAM endpoint: stack config, else the environment, else the endpoint of the yc profile the
 * credentials came from, else {@link DEFAULT_IAM_ENDPOINT}.
 *
 * @param profileEndpoint - the IAM base URL derived from the yc profile, with the setting's name
 * @throws CredentialsError when the chosen value is not a usable base URL
 */
export function resolveIamEndpoint(sources: SettingSources, profileEndpoint?: Setting): ResolvedEndpoint {
  const setting =
    stackSetting(sources, STACK_CONFIG_KEYS.iamEndpoint) ??
    envSetting(sources, ENV_VARS.iamEndpoint) ??
    profileEndpoint;
  if (!setting) return { endpoint: DEFAULT_IAM_ENDPOINT, endpointSource: "default" };
  return { endpoint: validateIamBaseUrl(setting.value, setting.name), endpointSource: setting.name };
}

/** The metadata service's base URL and, when it was set, the setting's name. */
export function resolveMetadataBaseUrl(sources: SettingSources): { url: string; settingName?: string } {
  const setting = envSetting(sources, ENV_VARS.metadataAddr);
  return { url: metadataBaseUrl(setting?.value), settingName: setting ? ENV_VARS.metadataAddr : undefined };
}

/**
 * The PEM CA certificate to trust for https, from the file named by the CA setting, when set.
 * @throws CredentialsError when the file cannot be read or holds no certificate
 */
export function resolveCaCertPem(
  sources: SettingSources,
  homeDir: string,
  readFile: ReadFile,
): string | undefined {
  const setting =
    stackSetting(sources, STACK_CONFIG_KEYS.iamCaCertFile) ?? envSetting(sources, ENV_VARS.iamCaCertFile);
  if (!setting) return undefined;
  const filePath = expandHome(setting.value, homeDir);
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
