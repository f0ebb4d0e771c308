/**
 * The credential chain: where the provider's own identity (the "caller") comes from.
 *
 * A list of sources, tried in order; the first that yields a credential wins, and each adds one
 * line to "where I looked" for the error that says nothing was found:
 *
 * 1. Stack config `yandex:token` / `yandex:serviceAccountKeyFile`, the keys the Pulumi Yandex
 *    provider defines, handed in by the provider's `configure` as a plain object.
 * 2. Environment `YC_TOKEN` / `YC_SERVICE_ACCOUNT_KEY_FILE`, as the Terraform provider reads them.
 * 3. The `yc` CLI's active profile in `<home>/.config/yandex-cloud/config.yaml`
 *    (`token`, `service-account-key` or `instance-service-account: true`).
 * 4. The instance metadata service of a Yandex Compute VM (`169.254.169.254`, or `YC_METADATA_ADDR`).
 *
 * A token is an IAM token, used as-is, when it starts with `t1.` and has exactly two dots;
 * otherwise it is an OAuth token to exchange. A key file setting is a path or the JSON itself.
 * Setting both a token and a key file in one place is an error (which one was meant is unknowable).
 *
 * Nothing here touches the network: the metadata step only yields an address; whether a metadata
 * service answers there is found out by the session on first use.
 */
import { type AuthorizedKey, authorizedKeyFromObject, parseAuthorizedKey } from "./authorizedKey";
import { CredentialsError } from "./errors";
import {
  type ReadFile,
  describeSettingValue,
  expandHome,
  isReadableByOthers,
  readFileFromDisk,
} from "./settingFiles";
import {
  ENV_VARS,
  STACK_CONFIG_KEYS,
  type Setting,
  type SettingSources,
  envSetting,
  readSettingFile,
  resolveCaCertPem,
  resolveIamEndpoint,
  resolveMetadataBaseUrl,
  stackSetting,
} from "./settings";
import { readYcProfile, ycConfigPath } from "./ycProfile";

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
  /** Things worth telling the user that do not stop the chain (a key file others can read). */
  warnings: string[];
}

/** Inputs of {@link resolveCredentialChain}; everything injected so tests need no real HOME or env. */
export interface CredentialChainInput extends SettingSources {
  /** The home directory holding `.config/yandex-cloud/config.yaml`. */
  homeDir: string;
  /** Reads a UTF-8 file (default: from the disk). */
  readFile?: ReadFile;
  /** Whether a file can be read by other users (default: its mode on the disk). */
  isReadableByOthers?: (filePath: string) => boolean;
}

/**
 * How a `YC_TOKEN` / `yandex:token` value is used: `"iamToken"` when it starts with `t1.` and has
 * exactly two dots (the Terraform provider's rule), otherwise `"oauthToken"`.
 */
export function classifyYcToken(value: string): "iamToken" | "oauthToken" {
  const token = value.trim();
  return token.startsWith("t1.") && token.split(".").length === 3 ? "iamToken" : "oauthToken";
}

/**
 * Whether a token has the shape of a Yandex Cloud IAM token: the documented `t1.<base64url>.<base64url>`
 * form (with optional `=` padding), or the older form the metadata service documentation shows
 * (`CggVAgAAA...`). Used only to decide whether an *implicit* metadata-service fallback reached a
 * Yandex VM: the same address and header serve other clouds' metadata APIs, whose tokens must
 * never be sent to Yandex.
 */
export function hasYandexIamTokenShape(token: string): boolean {
  return (
    /^t1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/.test(token) ||
    /^CggVAgAAA[A-Za-z0-9_+/=-]+$/.test(token)
  );
}

/**
 * Loads an authorized key from a setting that is either a path (`~/` expanded) or the JSON
 * content itself (a value starting with `{`).
 *
 * @throws CredentialsError naming the setting, and the path only when the value looks like one
 */
export function loadServiceAccountKey(setting: Setting, homeDir: string, readFile: ReadFile): AuthorizedKey {
  if (setting.value.startsWith("{"))
    return parseAuthorizedKey(setting.value, `${setting.name} (inline JSON)`);
  const { text, named } = readSettingFile(
    setting,
    homeDir,
    readFile,
    " as a key file",
    "Set it to the path of an authorized key file (`yc iam key create --output key.json`) or to the file's JSON content.",
  );
  return parseAuthorizedKey(text, `${setting.name} (${named})`);
}

/** What one source of the chain found. */
interface SourceResult {
  /** The credential, when this source has one. */
  credential?: ResolvedCredential;
  /** The line this source adds to "where I looked". */
  tried: string;
  /** An API gateway setting that comes with the credential (a yc profile's `endpoint`). */
  endpoint?: Setting;
  /** Warnings about the credential. */
  warnings?: string[];
}

/** What every source can read. */
interface ChainContext {
  input: CredentialChainInput;
  readFile: ReadFile;
  metadataUrl: string;
}

/** One place credentials can come from. */
type CredentialSource = (context: ChainContext) => SourceResult;

/** A credential from a token setting. */
function tokenCredential(token: Setting): ResolvedCredential {
  const kind = classifyYcToken(token.value);
  const source = `${token.name} (${kind === "iamToken" ? "IAM token" : "OAuth token"})`;
  return kind === "iamToken"
    ? { kind, iamToken: token.value, source }
    : { kind, oauthToken: token.value, source };
}

/** Refuses a place where more than one kind of credential is set: which one was meant is unknowable. */
function requireAtMostOne(placeName: string, setNames: string[]): void {
  if (setNames.length > 1) {
    throw new CredentialsError(
      `${placeName}: ${setNames.join(" and ")} are both set; set only one of them (a token or a service account key file) so it is clear which identity to use.`,
    );
  }
}

/** A source made of a token setting and a key file setting, such as stack config or the environment. */
function tokenOrKeyFileSource(
  placeName: string,
  lookup: (sources: SettingSources, name: string) => Setting | undefined,
  names: { token: string; serviceAccountKeyFile: string },
): CredentialSource {
  return ({ input, readFile }) => {
    const token = lookup(input, names.token);
    const keyFile = lookup(input, names.serviceAccountKeyFile);
    requireAtMostOne(placeName, [
      ...(token ? [names.token] : []),
      ...(keyFile ? [names.serviceAccountKeyFile] : []),
    ]);
    const tried = `${placeName} ${names.token} / ${names.serviceAccountKeyFile}`;
    if (token) return { credential: tokenCredential(token), tried: `${tried}: found` };
    if (keyFile) {
      const key = loadServiceAccountKey(keyFile, input.homeDir, readFile);
      const keyPath = keyFile.value.startsWith("{") ? undefined : expandHome(keyFile.value, input.homeDir);
      const shared = keyPath !== undefined && (input.isReadableByOthers ?? isReadableByOthers)(keyPath);
      return {
        credential: { kind: "serviceAccountKey", key, source: `${keyFile.name} (key ${key.id})` },
        tried: `${tried}: found`,
        warnings: shared
          ? [
              `the key file ${describeSettingValue(keyPath)} (${keyFile.name}) can be read by other users of this machine; restrict it: chmod 600`,
            ]
          : [],
      };
    }
    return { tried: `${tried}: not set` };
  };
}

/** The yc CLI's active profile. */
const ycProfileSource: CredentialSource = ({ input, readFile, metadataUrl }) => {
  const configPath = ycConfigPath(input.homeDir);
  const profile = readYcProfile(configPath, readFile);
  if (typeof profile === "string") return { tried: `yc CLI config ${configPath}: ${profile}` };
  const placeName = `yc CLI profile "${profile.name}" (${configPath})`;
  requireAtMostOne(
    placeName,
    [
      profile.token !== undefined && "token",
      profile.keyObject !== undefined && "service-account-key",
      profile.instanceServiceAccount && "instance-service-account",
    ].filter((name): name is string => typeof name === "string"),
  );
  let credential: ResolvedCredential | undefined;
  if (profile.token !== undefined) {
    credential = tokenCredential({ value: profile.token, name: `${placeName} token` });
  } else if (profile.keyObject !== undefined) {
    const key = authorizedKeyFromObject(profile.keyObject, `${placeName} service-account-key`);
    credential = {
      kind: "serviceAccountKey",
      key,
      source: `${placeName} service-account-key (key ${key.id})`,
    };
  } else if (profile.instanceServiceAccount) {
    credential = {
      kind: "metadata",
      metadataBaseUrl: metadataUrl,
      source: `${placeName} instance-service-account (instance metadata service at ${metadataUrl})`,
      fallback: false,
    };
  }
  if (!credential) {
    return {
      tried: `${placeName}: no token, service-account-key or instance-service-account (federated profiles are not supported)`,
    };
  }
  return {
    credential,
    tried: `${placeName}: found`,
    endpoint:
      profile.endpoint === undefined
        ? undefined
        : { value: profile.endpoint, name: `yc CLI profile "${profile.name}" endpoint` },
  };
};

/** The sources before the metadata fallback, in the order they are tried. */
const CREDENTIAL_SOURCES: readonly CredentialSource[] = [
  tokenOrKeyFileSource("stack config", stackSetting, STACK_CONFIG_KEYS),
  tokenOrKeyFileSource("environment", envSetting, ENV_VARS),
  ycProfileSource,
];

/**
 * Walks the chain (see the module comment) and returns the first credential found, the endpoint,
 * and the list of places looked at. Reads files but never the network.
 *
 * @throws CredentialsError on conflicting settings, unreadable/invalid key files, an invalid
 *   endpoint or CA file, or a yc config that is not YAML
 */
export function resolveCredentialChain(input: CredentialChainInput): ResolvedChain {
  const readFile = input.readFile ?? readFileFromDisk;
  const metadata = resolveMetadataBaseUrl(input);
  const context: ChainContext = { input, readFile, metadataUrl: metadata.url };
  const tried: string[] = [];
  let found: SourceResult | undefined;
  for (const source of CREDENTIAL_SOURCES) {
    const result = source(context);
    tried.push(result.tried);
    if (result.credential) {
      found = result;
      break;
    }
  }
  const credential: ResolvedCredential = found?.credential ?? {
    kind: "metadata",
    metadataBaseUrl: metadata.url,
    source: `instance metadata service at ${metadata.url}${metadata.settingName ? ` (${metadata.settingName})` : ""}`,
    fallback: true,
  };
  const { endpoint, endpointSource } = resolveIamEndpoint(input, found?.endpoint);
  const caCertPem = resolveCaCertPem(input, input.homeDir, readFile);
  return { credential, endpoint, endpointSource, caCertPem, tried, warnings: found?.warnings ?? [] };
}
