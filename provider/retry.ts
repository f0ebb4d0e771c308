/**
 * The retry policy: which failures are transient, how long to wait between attempts, and when to
 * give up. Pure functions plus one small loop ({@link runWithRetry}) whose waiting goes through an
 * injectable `sleep`, so tests never really wait.
 */
import type { Clock } from "./clock";
import type { IamFailureKind } from "./failure";
import { GrpcCode } from "./grpcCodes";

/** Bounds and shape of the backoff. All durations in milliseconds. */
export interface RetryPolicy {
  /**
   * Maximum attempts including the first (default 8: with 30% of calls failing independently, a
   * stack of 50 tokens fails in about 1 run in 300 (50 x 0.3^8), against 1 in 8 with 5 attempts).
   */
  maxAttempts: number;
  /** Give up once this much time has passed since the first attempt, or a wait would exceed it (default 60 000). */
  maxTotalMs: number;
  /** Backoff base: the cap of the first retry's jittered wait (default 200). */
  baseDelayMs: number;
  /** Cap of any single backoff wait (default 10 000). */
  maxDelayMs: number;
  /** Cap on a server's Retry-After (default 30 000): a server asking for longer does not stall us. */
  maxRetryAfterMs: number;
}

/** The defaults described on {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  maxTotalMs: 60_000,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
});

/** HTTP statuses that are worth another attempt. */
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
/** HTTP statuses that must never be retried: the answer would not change. */
export const NON_RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404]);
/** gRPC codes that are worth another attempt: UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED. */
export const RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([
  GrpcCode.UNAVAILABLE,
  GrpcCode.INTERNAL,
  GrpcCode.RESOURCE_EXHAUSTED,
]);

/** The facts about one failed attempt that decide whether to retry it. */
export interface AttemptFailure {
  /** How the attempt failed. */
  kind: IamFailureKind;
  /** The HTTP status, when the server answered. */
  httpStatus?: number;
  /** The gRPC code from the body, when there was one. */
  grpcCode?: number;
}

/**
 * Whether a failed attempt is transient. Network failures and timeouts are; a malformed or
 * oversized answer, a redirect and an untrusted TLS certificate are not (the same endpoint would
 * answer the same way); 400/401/403/404 never are, whatever the body says; otherwise a retryable
 * HTTP status or gRPC code decides.
 */
export function isRetryable(failure: AttemptFailure): boolean {
  if (failure.kind === "network" || failure.kind === "timeout") return true;
  if (failure.kind !== "http") return false;
  if (failure.httpStatus !== undefined && NON_RETRYABLE_HTTP_STATUSES.has(failure.httpStatus)) return false;
  if (failure.httpStatus !== undefined && RETRYABLE_HTTP_STATUSES.has(failure.httpStatus)) return true;
  return failure.grpcCode !== undefined && RETRYABLE_GRPC_CODES.has(failure.grpcCode);
}

/**
 * The "full jitter" backoff before retry number `retryNumber` (1 = the wait after the first
 * failure): uniformly random in [0, min(maxDelayMs, baseDelayMs * 2^(retryNumber-1))).
 *
 * @param random - a source of numbers in [0, 1) (injectable for tests)
 */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number): number {
  const ceilingMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceilingMs);
}

/** Input of {@link nextDelayMs}. */
export interface RetryDecisionInput {
  /** Attempts made so far (>= 1). */
  attemptsMade: number;
  /** Milliseconds since the first attempt started. */
  elapsedMs: number;
  /** Whether the last failure is transient (see {@link isRetryable}). */
  retryable: boolean;
  /** The server's Retry-After in ms, if it sent one. */
  retryAfterMs?: number;
}

/**
 * How long to wait before the next attempt, or `undefined` to give up: the failure is not
 * transient, attempts are used up, or the wait would cross the total time budget. A Retry-After
 * (capped at `maxRetryAfterMs`) is a lower bound on the wait.
 */
export function nextDelayMs(
  input: RetryDecisionInput,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (!input.retryable) return undefined;
  if (input.attemptsMade >= policy.maxAttempts) return undefined;
  const backoffMs = backoffDelayMs(input.attemptsMade, policy, random);
  const retryAfterMs =
    input.retryAfterMs === undefined ? 0 : Math.min(Math.max(0, input.retryAfterMs), policy.maxRetryAfterMs);
  const delayMs = Math.max(backoffMs, retryAfterMs);
  if (input.elapsedMs + delayMs >= policy.maxTotalMs) return undefined;
  return delayMs;
}

/** Waits the given number of milliseconds (injectable so tests need not wait). */
export type Sleep = (ms: number) => Promise<void>;

/** The real sleep, over setTimeout. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What {@link runWithRetry} needs to know about an attempt's error. */
export interface ClassifiedFailure {
  /** Whether the error is transient. */
  retryable: boolean;
  /** The server's Retry-After in ms, if any. */
  retryAfterMs?: number;
}

/** Dependencies and hooks of {@link runWithRetry}. */
export interface RetryRunOptions {
  policy: RetryPolicy;
  clock: Clock;
  sleep: Sleep;
  random: () => number;
  /** Decides about a thrown error; return `undefined` for errors that must propagate untouched. */
  classify: (error: unknown) => ClassifiedFailure | undefined;
  /** Called before each wait (for logging). */
  onRetry?: (info: { attemptsMade: number; delayMs: number; error: unknown }) => void;
}

/**
 * Runs `attempt` until it succeeds or the policy gives up, then rethrows the last error as is.
 * The attempt function receives its 1-based attempt number so that it can stamp the count on its
 * own errors.
 */
export async function runWithRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryRunOptions,
): Promise<T> {
  const startMs = options.clock.now().toMillis();
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const classified = options.classify(error);
      if (classified === undefined) throw error;
      const delayMs = nextDelayMs(
        {
          attemptsMade: attemptNumber,
          elapsedMs: options.clock.now().toMillis() - startMs,
          retryable: classified.retryable,
          retryAfterMs: classified.retryAfterMs,
        },
        options.policy,
        options.random,
      );
      if (delayMs === undefined) throw error;
      options.onRetry?.({ attemptsMade: attemptNumber, delayMs, error });
      await options.sleep(delayMs);
    }
  }
}
