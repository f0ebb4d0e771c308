import { randomBytes, randomInt } from "node:crypto";

/*
 * Random material is drawn from a pooled buffer: one randomBytes call per few hundred tokens keeps
 * minting cheap under load without weakening the tokens (still CSPRNG output, never reused).
 */
const POOL_BYTES = 16 * 1024;
let pool = randomBytes(POOL_BYTES);
let poolOffset = 0;

function takeRandom(n: number): Buffer {
  if (poolOffset + n > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/** `=` padding that standard base64 would append to `byteCount` bytes. */
function base64Padding(byteCount: number): string {
  return "=".repeat((3 - (byteCount % 3)) % 3);
}

/**
 * A new IAM token of the documented shape `t1\.[A-Za-z0-9_-]+[=]{0,2}\.[A-Za-z0-9_-]{86}[=]{0,2}`.
 * With `padded`, each base64 part keeps the `=` padding the pattern allows (the middle part then
 * always has one or two, the 86-character signature two); without it no `=` appears. Clients must
 * not rely on the shape (Yandex says it may change); the emulator varies it so they cannot.
 */
export function mintIamTokenString(padded = false): string {
  // 45..75 random bytes encode to 60..100 base64url characters; a padded token takes a length
  // that is not a multiple of 3, so its middle part really ends in `=` or `==`.
  let middleBytes = 45 + randomInt(31);
  if (padded && middleBytes % 3 === 0) middleBytes += middleBytes < 75 ? 1 : -1;
  const middle = takeRandom(middleBytes).toString("base64url");
  // 64 bytes encode to exactly 86 base64url characters (88 with standard padding).
  const signature = takeRandom(64).toString("base64url");
  return padded
    ? `t1.${middle}${base64Padding(middleBytes)}.${signature}${base64Padding(64)}`
    : `t1.${middle}.${signature}`;
}

/** A new OAuth token shaped like a Yandex Passport one (`y0_` + base64url). */
export function mintOAuthTokenString(): string {
  return `y0_${takeRandom(42).toString("base64url")}`;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuv0123456789"; // 32 symbols: one per 5 random bits

/**
 * A Yandex-style resource id: a 3-letter prefix and 17 lowercase alphanumerics (20 in total).
 * @param prefix e.g. "aje" (IAM objects)
 */
export function newResourceId(prefix = "aje"): string {
  const bytes = takeRandom(17);
  let id = prefix;
  for (let i = 0; i < 17; i++) id += ID_ALPHABET[bytes[i] & 31];
  return id;
}

/** A random admin token for the side API. */
export function newAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Sub-millisecond nanoseconds (0..999999) so 9-digit `expiresAt` values look like real ones. */
export function randomSubMsNanos(): number {
  return randomInt(1_000_000);
}
