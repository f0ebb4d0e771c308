/**
 * Service account authorized keys and the PS256 JWT that is exchanged for an IAM token.
 *
 * Errors here never include key material: they name the field that is wrong, not its value.
 */
import {
  createPrivateKey,
  sign as cryptoSign,
  constants as cryptoConstants,
  type KeyObject,
} from "node:crypto";
import type { Clock } from "./clock";
import { CredentialsError } from "./errors";

/** The default IAM base URL (Yandex Cloud). */
export const DEFAULT_IAM_ENDPOINT = "https://iam.api.cloud.yandex.net";

/** Lifetime written into the JWT (`exp - iat`), in seconds; the API accepts at most 3600. */
export const JWT_LIFETIME_SECONDS = 3600;

/** The fields of an authorized key file (`yc iam key create`) that the exchange needs. */
export interface AuthorizedKey {
  /** The key id: the JWT's `kid`. */
  id: string;
  /** The service account the key belongs to: the JWT's `iss`. */
  serviceAccountId: string;
  /** The PEM private key, with anything before `-----BEGIN` stripped. */
  privateKeyPem: string;
}

/**
 * Parses and validates an authorized key file's JSON text.
 *
 * @param jsonText - the file's content
 * @param sourceName - where it came from, for error messages (e.g. `"YC_SERVICE_ACCOUNT_KEY_FILE"`)
 * @throws CredentialsError naming the problem (never the key)
 */
export function parseAuthorizedKey(
  jsonText: string,
  sourceName = "the service account key file",
): AuthorizedKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be the private key.
    throw new CredentialsError(
      `${sourceName} is not valid JSON. Expected an authorized key file as written by \`yc iam key create --output key.json\`.`,
    );
  }
  return authorizedKeyFromObject(parsed, sourceName);
}

/**
 * Validates an already-parsed authorized key object (for example an inline
 * `service-account-key` in a yc CLI profile).
 *
 * @throws CredentialsError naming the missing or invalid field
 */
export function authorizedKeyFromObject(
  value: unknown,
  sourceName = "the service account key",
): AuthorizedKey {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CredentialsError(
      `${sourceName} is not a JSON object with fields id, service_account_id and private_key.`,
    );
  }
  const record = value as Record<string, unknown>;
  const missing = ["id", "service_account_id", "private_key"].filter(
    (field) => typeof record[field] !== "string" || (record[field] as string).trim() === "",
  );
  if (missing.length > 0) {
    throw new CredentialsError(
      `${sourceName} lacks the field(s) ${missing.join(", ")} (each must be a non-empty string). Expected an authorized key file as written by \`yc iam key create\`.`,
    );
  }
  const rawKey = record.private_key as string;
  const begin = rawKey.indexOf("-----BEGIN");
  if (begin < 0) {
    throw new CredentialsError(
      `${sourceName}: private_key does not contain a PEM block (no "-----BEGIN" line).`,
    );
  }
  // The key file starts private_key with "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <...>";
  // PEM parsers reject anything before -----BEGIN.
  const privateKeyPem = rawKey.slice(begin);
  try {
    loadPrivateKey(privateKeyPem);
  } catch {
    throw new CredentialsError(`${sourceName}: private_key is not a readable PEM private key.`);
  }
  return {
    id: (record.id as string).trim(),
    serviceAccountId: (record.service_account_id as string).trim(),
    privateKeyPem,
  };
}

function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: "pem" });
}

/** The JWT audience for an IAM installation: `<base url>/iam/v1/tokens`. */
export function jwtAudience(iamEndpoint: string = DEFAULT_IAM_ENDPOINT): string {
  return `${iamEndpoint.replace(/\/+$/, "")}/iam/v1/tokens`;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * Builds and signs the JWT for the key exchange: header `{typ:"JWT", alg:"PS256", kid}`, claims
 * `iss` = service account id, `aud` = `<iam endpoint>/iam/v1/tokens`, `iat` = now, `exp` = now +
 * {@link JWT_LIFETIME_SECONDS} (Unix seconds from the clock). PS256 = RSASSA-PSS, SHA-256,
 * MGF1-SHA-256, salt length 32.
 */
export function createKeyJwt(key: AuthorizedKey, options: { clock: Clock; iamEndpoint?: string }): string {
  const iatSeconds = Math.floor(options.clock.now().toSeconds());
  const header = { typ: "JWT", alg: "PS256", kid: key.id };
  const claims = {
    iss: key.serviceAccountId,
    aud: jwtAudience(options.iamEndpoint),
    iat: iatSeconds,
    exp: iatSeconds + JWT_LIFETIME_SECONDS,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = cryptoSign("sha256", Buffer.from(signingInput), {
    key: loadPrivateKey(key.privateKeyPem),
    padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  return `${signingInput}.${base64url(signature)}`;
}
