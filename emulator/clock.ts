/**
 * The emulator's clock. It is the only place the emulator reads real time: every expiry check,
 * token mint and log timestamp goes through it, so tests can move time instead of sleeping.
 */
export class EmulatorClock {
  private offsetMs: number;

  /** @param offsetMs emulated time minus real time, in milliseconds (0 = real time). */
  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }

  /** A clock whose current time is `startMs` (Unix ms) now, then flows with real time. */
  static startingAt(startMs: number): EmulatorClock {
    return new EmulatorClock(startMs - Date.now());
  }

  /** Current emulated time in Unix milliseconds. */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the clock by `seconds` (may be negative or fractional). */
  advanceSeconds(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  /** Jumps the clock to `ms` (Unix milliseconds); time keeps flowing from there. */
  setMs(ms: number): void {
    this.offsetMs = ms - Date.now();
  }

  /** Emulated minus real time, in ms; persisted so a restarted emulator keeps its time line. */
  getOffsetMs(): number {
    return this.offsetMs;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp with 0..9 fraction digits to Unix ms (fraction truncated to ms).
 * Returns undefined when the text is not RFC 3339, so callers can turn that into a 400.
 */
export function parseRfc3339Ms(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Fraction digits an RFC 3339 instant may be written with by the emulator. */
export type FractionDigits = 0 | 3 | 6 | 9;

/**
 * Formats an instant as RFC 3339 UTC with `fractionDigits` fraction digits (0, 3, 6 or 9; the
 * real API sends all of these). `subMsNanos` (0..999999) supplies the digits below the
 * millisecond, so 6- and 9-digit values look like real ones; fewer digits truncate.
 * @throws RangeError when `ms` is outside what `Date` can represent.
 */
export function formatRfc3339(ms: number, fractionDigits: FractionDigits, subMsNanos = 0): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (throws RangeError when invalid)
  const seconds = iso.slice(0, 19);
  if (fractionDigits === 0) return `${seconds}Z`;
  const nineDigits = `${iso.slice(20, 23)}${String(subMsNanos).padStart(6, "0")}`;
  return `${seconds}.${nineDigits.slice(0, fractionDigits)}Z`;
}

/**
 * Earliest instant the emulator clock may be set to (Unix ms): the Unix epoch, so every
 * `iat`/`exp` and `expires_in` stays non-negative.
 */
export const MIN_CLOCK_MS = 0;

/**
 * Latest instant the emulator clock may be set to (Unix ms): a year before the end of year 9999,
 * so a token minted then (12 h at most) still has a four-digit-year RFC 3339 expiry.
 */
export const MAX_CLOCK_MS = Date.UTC(9998, 11, 31);

/** Whether `ms` is an instant the emulator clock accepts. */
export function isClockInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_CLOCK_MS && ms <= MAX_CLOCK_MS;
}

/** Real wall-clock time in Unix ms, for the few things that must not follow the emulated clock. */
export function realNowMs(): number {
  return Date.now();
}
