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

/**
 * A new IAM token shaped like the real ones: `t1.<60..100 base64url chars>.<86 base64url chars>`.
 * Clients must not rely on the shape (Yandex says it may change); it only makes logs look real.
 */
export function mintIamTokenString(): string {
  // 45..75 random bytes encode to 60..100 base64url characters.
  const middle = takeRandom(45 + randomInt(31)).toString("base64url");
  // 64 bytes encode to exactly 86 base64url characters (no padding).
  const signature = takeRandom(64).toString("base64url");
  return `t1.${middle}.${signature}`;
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
