import type { FractionDigits } from "./clock";
import {
  FailFn,
  JsonObject,
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalString,
} from "./validate";

/**
 * How `expiresAt` is written. `rotate` (default) cycles through 0, 3, 6 and 9 fraction digits per
 * minted token, as real answers vary; `alternate` cycles through 9 and 0; the others fix one width:
 * `nanos` 9, `micros` 6, `millis` 3, `none` 0.
 */
export type ExpiresAtFormat = "rotate" | "alternate" | "nanos" | "micros" | "millis" | "none";

/** Every {@link ExpiresAtFormat}. */
export const EXPIRES_AT_FORMATS: readonly ExpiresAtFormat[] = [
  "rotate",
  "alternate",
  "nanos",
  "micros",
  "millis",
  "none",
];

/**
 * Whether minted IAM tokens keep the `=` padding the documented token pattern allows after each
 * base64 part: `rotate` (default) pads every other minted token, `always` pads all, `never` none.
 */
export type TokenPadding = "rotate" | "always" | "never";

/** Every {@link TokenPadding}. */
export const TOKEN_PADDINGS: readonly TokenPadding[] = ["rotate", "always", "never"];

/**
 * The gRPC code createForServiceAccount answers for a service account that does not exist. Not
 * documented: NOT_FOUND (default) names the problem; PERMISSION_DENIED is what an API answers that
 * does not reveal which accounts exist to callers without rights on them.
 */
export type UnknownServiceAccountCode = "NOT_FOUND" | "PERMISSION_DENIED";

/** Every {@link UnknownServiceAccountCode}. */
export const UNKNOWN_SERVICE_ACCOUNT_CODES: readonly UnknownServiceAccountCode[] = [
  "NOT_FOUND",
  "PERMISSION_DENIED",
];

/** A VM metadata-service option, as `yc compute instance update --metadata-options` sets it. */
export type MetadataSwitch = "enabled" | "disabled";

/** Every {@link MetadataSwitch}. */
export const METADATA_SWITCHES: readonly MetadataSwitch[] = ["enabled", "disabled"];

/** Behaviour switches of the emulator (seed, `PATCH /_emulator/settings`, state file). */
export interface StoreSettings {
  /** See {@link ExpiresAtFormat}; default `rotate`. */
  expiresAtFormat: ExpiresAtFormat;
  /** See {@link TokenPadding}; default `rotate`. */
  tokenPadding: TokenPadding;
  /** Whether create calls hand out a subject's latest token again while enough of it remains (default true). */
  reuseTokens: boolean;
  /**
   * Reuse threshold: a token is handed out again while more than this fraction of its lifetime
   * remains (0..1, default 0.5; 0 reuses until expiry, 1 never reuses).
   */
  reuseMinRemainingFraction: number;
  /** See {@link UnknownServiceAccountCode}; default `NOT_FOUND`. */
  unknownServiceAccountCode: UnknownServiceAccountCode;
  /**
   * `Retry-After` (seconds) on 429 answers whose fault rule gives none; absent (default): 429s
   * carry no `Retry-After`, which is allowed, since the API documents no rate limit.
   */
  rateLimitRetryAfterSeconds?: number;
  /** How far a JWT's `iat` may lie ahead of the emulator clock, in seconds (default 60). */
  jwtIatSkewSeconds: number;
  /** Service account attached to the emulated VM; none (metadata token path answers 404) when absent. */
  metadataServiceAccountId?: string;
  /** The VM's `gce-http-endpoint` option; `disabled` makes the metadata token path answer 400. */
  metadataGceHttpEndpoint: MetadataSwitch;
  /** The VM's `gce-http-token` option; `disabled` makes the metadata token path answer 400. */
  metadataGceHttpToken: MetadataSwitch;
}

/** Default JWT `iat` tolerance, in seconds: a common allowance for clients' clock drift. */
export const DEFAULT_JWT_IAT_SKEW_SECONDS = 60;

/** The settings of a fresh emulator. */
export function defaultSettings(): StoreSettings {
  return {
    expiresAtFormat: "rotate",
    tokenPadding: "rotate",
    reuseTokens: true,
    reuseMinRemainingFraction: 0.5,
    unknownServiceAccountCode: "NOT_FOUND",
    jwtIatSkewSeconds: DEFAULT_JWT_IAT_SKEW_SECONDS,
    metadataGceHttpEndpoint: "enabled",
    metadataGceHttpToken: "enabled",
  };
}

/**
 * A settings change read from an untrusted JSON object (seed or side API). Only the fields present
 * are set. `metadataServiceAccountId: null` and `rateLimitRetryAfterSeconds: null` clear those
 * settings (detach the VM's account; 429s without `Retry-After`).
 */
export interface SettingsPatch extends Partial<StoreSettings> {
  /** Detach the VM's service account. */
  clearMetadataServiceAccount?: true;
  /** Stop adding `Retry-After` to 429 answers. */
  clearRateLimitRetryAfter?: true;
}

/** Validates the settings fields of `obj`; throws `fail(...)` naming the bad field. */
export function parseSettingsPatch(obj: JsonObject, fail: FailFn): SettingsPatch {
  const patch: SettingsPatch = {
    expiresAtFormat: optionalEnum(obj, "expiresAtFormat", EXPIRES_AT_FORMATS, fail),
    tokenPadding: optionalEnum(obj, "tokenPadding", TOKEN_PADDINGS, fail),
    reuseTokens: optionalBoolean(obj, "reuseTokens", fail),
    reuseMinRemainingFraction: optionalNumber(obj, "reuseMinRemainingFraction", fail, 0, 1),
    unknownServiceAccountCode: optionalEnum(
      obj,
      "unknownServiceAccountCode",
      UNKNOWN_SERVICE_ACCOUNT_CODES,
      fail,
    ),
    rateLimitRetryAfterSeconds: optionalNumber(obj, "rateLimitRetryAfterSeconds", fail, 0, 86_400, true),
    jwtIatSkewSeconds: optionalNumber(obj, "jwtIatSkewSeconds", fail, 0, 3600, true),
    metadataServiceAccountId: optionalString(obj, "metadataServiceAccountId", fail, 50),
    metadataGceHttpEndpoint: optionalEnum(obj, "metadataGceHttpEndpoint", METADATA_SWITCHES, fail),
    metadataGceHttpToken: optionalEnum(obj, "metadataGceHttpToken", METADATA_SWITCHES, fail),
  };
  if (obj.metadataServiceAccountId === null) patch.clearMetadataServiceAccount = true;
  if (obj.rateLimitRetryAfterSeconds === null) patch.clearRateLimitRetryAfter = true;
  for (const key of Object.keys(patch) as (keyof SettingsPatch)[]) {
    if (patch[key] === undefined) delete patch[key];
  }
  return patch;
}

/** Applies a validated patch to `settings` in place. */
export function applySettingsPatch(settings: StoreSettings, patch: SettingsPatch): void {
  const { clearMetadataServiceAccount, clearRateLimitRetryAfter, ...values } = patch;
  Object.assign(settings, values);
  if (clearMetadataServiceAccount === true) delete settings.metadataServiceAccountId;
  if (clearRateLimitRetryAfter === true) delete settings.rateLimitRetryAfterSeconds;
}

const ROTATION: readonly FractionDigits[] = [0, 3, 6, 9];

/** Fraction digits of the `expiresAt` of the `mintIndex`-th minted token (0-based). */
export function fractionDigitsForMint(format: ExpiresAtFormat, mintIndex: number): FractionDigits {
  switch (format) {
    case "rotate":
      return ROTATION[mintIndex % ROTATION.length];
    case "alternate":
      return mintIndex % 2 === 0 ? 9 : 0;
    case "nanos":
      return 9;
    case "micros":
      return 6;
    case "millis":
      return 3;
    default:
      return 0;
  }
}

/**
 * Whether the `mintIndex`-th minted token is padded. `rotate` pads every other token, shifted by one
 * after each full fraction-digit rotation, so over 8 mints every width meets both token shapes.
 */
export function paddedForMint(padding: TokenPadding, mintIndex: number): boolean {
  if (padding === "always") return true;
  if (padding === "never") return false;
  return (mintIndex + Math.floor(mintIndex / ROTATION.length)) % 2 === 1;
}
