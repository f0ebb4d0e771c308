import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatRfc3339, parseRfc3339Ms } from "../../emulator/clock";
import { mulberry32 } from "../../emulator/faults";
import { mintIamTokenString, newResourceId } from "../../emulator/tokens";
import { TOKEN_SHAPE } from "./support";

describe("emulator helpers", () => {
  it("formats RFC 3339 with 9, 3 or 0 fraction digits", () => {
    const ms = Date.UTC(2026, 10, 28, 18, 49, 11, 123);
    assert.equal(formatRfc3339(ms, 9, 456789), "2026-11-28T18:49:11.123456789Z");
    assert.equal(formatRfc3339(ms, 9, 7), "2026-11-28T18:49:11.123000007Z");
    assert.equal(formatRfc3339(ms, 3), "2026-11-28T18:49:11.123Z");
    assert.equal(formatRfc3339(ms, 0), "2026-11-28T18:49:11Z");
  });

  it("parses RFC 3339 with 0..9 fraction digits and rejects other text", () => {
    const base = Date.UTC(2026, 10, 28, 18, 49, 11);
    assert.equal(parseRfc3339Ms("2026-11-28T18:49:11Z"), base);
    assert.equal(parseRfc3339Ms("2026-11-28T18:49:11.5Z"), base + 500);
    assert.equal(parseRfc3339Ms("2026-11-28T18:49:11.123456789Z"), base + 123);
    assert.equal(parseRfc3339Ms("2026-11-28T21:49:11+03:00"), base);
    for (const bad of ["2026-11-28", "2026-11-28 18:49:11Z", "2026-11-28T18:49:11.1234567890Z", "now"]) {
      assert.equal(parseRfc3339Ms(bad), undefined, bad);
    }
  });

  it("mints tokens shaped like real ones, all different", () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => mintIamTokenString()));
    assert.equal(tokens.size, 2000);
    for (const token of tokens) assert.match(token, TOKEN_SHAPE);
  });

  it("makes 20-character Yandex-style ids", () => {
    assert.match(newResourceId("aje"), /^aje[a-v0-9]{17}$/);
    assert.notEqual(newResourceId(), newResourceId());
  });

  it("mulberry32 is deterministic per seed and spreads over [0, 1)", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const values = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      Array.from({ length: 1000 }, () => b()),
      values,
    );
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
    assert.notEqual(mulberry32(8)(), mulberry32(7)());
  });
});
