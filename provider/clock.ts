/**
 * The one place where the provider reads the real time.
 *
 * Everything else receives a {@link Clock} so that tests can move time deterministically and so
 * that no module can quietly depend on the wall clock (a single stray `now()` is
 * what makes fakes useless).
 */
import { DateTime, Duration, type DurationLike } from "luxon";

/** A source of the current instant. */
export interface Clock {
  /** The current instant, in UTC. */
  now(): DateTime;
}

/** The real wall clock. */
export const systemClock: Clock = {
  now: () => DateTime.utc(),
};

/**
 * A clock for tests: it stands still until {@link ManualClock.advance} or {@link ManualClock.set}
 * moves it.
 */
export class ManualClock implements Clock {
  private current: DateTime;

  /**
   * @param start - the initial instant, a luxon DateTime or an RFC 3339 string
   *   (default `2026-01-01T00:00:00Z`, a fixed instant so tests never depend on the real date).
   */
  constructor(start: DateTime | string = "2026-01-01T00:00:00Z") {
    this.current = typeof start === "string" ? parseInstant(start) : start.toUTC();
  }

  /** The instant the clock currently shows. */
  now(): DateTime {
    return this.current;
  }

  /** Moves the clock forward (or backward, with a negative duration). */
  advance(duration: DurationLike): void {
    this.current = this.current.plus(Duration.fromDurationLike(duration));
  }

  /** Moves the clock to an absolute instant. */
  set(instant: DateTime | string): void {
    this.current = typeof instant === "string" ? parseInstant(instant) : instant.toUTC();
  }
}

function parseInstant(text: string): DateTime {
  const parsed = DateTime.fromISO(text, { zone: "utc" });
  if (!parsed.isValid) {
    throw new Error(`ManualClock: "${text}" is not an ISO 8601 instant`);
  }
  return parsed;
}

/**
 * Environment variable holding an ISO 8601 duration (e.g. `PT11H`, `-PT1H`) by which the
 * provider's clock runs ahead of the real time. It exists so that a stack's own tests (against
 * the IAM emulator, whose clock moves the same way) can preview what a later `pulumi up` will do
 * without waiting hours. Never set it against the real cloud.
 */
export const CLOCK_OFFSET_ENV = "PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET";

/** A clock that runs `offset` ahead of `base`. */
export function offsetClock(base: Clock, offset: Duration): Clock {
  return { now: () => base.now().plus(offset) };
}

/**
 * The provider's clock: the real time, shifted by {@link CLOCK_OFFSET_ENV} when it is set.
 * @throws Error naming the variable when its value is not an ISO 8601 duration.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv): Clock {
  const text = env[CLOCK_OFFSET_ENV];
  if (text === undefined || text.trim() === "") {
    return systemClock;
  }
  const offset = Duration.fromISO(text.trim());
  if (!offset.isValid) {
    throw new Error(`${CLOCK_OFFSET_ENV}="${text}" is not an ISO 8601 duration such as "PT11H" or "-PT30M"`);
  }
  return offsetClock(systemClock, offset);
}
