/**
 * Where the provider's requests go: the IAM API's default, its derivation from the API gateway
 * setting that Yandex tools share, the metadata service's address, and the policy that keeps
 * credentials off unencrypted connections. Pure functions over strings: nothing here reads
 * settings or opens a connection.
 */
import { CredentialsError } from "./errors";

/** The default IAM base URL (Yandex Cloud). */
export const DEFAULT_IAM_ENDPOINT = "https://iam.api.cloud.yandex.net";

/** The metadata service's default address (host[:port]). */
export const DEFAULT_METADATA_ADDR = "169.254.169.254";

/** Path of the metadata service's token for the VM's default service account. */
export const METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

/** Whether an IP address (v4 or v6, brackets allowed) is a loopback address: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice("::ffff:".length) : host;
  const octets = v4.split(".");
  return (
    octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}

/**
 * Whether a URL hostname names the loopback interface: `localhost`, 127.0.0.0/8 or `[::1]`. Only
 * the bare name `localhost`: subdomains of it are resolved through DNS on many systems. The API
 * client also checks that the address a name resolves to is a loopback address.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname.toLowerCase() === "localhost" || isLoopbackAddress(hostname);
}

/**
 * Validates an IAM base URL and returns it without trailing slashes: http or https, no
 * credentials, no query; plain http only for loopback hosts (an emulator), so tokens never cross
 * a network unencrypted.
 *
 * @param what - how the setting is named in errors (e.g. "YC_IAM_ENDPOINT")
 * @throws CredentialsError
 */
export function validateIamBaseUrl(value: string, what = "the IAM endpoint"): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new CredentialsError(`${what} is not a URL; expected a base URL such as ${DEFAULT_IAM_ENDPOINT}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new CredentialsError(
      `${what} must use https:// (got ${url.protocol}//); e.g. ${DEFAULT_IAM_ENDPOINT}.`,
    );
  }
  if (url.username || url.password) {
    throw new CredentialsError(`${what} must not contain credentials (user:password@).`);
  }
  if (url.search || url.hash) {
    throw new CredentialsError(`${what} must be a base URL without query or fragment.`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new CredentialsError(
      `${what} ${url.origin} uses plain http://, which is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost), such as a local emulator. Use https://.`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/**
 * The IAM base URL for an API gateway endpoint (`api.<domain>[:443]`, optionally with `https://`:
 * the setting the yc CLI, Terraform and the SDKs share): the REST IAM API of that installation
 * lives at `https://iam.api.<domain>` (`api.cloud.yandex.net` -> `https://iam.api.cloud.yandex.net`,
 * `api.yandexcloud.kz` -> `https://iam.api.yandexcloud.kz`). Returns undefined for other forms.
 */
export function iamEndpointFromApiEndpoint(endpoint: string): string | undefined {
  const match = /^(?:https:\/\/)?(api\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::443)?\/?$/.exec(
    endpoint.trim().toLowerCase(),
  );
  return match ? `https://iam.${match[1]}` : undefined;
}

/** The metadata service base URL for an address (host[:port], or a URL; default {@link DEFAULT_METADATA_ADDR}). */
export function metadataBaseUrl(address: string | undefined): string {
  const addr = address ?? DEFAULT_METADATA_ADDR;
  return (addr.includes("://") ? addr : `http://${addr}`).replace(/\/+$/, "");
}
