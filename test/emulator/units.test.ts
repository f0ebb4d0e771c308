import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatRfc3339, parseRfc3339Ms } from "../../emulator/clock";
import { mulberry32 } from "../../emulator/faults";
import { mintIamTokenString, newResourceId } from "../../emulator/tokens";
import { fractionDigitsForMint, paddedForMint } from "../../emulator/settings";
import { PADDED_TOKEN_SHAPE, TOKEN_SHAPE, UNPADDED_TOKEN_SHAPE } from "./support";

describe("emulator helpers", () => {
  it("formats RFC 3339 with 9, 6, 3 or 0 fraction digits", () => {
    const ms = Date.UTC(2026, 10, 28, 18, 49, 11, 123);
    assert.equal(formatRfc3339(ms, 9, 456789), "2026-11-28T18:49:11.123456789Z");
    assert.equal(formatRfc3339(ms, 9, 7), "2026-11-28T18:49:11.123000007Z");
    assert.equal(formatRfc3339(ms, 6, 456789), "2026-11-28T18:49:11.123456Z");
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

  it("mints tokens of the documented pattern, all different, padded on request", () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => mintIamTokenString()));
    assert.equal(tokens.size, 2000);
    for (const token of tokens) {
      assert.match(token, TOKEN_SHAPE);
      assert.match(token, UNPADDED_TOKEN_SHAPE);
    }
    const padded = new Set(Array.from({ length: 2000 }, () => mintIamTokenString(true)));
    assert.equal(padded.size, 2000);
    const middlePaddings = new Set<number>();
    for (const token of padded) {
      assert.match(token, TOKEN_SHAPE);
      assert.match(token, PADDED_TOKEN_SHAPE);
      assert.equal(token.split(".").length, 3, "padding adds no dot");
      middlePaddings.add(/=*$/.exec(token.split(".")[1])?.[0].length ?? 0);
    }
    assert.deepEqual([...middlePaddings].sort(), [1, 2], "both one and two = after the middle part");
  });

  it("settings: 0/3/6/9 rotation, 9/0 alternation and fixed widths; padding every other mint", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((i) => fractionDigitsForMint("rotate", i)),
      [0, 3, 6, 9, 0, 3],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => fractionDigitsForMint("alternate", i)),
      [9, 0, 9],
    );
    assert.deepEqual(
      (["nanos", "micros", "millis", "none"] as const).map((f) => fractionDigitsForMint(f, 5)),
      [9, 6, 3, 0],
    );
    const rotated = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [
      fractionDigitsForMint("rotate", i),
      paddedForMint("rotate", i),
    ]);
    assert.equal(
      new Set(rotated.map((pair) => JSON.stringify(pair))).size,
      8,
      "8 mints: every width with both shapes",
    );
    assert.ok([0, 1, 2, 3].every((i) => paddedForMint("always", i) && !paddedForMint("never", i)));
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
