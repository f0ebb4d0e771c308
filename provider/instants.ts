/**
 * Instants and durations: parsing and formatting, nothing else.
 *
 * Instants are milliseconds since the Unix epoch and durations are milliseconds everywhere in the
 * provider; this module turns the API's and the user's text into those numbers and back. It
 * reads no clock: the current instant always comes from the caller.
 */
import { DateTime, Duration } from "luxon";

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

/**
 * Parses a `Retry-After` header: delay-seconds (`"120"`) or an HTTP date, relative to `nowMs`.
 * Returns milliseconds (0 for a date in the past), or `undefined` when absent or unparseable.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = DateTime.fromHTTP(text);
  if (!date.isValid) return undefined;
  return Math.max(0, date.toMillis() - nowMs);
}

/** Formats an instant (ms since the epoch) as RFC 3339 UTC, without fraction digits when they are zero. */
export function formatInstant(instantMs: number): string {
  return DateTime.fromMillis(instantMs, { zone: "utc" }).toISO({ suppressMilliseconds: true }) ?? "";
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
