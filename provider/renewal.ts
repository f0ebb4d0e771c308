/**
 * The renewal policy: pure functions over instants (ms since the epoch) and durations (ms).
 *
 * A token is due for renewal once `now >= expiresAt - renewBefore`. Deciding this in `diff` (the
 * plan), not in `read`, is what lets `pulumi preview` show a renewal as an update before
 * anything breaks.
 */
import { DateTime, Duration } from "luxon";

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

/**
 * Parses an ISO 8601 duration such as `PT1H` or `PT30M` into milliseconds.
 * @returns undefined when the text is not a valid duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const duration = Duration.fromISO(text);
  if (!duration.isValid) {
    return undefined;
  }
  return duration.as("milliseconds");
}

/**
 * Parses an RFC 3339 instant with 0 to 9 fraction digits (such as the API's `expiresAt`) into ms
 * since the epoch. An explicit offset (`Z` or `±hh:mm`) is required: without one the instant
 * would depend on the local zone. luxon keeps millisecond precision, so a nanosecond instant is
 * truncated: the token looks at most 1 ms older, the safe direction.
 * @returns undefined when the value is not such an instant.
 */
export function parseInstantMs(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  if (!/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.test(text))
    return undefined;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

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

/** A short human duration such as `1h 5m` or `42s`, for messages. */
export function humanDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return seconds > 0 && minutes < 10 ? `${minutes}m ${seconds}s` : `${minutes}m`;
  return `${seconds}s`;
}
