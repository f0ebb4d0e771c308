import { test } from "node:test";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import { ManualClock } from "../../provider/clock";
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryable,
  nextDelayMs,
  runWithRetry,
  type RetryPolicy,
} from "../../provider/retry";
import { parseRetryAfterMs } from "../../provider/instants";

const now = DateTime.fromISO("2026-11-28T12:00:00Z", { zone: "utc" });
const nowMs = now.toMillis();
const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY };

test("isRetryable: transient HTTP statuses and gRPC codes retry; 400/401/403/404 never", () => {
  for (const httpStatus of [429, 500, 502, 503, 504]) {
    assert.equal(isRetryable({ kind: "http", httpStatus }), true, `HTTP ${httpStatus}`);
  }
  for (const httpStatus of [400, 401, 403, 404]) {
    assert.equal(isRetryable({ kind: "http", httpStatus }), false, `HTTP ${httpStatus}`);
    // Even when the body claims a transient gRPC code.
    assert.equal(
      isRetryable({ kind: "http", httpStatus, grpcCode: 14 }),
      false,
      `HTTP ${httpStatus} + UNAVAILABLE`,
    );
  }
  for (const grpcCode of [8, 13, 14])
    assert.equal(isRetryable({ kind: "http", httpStatus: 418, grpcCode }), true);
  assert.equal(isRetryable({ kind: "http", httpStatus: 409, grpcCode: 10 }), false);
  assert.equal(isRetryable({ kind: "network" }), true);
  assert.equal(isRetryable({ kind: "timeout" }), true);
  assert.equal(isRetryable({ kind: "malformed", httpStatus: 200 }), false);
});

test("parseRetryAfterMs: delay-seconds, HTTP date, past date, garbage", () => {
  assert.equal(parseRetryAfterMs("0", nowMs), 0);
  assert.equal(parseRetryAfterMs("7", nowMs), 7000);
  assert.equal(parseRetryAfterMs(" 120 ", nowMs), 120_000);
  assert.equal(parseRetryAfterMs("Sat, 28 Nov 2026 12:00:30 GMT", nowMs), 30_000);
  assert.equal(parseRetryAfterMs("Sat, 28 Nov 2026 11:00:00 GMT", nowMs), 0);
  assert.equal(parseRetryAfterMs("soon", nowMs), undefined);
  assert.equal(parseRetryAfterMs("-5", nowMs), undefined);
  assert.equal(parseRetryAfterMs("", nowMs), undefined);
  assert.equal(parseRetryAfterMs(null, nowMs), undefined);
  assert.equal(parseRetryAfterMs(undefined, nowMs), undefined);
});

test("backoffDelayMs: full jitter within [0, min(max, base * 2^(n-1)))", () => {
  const p: RetryPolicy = { ...policy, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelayMs(1, p, () => 0),
    0,
  );
  assert.equal(
    backoffDelayMs(1, p, () => 0.999999),
    99,
  );
  assert.equal(
    backoffDelayMs(2, p, () => 0.999999),
    199,
  );
  assert.equal(
    backoffDelayMs(3, p, () => 0.5),
    200,
  );
  assert.equal(
    backoffDelayMs(10, p, () => 0.999999),
    999,
    "capped by maxDelayMs",
  );
  for (let n = 1; n <= 8; n++) {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(n, p, Math.random);
      assert.ok(d >= 0 && d < Math.min(1000, 100 * 2 ** (n - 1)), `retry ${n}: ${d}`);
    }
  }
});

test("nextDelayMs: Retry-After is a capped lower bound; attempts and total time bound the retries", () => {
  const p: RetryPolicy = {
    maxAttempts: 3,
    maxTotalMs: 10_000,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxRetryAfterMs: 5000,
  };
  const zero = () => 0;
  assert.equal(nextDelayMs({ attemptsMade: 1, elapsedMs: 0, retryable: true }, p, zero), 0);
  assert.equal(
    nextDelayMs({ attemptsMade: 1, elapsedMs: 0, retryable: true, retryAfterMs: 2000 }, p, zero),
    2000,
  );
  assert.equal(
    nextDelayMs({ attemptsMade: 1, elapsedMs: 0, retryable: true, retryAfterMs: 60_000 }, p, zero),
    5000,
  );
  assert.equal(nextDelayMs({ attemptsMade: 1, elapsedMs: 0, retryable: false }, p, zero), undefined);
  assert.equal(nextDelayMs({ attemptsMade: 3, elapsedMs: 0, retryable: true }, p, zero), undefined);
  assert.equal(
    nextDelayMs({ attemptsMade: 1, elapsedMs: 9_000, retryable: true, retryAfterMs: 2000 }, p, zero),
    undefined,
  );
  assert.equal(nextDelayMs({ attemptsMade: 1, elapsedMs: 10_000, retryable: true }, p, zero), undefined);
});

test("runWithRetry: retries transient failures through the injected sleep, stops at maxAttempts", async () => {
  const clock = new ManualClock();
  const waits: number[] = [];
  let calls = 0;
  await assert.rejects(
    runWithRetry(
      async () => {
        calls++;
        throw new Error("transient");
      },
      {
        policy: { ...policy, maxAttempts: 4, baseDelayMs: 10 },
        clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock.advance({ milliseconds: ms });
        },
        random: () => 0.5,
        classify: () => ({ retryable: true }),
      },
    ),
    /transient/,
  );
  assert.equal(calls, 4);
  assert.deepEqual(waits, [5, 10, 20]);
});

test("runWithRetry: the total time budget stops retries measured on the clock", async () => {
  const clock = new ManualClock();
  let calls = 0;
  await assert.rejects(
    runWithRetry(
      async () => {
        calls++;
        clock.advance({ seconds: 25 });
        throw new Error("slow");
      },
      {
        policy: { ...policy, maxAttempts: 10, maxTotalMs: 60_000 },
        clock,
        sleep: async () => undefined,
        random: () => 0,
        classify: () => ({ retryable: true }),
      },
    ),
  );
  assert.equal(calls, 3, "25 s + 25 s, then 75 s would exceed 60 s");
});

test("runWithRetry: unclassified errors propagate at once", async () => {
  let calls = 0;
  await assert.rejects(
    runWithRetry(
      async () => {
        calls++;
        throw new TypeError("bug");
      },
      {
        policy,
        clock: new ManualClock(),
        sleep: async () => undefined,
        random: () => 0,
        classify: () => undefined,
      },
    ),
    TypeError,
  );
  assert.equal(calls, 1);
});
