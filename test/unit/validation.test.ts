import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_SERVICE_ACCOUNT_ID_LENGTH,
  validateRenewBefore,
  validateRevokeOnDelete,
  validateServiceAccountId,
} from "../../provider/validation";

describe("validateServiceAccountId", () => {
  it("accepts letters and digits up to 50 characters", () => {
    assert.deepEqual(validateServiceAccountId("ajeabc123"), []);
    assert.deepEqual(validateServiceAccountId("a".repeat(MAX_SERVICE_ACCOUNT_ID_LENGTH)), []);
  });

  for (const [label, value, reason] of [
    ["missing", undefined, /required/],
    ["null", null, /required/],
    ["empty", "", /must not be empty/],
    ["a number", 7, /must be a string, got a number/],
    ["an array", ["aje"], /must be a string, got an array/],
    ["51 characters", "a".repeat(51), /at most 50 characters, got 51/],
    ["a dash", "aje-1", /only letters and digits/],
    ["a space", "aje 1", /only letters and digits/],
    ["non-ASCII letters", "ajeé1", /only letters and digits/],
  ] as const) {
    it(`rejects ${label}, naming serviceAccountId`, () => {
      const failures = validateServiceAccountId(value);
      assert.equal(failures.length, 1);
      assert.equal(failures[0].property, "serviceAccountId");
      assert.match(failures[0].reason, reason);
    });
  }
});

describe("validateRenewBefore", () => {
  it("accepts absence and positive durations shorter than 12 h", () => {
    assert.deepEqual(validateRenewBefore(undefined), []);
    assert.deepEqual(validateRenewBefore("PT1H"), []);
    assert.deepEqual(validateRenewBefore("PT11H59M59S"), []);
    assert.deepEqual(validateRenewBefore("PT1S"), []);
  });

  for (const [label, value, reason] of [
    ["a number", 3600, /duration string/],
    ["not ISO 8601", "1h", /ISO 8601 duration/],
    ["zero", "PT0S", /positive/],
    ["negative", "-PT1H", /positive/],
    ["12 hours", "PT12H", /shorter than the 12 h/],
    ["a day", "P1D", /shorter than the 12 h/],
  ] as const) {
    it(`rejects ${label}, naming renewBefore`, () => {
      const failures = validateRenewBefore(value);
      assert.equal(failures.length, 1);
      assert.equal(failures[0].property, "renewBefore");
      assert.match(failures[0].reason, reason);
    });
  }
});

describe("validateRevokeOnDelete", () => {
  it("accepts booleans and absence, rejects anything else", () => {
    assert.deepEqual(validateRevokeOnDelete(true), []);
    assert.deepEqual(validateRevokeOnDelete(undefined), []);
    assert.equal(validateRevokeOnDelete("yes")[0].property, "revokeOnDelete");
  });
});
