/**
 * Service account authorized keys (`yc iam key create`): parsing and validating the key file.
 *
 * Errors here never include key material: they name where the key came from and the field that
 * is wrong.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { CredentialsError } from "./errors";

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
  // The key file starts private_key with "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <...>".
  // Node's PEM parser skips it, but other parsers do not, and the stored key should be plain PEM.
  const privateKeyPem = rawKey.slice(begin);
  let keyType: string | undefined;
  try {
    keyType = loadPrivateKey(privateKeyPem).asymmetricKeyType;
  } catch {
    throw new CredentialsError(`${sourceName}: private_key is not a readable PEM private key.`);
  }
  if (keyType !== "rsa") {
    throw new CredentialsError(
      `${sourceName}: private_key is not an RSA private key (it is ${keyType ?? "of an unknown type"}); the JWT exchange signs with PS256, which needs the RSA_2048 or RSA_4096 key that \`yc iam key create\` writes.`,
    );
  }
  return {
    id: (record.id as string).trim(),
    serviceAccountId: (record.service_account_id as string).trim(),
    privateKeyPem,
  };
}

/** Loads a PEM private key; throws when it is not one. */
export function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: "pem" });
}
