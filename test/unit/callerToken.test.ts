import { test } from "node:test";
import assert from "node:assert/strict";
import type { IssuedToken } from "../../provider/apiClient";
import {
  CALLER_TOKEN_RENEW_BEFORE_MS,
  CallerTokenCache,
  StaticCallerToken,
  renewAtMs,
} from "../../provider/callerToken";
import { ManualClock } from "../../provider/clock";

function issued(clock: ManualClock, n: number, lifetimeSeconds: number): IssuedToken {
  const expires = clock.now().plus({ seconds: lifetimeSeconds });
  return { iamToken: `caller-${n}`, expiresAt: expires.toISO() ?? "", expiresAtMs: expires.toMillis() };
}

test("renewAtMs: renewBefore ahead of expiry, not before half-life, never after expiry", () => {
  const hour = 3_600_000;
  assert.equal(
    renewAtMs(0, 12 * hour, CALLER_TOKEN_RENEW_BEFORE_MS),
    12 * hour - CALLER_TOKEN_RENEW_BEFORE_MS,
  );
  assert.equal(renewAtMs(0, 60_000, CALLER_TOKEN_RENEW_BEFORE_MS), 30_000);
  assert.equal(renewAtMs(1000, 500, CALLER_TOKEN_RENEW_BEFORE_MS), 500);
});

test("CallerTokenCache: concurrent callers share one exchange; renewed before expiry; never past it", async () => {
  const clock = new ManualClock();
  let exchanges = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const cache = new CallerTokenCache({
    clock,
    exchange: async () => {
      exchanges++;
      await gate;
      return issued(clock, exchanges, 3600);
    },
  });
  const pending = Array.from({ length: 50 }, () => cache.get());
  release();
  const tokens = await Promise.all(pending);
  assert.equal(exchanges, 1);
  assert.deepEqual(new Set(tokens), new Set(["caller-1"]));

  clock.advance({ milliseconds: 3_600_000 - CALLER_TOKEN_RENEW_BEFORE_MS - 1 });
  assert.equal(await cache.get(), "caller-1");
  assert.equal(exchanges, 1);
  clock.advance({ milliseconds: 1 });
  assert.equal(await cache.get(), "caller-2", "renewed at expiresAt - renewBefore");
  assert.equal(exchanges, 2);
});

test("CallerTokenCache: a failed renewal keeps the old token only while it is unexpired", async () => {
  const clock = new ManualClock();
  let fail = false;
  let n = 0;
  const logs: string[] = [];
  const cache = new CallerTokenCache({
    clock,
    logger: (m) => logs.push(m),
    exchange: async () => {
      if (fail) throw new Error("exchange down");
      return issued(clock, ++n, 3600);
    },
  });
  assert.equal(await cache.get(), "caller-1");
  fail = true;
  clock.advance({ minutes: 58 });
  assert.equal(await cache.get(), "caller-1");
  assert.equal(logs.length, 1);
  clock.advance({ minutes: 2 });
  await assert.rejects(cache.get(), /exchange down/, "at expiresAt the old token is not used");
});

test("CallerTokenCache: invalidate forgets only the rejected token", async () => {
  const clock = new ManualClock();
  let n = 0;
  const cache = new CallerTokenCache({ clock, exchange: async () => issued(clock, ++n, 3600) });
  assert.equal(await cache.get(), "caller-1");
  cache.invalidate("some-other-token");
  assert.equal(await cache.get(), "caller-1");
  cache.invalidate("caller-1");
  assert.equal(await cache.get(), "caller-2");
});

test("StaticCallerToken: used as-is and cannot re-authenticate", async () => {
  const s = new StaticCallerToken("t1.static.token");
  assert.equal(await s.get(), "t1.static.token");
  assert.equal(s.exchanged, false);
  s.invalidate();
  assert.equal(await s.get(), "t1.static.token", "a fixed token stays what it is");
});
