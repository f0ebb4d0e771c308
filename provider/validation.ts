/**
 * Input validation for ServiceAccountIamToken, run in the provider's `check` so that bad inputs
 * fail `pulumi preview` with a message naming the property.
 */
import { parseDurationMs } from "./instants";
import { MAX_TOKEN_LIFETIME_MS } from "./renewal";

/** The API's limit on `serviceAccountId`. */
export const MAX_SERVICE_ACCOUNT_ID_LENGTH = 50;

/** One failed property, in the shape Pulumi's dynamic provider `check` returns. */
export interface InputFailure {
  property: string;
  reason: string;
}

/** Failures of `serviceAccountId`; empty when it is valid. */
export function validateServiceAccountId(value: unknown): InputFailure[] {
  const property = "serviceAccountId";
  if (value === undefined || value === null) {
    return [
      { property, reason: "serviceAccountId is required: the id of the service account to issue tokens for" },
    ];
  }
  if (typeof value !== "string") {
    return [{ property, reason: `serviceAccountId must be a string, got ${describeType(value)}` }];
  }
  if (value.length === 0) {
    return [{ property, reason: "serviceAccountId must not be empty" }];
  }
  if (value.length > MAX_SERVICE_ACCOUNT_ID_LENGTH) {
    return [
      {
        property,
        reason: `serviceAccountId must be at most ${MAX_SERVICE_ACCOUNT_ID_LENGTH} characters, got ${value.length}`,
      },
    ];
  }
  if (!/^[A-Za-z0-9]+$/.test(value)) {
    return [
      {
        property,
        reason: `serviceAccountId must contain only letters and digits (such as "ajeabc123..."), got ${describeInput(value)}`,
      },
    ];
  }
  return [];
}

/** Failures of `renewBefore`; empty when it is valid or absent. */
export function validateRenewBefore(value: unknown): InputFailure[] {
  const property = "renewBefore";
  if (value === undefined || value === null) {
    return [];
  }
  if (typeof value !== "string") {
    return [
      {
        property,
        reason: `renewBefore must be an ISO 8601 duration string such as "PT1H", got ${describeType(value)}`,
      },
    ];
  }
  const renewBeforeMs = parseDurationMs(value);
  if (renewBeforeMs === undefined) {
    return [
      {
        property,
        reason: `renewBefore must be an ISO 8601 duration such as "PT1H" or "PT30M", got ${describeInput(value)}`,
      },
    ];
  }
  if (renewBeforeMs <= 0) {
    return [{ property, reason: `renewBefore must be a positive duration, got ${describeInput(value)}` }];
  }
  if (renewBeforeMs >= MAX_TOKEN_LIFETIME_MS) {
    return [
      {
        property,
        reason: `renewBefore must be shorter than the 12 h token lifetime (PT12H), got ${describeInput(value)}: every token would always be due`,
      },
    ];
  }
  return [];
}

/** Failures of `revokeOnDelete`; empty when it is valid or absent. */
export function validateRevokeOnDelete(value: unknown): InputFailure[] {
  if (value === undefined || value === null || typeof value === "boolean") {
    return [];
  }
  return [
    { property: "revokeOnDelete", reason: `revokeOnDelete must be a boolean, got ${describeType(value)}` },
  ];
}

/** Values this short, of these characters and without a credential's prefix, are quoted back. */
const QUOTABLE_INPUT = /^[A-Za-z0-9 .,:+-]{0,24}$/;
const CREDENTIAL_PREFIX = /^(t1\.|y[0-3]_|eyJ|AQAA|CggVAgAAA|-----)/;

/**
 * Whether an input value may be shown back to the user: a number or boolean, or a string that is
 * short, of plain characters and without a credential's prefix. Anything else could be a secret
 * pasted into the wrong property.
 */
export function isSafeToShow(value: unknown): boolean {
  if (typeof value === "number" || typeof value === "boolean") return true;
  return typeof value === "string" && QUOTABLE_INPUT.test(value) && !CREDENTIAL_PREFIX.test(value);
}

/**
 * A string input as a message shows it: quoted when {@link isSafeToShow}, otherwise only its
 * length (a secret pasted into the wrong property must not be printed back).
 */
export function describeInput(value: string): string {
  return isSafeToShow(value)
    ? `"${value}"`
    : `a string of ${value.length} characters (not shown: it could be a credential)`;
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return `a ${typeof value}`;
}
