import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { humanDuration, parseDurationMs, parseInstantMs } from "../../provider/instants";
import { DEFAULT_RENEW_BEFORE, MAX_TOKEN_LIFETIME_MS, renewalStatus } from "../../provider/renewal";

const HOUR_MS = 3_600_000;
const EXPIRES_AT_MS = Date.UTC(2026, 10, 28, 18, 0, 0);

describe("renewalStatus", () => {
  it("is fresh before the window, with the instant renewal becomes due", () => {
    assert.deepEqual(renewalStatus(EXPIRES_AT_MS, EXPIRES_AT_MS - HOUR_MS - 1, HOUR_MS), {
      state: "fresh",
      renewalDueAtMs: EXPIRES_AT_MS - HOUR_MS,
    });
  });

  it("is due exactly at expiresAt - renewBefore (the boundary belongs to the window)", () => {
    assert.deepEqual(renewalStatus(EXPIRES_AT_MS, EXPIRES_AT_MS - HOUR_MS, HOUR_MS), {
      state: "due",
      renewalDueAtMs: EXPIRES_AT_MS - HOUR_MS,
      expiresInMs: HOUR_MS,
    });
  });

  it("is due one millisecond before expiry", () => {
    assert.equal(renewalStatus(EXPIRES_AT_MS, EXPIRES_AT_MS - 1, HOUR_MS).state, "due");
  });

  it("is expired exactly at expiresAt and after it", () => {
    assert.deepEqual(renewalStatus(EXPIRES_AT_MS, EXPIRES_AT_MS, HOUR_MS), {
      state: "expired",
      expiredForMs: 0,
    });
    assert.deepEqual(renewalStatus(EXPIRES_AT_MS, EXPIRES_AT_MS + 5_000, HOUR_MS), {
      state: "expired",
      expiredForMs: 5_000,
    });
  });

  it("is missing without an expiry", () => {
    assert.deepEqual(renewalStatus(undefined, EXPIRES_AT_MS, HOUR_MS), { state: "missing" });
  });
});

describe("parseInstantMs", () => {
  it("accepts 0 to 9 fraction digits and truncates to milliseconds", () => {
    assert.equal(parseInstantMs("2026-11-28T18:00:00Z"), EXPIRES_AT_MS);
    assert.equal(parseInstantMs("2026-11-28T18:00:00.5Z"), EXPIRES_AT_MS + 500);
    assert.equal(parseInstantMs("2026-11-28T18:00:00.123Z"), EXPIRES_AT_MS + 123);
    assert.equal(parseInstantMs("2026-11-28T18:00:00.123456Z"), EXPIRES_AT_MS + 123);
    assert.equal(parseInstantMs("2026-11-28T18:00:00.999999999Z"), EXPIRES_AT_MS + 999);
  });

  it("honours offsets other than Z", () => {
    assert.equal(parseInstantMs("2026-11-28T21:00:00+03:00"), EXPIRES_AT_MS);
  });

  it("rejects what is not an instant", () => {
    assert.equal(parseInstantMs("tomorrow"), undefined);
    assert.equal(parseInstantMs(""), undefined);
  });
});

describe("parseDurationMs", () => {
  it("parses ISO 8601 durations", () => {
    assert.equal(parseDurationMs("PT1H"), HOUR_MS);
    assert.equal(parseDurationMs("PT30M"), HOUR_MS / 2);
    assert.equal(parseDurationMs("PT1H30M15S"), HOUR_MS * 1.5 + 15_000);
    assert.equal(parseDurationMs(DEFAULT_RENEW_BEFORE), HOUR_MS);
  });

  it("rejects other notations", () => {
    assert.equal(parseDurationMs("1h"), undefined);
    assert.equal(parseDurationMs("3600"), undefined);
    assert.equal(parseDurationMs(""), undefined);
  });

  it("knows the 12-hour lifetime", () => {
    assert.equal(MAX_TOKEN_LIFETIME_MS, 12 * HOUR_MS);
  });
});

describe("humanDuration", () => {
  it("formats hours, minutes and seconds for messages", () => {
    assert.equal(humanDuration(HOUR_MS + 5 * 60_000), "1h 5m");
    assert.equal(humanDuration(2 * HOUR_MS), "2h");
    assert.equal(humanDuration(42_000), "42s");
    assert.equal(humanDuration(5 * 60_000 + 3_000), "5m 3s");
    assert.equal(humanDuration(42 * 60_000), "42m");
  });
});
