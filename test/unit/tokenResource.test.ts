import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tokenResource from "../../provider/tokenResource";
import { systemClock } from "../../provider/clock";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SA = "ajeunit0000000000001";

function outputsExpiringIn(
  ms: number,
  overrides: Partial<tokenResource.TokenOutputs> = {},
): tokenResource.TokenOutputs {
  return {
    serviceAccountId: SA,
    renewBefore: "PT1H",
    revokeOnDelete: false,
    iamToken: "t1.unit-test-token.not-a-real-one",
    expiresAt: systemClock.now().plus({ milliseconds: ms }).toISO()!,
    ...overrides,
  };
}

/** Captures what the provider reports on stderr (the engine shows it as diagnostics). */
function captureStderr(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { lines, restore: () => (process.stderr.write = original) };
}

// The provider adapter's decisions that need no API call. Any attempt to reach the IAM API would
// fail here: the credential chain is emptied, so a stray call surfaces as an error.
describe("tokenResource without API calls", () => {
  const savedEnv = { ...process.env };
  before(() => {
    for (const key of ["YC_TOKEN", "YC_SERVICE_ACCOUNT_KEY_FILE", "YC_IAM_ENDPOINT"]) delete process.env[key];
    process.env.HOME = "/nonexistent-home-for-unit-tests";
    process.env.YC_METADATA_ADDR = "127.0.0.1:9"; // discard port: nothing answers
  });
  after(() => {
    process.env = savedEnv;
  });

  it("check keeps absent properties absent and skips unknown values", async () => {
    const result = await tokenResource.check({}, { serviceAccountId: UNKNOWN, renewBefore: UNKNOWN });
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.inputs, { serviceAccountId: UNKNOWN, renewBefore: UNKNOWN });
    const minimal = await tokenResource.check({}, { serviceAccountId: SA, renewBefore: undefined });
    assert.deepEqual(minimal.inputs, { serviceAccountId: SA });
  });

  it("check reports every bad property at once", async () => {
    const result = await tokenResource.check(
      {},
      { serviceAccountId: "bad-id", renewBefore: "PT13H", revokeOnDelete: "no" },
    );
    assert.deepEqual(
      result.failures.map((f) => f.property),
      ["serviceAccountId", "renewBefore", "revokeOnDelete"],
    );
  });

  it("diff: a fresh token is no change", async () => {
    assert.deepEqual(
      await tokenResource.diff("id", outputsExpiringIn(2 * 3600_000), { serviceAccountId: SA }),
      {
        changes: false,
      },
    );
  });

  it("diff: a token inside its window is an update, and the reason is reported", async () => {
    const stderr = captureStderr();
    try {
      const result = await tokenResource.diff("id", outputsExpiringIn(30 * 60_000), { serviceAccountId: SA });
      assert.deepEqual(result, { changes: true });
    } finally {
      stderr.restore();
    }
    assert.match(
      stderr.lines.join(""),
      new RegExp(`service account ${SA} expires at .*inside its renewal window \\(renewBefore PT1H\\)`),
    );
    assert.ok(!stderr.lines.join("").includes("t1.unit-test-token"), "the token is never reported");
  });

  it("diff: an expired token is an update, with how long ago it expired", async () => {
    const stderr = captureStderr();
    try {
      assert.deepEqual(
        await tokenResource.diff("id", outputsExpiringIn(-90 * 60_000), { serviceAccountId: SA }),
        {
          changes: true,
        },
      );
    } finally {
      stderr.restore();
    }
    assert.match(stderr.lines.join(""), /expired at .* \(1h 30m ago\)/);
  });

  it("diff: a per-token renewBefore decides, not the default", async () => {
    const olds = outputsExpiringIn(45 * 60_000, { renewBefore: "PT30M" });
    assert.deepEqual(await tokenResource.diff("id", olds, { serviceAccountId: SA, renewBefore: "PT30M" }), {
      changes: false,
    });
  });

  it("diff: a new or unknown serviceAccountId replaces", async () => {
    const olds = outputsExpiringIn(5 * 3600_000);
    for (const serviceAccountId of ["ajeother000000000002", UNKNOWN]) {
      assert.deepEqual(await tokenResource.diff("id", olds, { serviceAccountId }), {
        changes: true,
        replaces: ["serviceAccountId"],
        deleteBeforeReplace: false,
      });
    }
  });

  it("diff and update: a settings change on a fresh token keeps the token", async () => {
    const olds = outputsExpiringIn(5 * 3600_000);
    const news = { serviceAccountId: SA, renewBefore: "PT2H", revokeOnDelete: true };
    assert.deepEqual(await tokenResource.diff("id", olds, news), { changes: true });
    const { outs } = await tokenResource.update("id", olds, news);
    assert.deepEqual(outs, { ...olds, renewBefore: "PT2H", revokeOnDelete: true });
  });

  it("read returns a fresh stored token as is", async () => {
    const props = outputsExpiringIn(5 * 3600_000);
    assert.deepEqual(await tokenResource.read(`${SA}/abc123`, { ...props }), { id: `${SA}/abc123`, props });
  });

  it("read of an id it cannot parse fails with the expected form", async () => {
    await assert.rejects(
      () => tokenResource.read("bad-id!/x", {}),
      /"<serviceAccountId>" or "<serviceAccountId>\/<suffix>"/,
    );
  });

  it("delete without revokeOnDelete makes no call", async () => {
    await tokenResource.delete("id", outputsExpiringIn(5 * 3600_000));
  });

  it("serviceAccountIdFromResourceId accepts both id forms", () => {
    assert.equal(tokenResource.serviceAccountIdFromResourceId(`${SA}/0a1b2c`), SA);
    assert.equal(tokenResource.serviceAccountIdFromResourceId(SA), SA);
    assert.equal(tokenResource.serviceAccountIdFromResourceId("bad-id/x"), undefined);
  });
});

// Refresh and destroy load the `__provider` stored in state, a `require` of this module's path:
// the path and the method names are a compatibility contract with every existing stack.
describe("the provider module's compatibility contract", () => {
  it("lives at the path old state requires and exposes every provider method", () => {
    const resolved = require.resolve("../../provider/tokenResource");
    assert.match(resolved.replace(/\\/g, "/"), /\/dist\/provider\/tokenResource\.js$/);
    for (const method of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
      assert.equal(typeof (tokenResource as Record<string, unknown>)[method], "function", method);
    }
  });

  it("treats outputs written before renewBefore/revokeOnDelete existed as defaults, not as a change", async () => {
    const olds: Partial<tokenResource.TokenOutputs> = outputsExpiringIn(5 * 3600_000);
    delete olds.renewBefore;
    delete olds.revokeOnDelete;
    assert.deepEqual(await tokenResource.diff("id", olds, { serviceAccountId: SA }), { changes: false });
  });
});
