import { constants, KeyObject, verify } from "node:crypto";
import { ApiError, GrpcCode } from "./errors";
import { DEFAULT_JWT_IAT_SKEW_SECONDS } from "./settings";

/** The audience Yandex's public installation expects in service-account JWTs. */
export const PUBLIC_IAM_AUDIENCE = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/**
 * Default of how far in the future `iat` may be, in seconds. Clients sign with their own clock; a
 * minute of tolerance is common practice for JWT issuers and still rejects badly wrong clocks. The
 * real tolerance is not documented: the `jwtIatSkewSeconds` setting changes it.
 */
export const JWT_IAT_SKEW_SECONDS = DEFAULT_JWT_IAT_SKEW_SECONDS;

/** The longest JWT lifetime (`exp - iat`) the API accepts, in seconds. */
export const JWT_MAX_LIFETIME_SECONDS = 3600;

/** What the verifier needs to know about an authorized key. */
export interface JwtVerificationKey {
  /** Service account the key belongs to; the JWT's `iss` must equal it. */
  serviceAccountId: string;
  /** Parsed public key. */
  publicKey: KeyObject;
}

/** Inputs of {@link verifyServiceAccountJwt}. */
export interface JwtVerifyOptions {
  /** Looks up a registered key by id (`kid`). */
  findKey(keyId: string): JwtVerificationKey | undefined;
  /** Emulator time, Unix ms. */
  nowMs: number;
  /** Accepted `aud` values. */
  audiences: readonly string[];
  /** How far `iat` may lie ahead of `nowMs`, in seconds (default {@link JWT_IAT_SKEW_SECONDS}). */
  iatSkewSeconds?: number;
}

// Structural problems are the client's bug in forming the request: INVALID_ARGUMENT (400).
const malformed = (why: string): ApiError => new ApiError(GrpcCode.INVALID_ARGUMENT, `Invalid JWT: ${why}`);
// A well-formed JWT that fails verification is a credential problem: UNAUTHENTICATED (401).
const rejected = (why: string): ApiError => new ApiError(GrpcCode.UNAUTHENTICATED, `JWT rejected: ${why}`);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw malformed(`${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw malformed(`${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Verifies a service-account JWT as the IAM API does and returns the service account id.
 * Checks, in order: three base64url parts with JSON header and claims; `alg` is PS256; `kid`
 * names a registered key; the RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) signature; `iss` is the
 * key's account; `aud`; numeric `iat`/`exp`; `exp` in the future; `iat` not beyond the skew;
 * `exp - iat` at most an hour. Error messages name the failed check and never echo the token.
 */
export function verifyServiceAccountJwt(jwt: string, options: JwtVerifyOptions): string {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw malformed("expected three dot-separated parts");
  const [headerPart, claimsPart, signaturePart] = parts;
  const header = decodeJsonPart(headerPart, "header");
  const claims = decodeJsonPart(claimsPart, "claims");
  if (!BASE64URL.test(signaturePart)) throw malformed("signature is not base64url");

  if (header.alg !== "PS256") {
    throw malformed(
      `unsupported alg ${JSON.stringify(String(header.alg)).slice(0, 20)}; only PS256 is accepted`,
    );
  }
  if (header.typ !== undefined && header.typ !== "JWT") throw malformed("typ must be JWT");
  if (typeof header.kid !== "string" || header.kid === "") throw malformed("header has no kid");

  const key = options.findKey(header.kid);
  if (key === undefined) throw rejected(`no authorized key with id ${header.kid.slice(0, 50)}`);

  const signatureOk = verify(
    "sha256",
    Buffer.from(`${headerPart}.${claimsPart}`, "ascii"),
    { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signatureOk) throw rejected("signature verification failed");

  if (claims.iss !== key.serviceAccountId) throw rejected("iss does not match the key's service account");
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => typeof aud === "string" && options.audiences.includes(aud))) {
    throw rejected(`aud must be one of ${options.audiences.join(", ")}`);
  }
  const { iat, exp } = claims;
  if (typeof iat !== "number" || !Number.isFinite(iat)) throw malformed("iat must be a number");
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw malformed("exp must be a number");
  const nowSeconds = options.nowMs / 1000;
  if (exp <= nowSeconds) throw rejected("the JWT has expired");
  if (iat > nowSeconds + (options.iatSkewSeconds ?? JWT_IAT_SKEW_SECONDS))
    throw rejected("iat is in the future");
  if (exp - iat > JWT_MAX_LIFETIME_SECONDS) {
    throw rejected(`exp - iat exceeds ${JWT_MAX_LIFETIME_SECONDS} seconds`);
  }
  if (exp <= iat) throw rejected("exp must be after iat");
  return key.serviceAccountId;
}
