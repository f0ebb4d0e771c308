/**
 * The renewal policy: pure functions over instants (ms since the epoch) and durations (ms).
 *
 * A token is due for renewal once `now >= expiresAt - renewBefore`. Deciding this in `diff` (the
 * plan), not in `read`, is what lets `pulumi preview` show a renewal as an update before
 * anything breaks.
 */

/** The longest lifetime Yandex Cloud gives an IAM token: 12 hours, in ms. */
export const MAX_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * Default `renewBefore`: one hour. A token is renewed by the first `pulumi up` in the last hour
 * of its 12-hour life (or any time after it expired), so every `up` leaves consumers a token
 * that is valid for at least another hour.
 */
export const DEFAULT_RENEW_BEFORE = "PT1H";

/** Where a token stands against the renewal policy at one instant. */
export type RenewalStatus =
  | { state: "fresh"; renewalDueAtMs: number }
  | { state: "due"; renewalDueAtMs: number; expiresInMs: number }
  | { state: "expired"; expiredForMs: number }
  | { state: "missing" };

/** Classifies a token that expires at `expiresAtMs`, at `nowMs`, with `renewBeforeMs` of margin. */
export function renewalStatus(
  expiresAtMs: number | undefined,
  nowMs: number,
  renewBeforeMs: number,
): RenewalStatus {
  if (expiresAtMs === undefined) {
    return { state: "missing" };
  }
  if (nowMs >= expiresAtMs) {
    return { state: "expired", expiredForMs: nowMs - expiresAtMs };
  }
  const renewalDueAtMs = expiresAtMs - renewBeforeMs;
  if (nowMs >= renewalDueAtMs) {
    return { state: "due", renewalDueAtMs, expiresInMs: expiresAtMs - nowMs };
  }
  return { state: "fresh", renewalDueAtMs };
}
