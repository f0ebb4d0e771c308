/**
 * The settings the provider reads, by name, and how a setting is looked up: stack config first
 * (the more specific, per-stack setting), then the environment. Setting names appear in every
 * message about them, so a user always knows which one to change.
 */
import {
  DEFAULT_IAM_ENDPOINT,
  iamEndpointFromApiEndpoint,
  metadataBaseUrl,
  validateIamBaseUrl,
} from "./endpoints";
import { CredentialsError } from "./errors";
import { type ReadFile, describeFileError, describeSettingValue, expandHome } from "./settingFiles";

/**
 * Stack config keys read by the provider. In `yandex:` only the keys the Pulumi Yandex provider
 * itself defines: used as a stack's default provider, it rejects keys in its namespace that it
 * does not define. Settings of our own live in the `yandex-iam-token:` namespace.
 */
export const STACK_CONFIG_KEYS = Object.freeze({
  /** An OAuth token or an IAM token (the Yandex provider's own key). */
  token: "yandex:token",
  /** The path or the JSON content of an authorized key file (the Yandex provider's own key). */
  serviceAccountKeyFile: "yandex:serviceAccountKeyFile",
  /** The API gateway, `api.cloud.yandex.net:443` (the Yandex provider's own key); the IAM endpoint follows it. */
  endpoint: "yandex:endpoint",
  /** The IAM API's base URL, when it is not the one the API gateway implies (an emulator). */
  iamEndpoint: "yandex-iam-token:iamEndpoint",
  /** A PEM file of CA certificates to trust for https to the IAM endpoint. */
  iamCaCertFile: "yandex-iam-token:iamCaCertFile",
});

/** Keys of earlier versions, in the Yandex provider's namespace, and the keys that replace them. */
export const RENAMED_STACK_CONFIG_KEYS: Readonly<Record<string, string>> = Object.freeze({
  "yandex:iamEndpoint": STACK_CONFIG_KEYS.iamEndpoint,
  "yandex:iamCaCertFile": STACK_CONFIG_KEYS.iamCaCertFile,
});

/** Environment variables read by the provider. */
export const ENV_VARS = Object.freeze({
  /** An OAuth token or an IAM token, as the Terraform provider reads it. */
  token: "YC_TOKEN",
  /** The path or the JSON content of an authorized key file, as the Terraform provider reads it. */
  serviceAccountKeyFile: "YC_SERVICE_ACCOUNT_KEY_FILE",
  /** The API gateway (`api.cloud.yandex.net:443`), as the Terraform provider and the SDKs read it. */
  endpoint: "YC_ENDPOINT",
  /** The IAM API's base URL, when it is not the one the API gateway implies (an emulator). */
  iamEndpoint: "YC_IAM_ENDPOINT",
  /** A PEM file of CA certificates to trust for https to the IAM endpoint. */
  iamCaCertFile: "YC_IAM_CA_CERT_FILE",
  /** The metadata service's address (host[:port]), as Yandex's Go SDK reads it. */
  metadataAddr: "YC_METADATA_ADDR",
});

/** Every stack config key `configure` keeps: the ones read, and the renamed ones, to refuse them. */
export const CONFIGURED_STACK_CONFIG_KEYS: readonly string[] = Object.freeze([
  ...Object.values(STACK_CONFIG_KEYS),
  ...Object.keys(RENAMED_STACK_CONFIG_KEYS),
]);

/**
 * Errors for keys of earlier versions that a stack still sets, each naming the key to use instead;
 * empty when there are none.
 */
export function renamedKeyErrors(stackConfig: Record<string, string | undefined>): string[] {
  return Object.entries(RENAMED_STACK_CONFIG_KEYS)
    .filter(([oldKey]) => nonEmpty(stackConfig[oldKey]) !== undefined)
    .map(
      ([oldKey, newKey]) =>
        `stack config ${oldKey} is no longer read: the yandex: namespace belongs to the Pulumi Yandex provider, which rejects keys it does not define. ` +
        `Move the value to ${newKey} (\`pulumi config rm ${oldKey}\`, then \`pulumi config set ${newKey} <value>\`).`,
    );
}

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

/**
 * Reads the file a setting names (`~/` expanded).
 *
 * @param purpose - what the file is read as, for the message (`" as a key file"`), or `""`
 * @param remedy - a sentence on what to set instead, appended to the message
 * @returns the text, and the file as messages name it (see {@link describeSettingValue})
 * @throws CredentialsError naming the setting, and its value only when it looks like a path
 */
export function readSettingFile(
  setting: Setting,
  homeDir: string,
  readFile: ReadFile,
  purpose: string,
  remedy = "",
): { text: string; named: string } {
  const filePath = expandHome(setting.value, homeDir);
  const named = describeSettingValue(filePath);
  try {
    return { text: readFile(filePath), named };
  } catch (error) {
    throw new CredentialsError(
      `${setting.name} is set to ${named}, which cannot be read${purpose}: ${describeFileError(error)}.${remedy ? ` ${remedy}` : ""}`,
    );
  }
}

/** The IAM endpoint in use and where it came from. */
export interface ResolvedEndpoint {
  /** The validated IAM base URL. */
  endpoint: string;
  /** Where it came from (e.g. `"environment YC_IAM_ENDPOINT"`, `"default"`). */
  endpointSource: string;
}

/**
 * The IAM endpoint, first set wins: our IAM endpoint setting (stack config, then environment);
 * the API gateway setting that Yandex tools share (`yandex:endpoint`, then `YC_ENDPOINT`), mapped
 * `api.<domain>` -> `https://iam.api.<domain>`; the endpoint of the yc profile the credentials
 * came from; else {@link DEFAULT_IAM_ENDPOINT}.
 *
 * @param profileEndpoint - the yc profile's API gateway setting, when the credentials came from it
 * @throws CredentialsError when the chosen value is not a usable base URL or gateway
 */
export function resolveIamEndpoint(sources: SettingSources, profileEndpoint?: Setting): ResolvedEndpoint {
  const iamSetting =
    stackSetting(sources, STACK_CONFIG_KEYS.iamEndpoint) ?? envSetting(sources, ENV_VARS.iamEndpoint);
  if (iamSetting) {
    return {
      endpoint: validateIamBaseUrl(iamSetting.value, iamSetting.name),
      endpointSource: iamSetting.name,
    };
  }
  const gateway =
    stackSetting(sources, STACK_CONFIG_KEYS.endpoint) ??
    envSetting(sources, ENV_VARS.endpoint) ??
    profileEndpoint;
  if (!gateway) return { endpoint: DEFAULT_IAM_ENDPOINT, endpointSource: "default" };
  const mapped = iamEndpointFromApiEndpoint(gateway.value);
  if (mapped === undefined) {
    throw new CredentialsError(
      `${gateway.name} is not an API gateway of the form api.<domain>[:443] (such as api.cloud.yandex.net:443 or api.yandexcloud.kz:443), so the IAM endpoint cannot be derived from it. ` +
        `Set ${STACK_CONFIG_KEYS.iamEndpoint} or ${ENV_VARS.iamEndpoint} to the IAM API's base URL.`,
    );
  }
  const endpointSource = `${gateway.name} (API gateway ${gateway.value})`;
  return { endpoint: validateIamBaseUrl(mapped, endpointSource), endpointSource };
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
  const { text: pem, named } = readSettingFile(setting, homeDir, readFile, "");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CredentialsError(`${setting.name} is set to ${named}, which holds no PEM certificate.`);
  }
  return pem;
}
