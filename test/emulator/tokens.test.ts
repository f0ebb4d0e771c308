import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startEmulator, type ExpiresAtFormat, type RunningEmulator } from "../../emulator";
import { call, IDS, PADDED_TOKEN_SHAPE, startFixture, TOKEN_SHAPE, UNPADDED_TOKEN_SHAPE } from "./support";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?Z$/;

/** Number of fraction digits of an RFC 3339 UTC instant (fails the test for other text). */
function fractionDigits(instant: string): number {
  const match = RFC3339_UTC.exec(instant);
  assert.ok(match, instant);
  return match[1]?.length ?? 0;
}

async function impersonate(
  emu: RunningEmulator,
  callerToken: string,
  serviceAccountId: string = IDS.serviceAccount,
) {
  const answer = await call(emu.baseUrl, "/iam/v1/tokens:createForServiceAccount", {
    token: callerToken,
    body: { serviceAccountId },
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.json as { iamToken: string; expiresAt: string };
}

describe("token issuing", () => {
  it("reuses the same token while more than half its life remains, then issues a new one", async () => {
    const { emu, callerToken } = await startFixture({ seed: { clock: "2026-11-28T00:00:00Z" } });
    try {
      const first = await impersonate(emu, callerToken);
      const second = await impersonate(emu, callerToken);
      assert.deepEqual(second, first, "same token and same expiresAt string");
      await emu.admin.advanceClock(6 * 3600 - 60); // 6h01m of life left: still reused
      assert.equal((await impersonate(emu, callerToken)).iamToken, first.iamToken);
      await emu.admin.advanceClock(120); // 5h59m left: less than half
      const third = await impersonate(emu, callerToken);
      assert.notEqual(third.iamToken, first.iamToken);
      assert.equal(
        (await emu.admin.whoami(first.iamToken)).subjectId,
        IDS.serviceAccount,
        "the old token stays valid",
      );
      assert.equal(
        (await impersonate(emu, callerToken)).iamToken,
        third.iamToken,
        "the new one is reused in turn",
      );
    } finally {
      await emu.close();
    }
  });

  it("revoking the reused token revokes what the previous call handed out", async () => {
    const { emu, callerToken } = await startFixture();
    try {
      const first = await impersonate(emu, callerToken);
      const revoke = await call(emu.baseUrl, "/iam/v1/tokens:revoke", {
        token: callerToken,
        body: { iamToken: first.iamToken },
      });
      assert.equal(revoke.status, 200);
      const next = await impersonate(emu, callerToken);
      assert.notEqual(next.iamToken, first.iamToken, "a revoked token is never handed out again");
    } finally {
      await emu.close();
    }
  });

  it("issues a fresh token on every call when reuseTokens is false", async () => {
    const { emu, callerToken } = await startFixture({ seed: { reuseTokens: false } });
    try {
      const a = await impersonate(emu, callerToken);
      const b = await impersonate(emu, callerToken);
      assert.notEqual(a.iamToken, b.iamToken);
    } finally {
      await emu.close();
    }
  });

  it("rotates 0, 3, 6 and 9 fraction digits by default, pads every other token; honours fixed settings", async () => {
    const { emu, callerToken } = await startFixture({ seed: { reuseTokens: false } });
    try {
      const issued: { iamToken: string; expiresAt: string }[] = [];
      for (let i = 0; i < 8; i++) issued.push(await impersonate(emu, callerToken));
      const digits = issued.map((t) => fractionDigits(t.expiresAt));
      const cycle = [0, 3, 6, 9];
      const start = cycle.indexOf(digits[0]);
      assert.ok(start >= 0, digits.join(","));
      assert.deepEqual(
        digits,
        digits.map((_, i) => cycle[(start + i) % 4]),
        `rotation: ${digits.join(",")}`,
      );
      const padded = issued.filter((t) => t.iamToken.includes("=")).length;
      assert.equal(padded, 4, "every other token of the documented pattern carries = padding");
      for (const { iamToken } of issued) {
        assert.match(iamToken, TOKEN_SHAPE);
        assert.equal(
          (await emu.admin.whoami(iamToken)).subjectId,
          IDS.serviceAccount,
          "padded ones work too",
        );
      }
      const fixed: [ExpiresAtFormat, number][] = [
        ["nanos", 9],
        ["micros", 6],
        ["millis", 3],
        ["none", 0],
      ];
      for (const [format, width] of fixed) {
        await emu.admin.updateSettings({ expiresAtFormat: format });
        for (let i = 0; i < 2; i++) {
          assert.equal(fractionDigits((await impersonate(emu, callerToken)).expiresAt), width, format);
        }
      }
      await emu.admin.updateSettings({ expiresAtFormat: "alternate" });
      const widths: number[] = [];
      for (let i = 0; i < 4; i++)
        widths.push(fractionDigits((await impersonate(emu, callerToken)).expiresAt));
      assert.ok(
        JSON.stringify(widths) === "[9,0,9,0]" || JSON.stringify(widths) === "[0,9,0,9]",
        `alternate: ${widths.join(",")}`,
      );
    } finally {
      await emu.close();
    }
  });

  it("tokenPadding always / never", async () => {
    const { emu, callerToken } = await startFixture({ seed: { reuseTokens: false, tokenPadding: "always" } });
    try {
      for (let i = 0; i < 3; i++)
        assert.match((await impersonate(emu, callerToken)).iamToken, PADDED_TOKEN_SHAPE);
      await emu.admin.updateSettings({ tokenPadding: "never" });
      for (let i = 0; i < 3; i++)
        assert.match((await impersonate(emu, callerToken)).iamToken, UNPADDED_TOKEN_SHAPE);
    } finally {
      await emu.close();
    }
  });

  it("uses 12 h by default and a per-account lifetime set through the side API", async () => {
    const { emu, callerToken } = await startFixture({
      seed: { clock: "2026-11-28T10:00:00Z", expiresAtFormat: "none" },
    });
    try {
      const nowMs = Date.parse(await emu.admin.now());
      const first = await impersonate(emu, callerToken);
      const lifetime = (Date.parse(first.expiresAt) - nowMs) / 1000;
      assert.ok(lifetime > 43_198 && lifetime <= 43_200, String(lifetime));

      const updated = await emu.admin.updateServiceAccount(IDS.serviceAccount, {
        tokenLifetimeSeconds: 3600,
      });
      assert.equal(updated.tokenLifetimeSeconds, 3600);
      const second = await impersonate(emu, callerToken);
      assert.notEqual(second.iamToken, first.iamToken, "a lifetime change stops reuse of the old token");
      const shortLifetime = (Date.parse(second.expiresAt) - nowMs) / 1000;
      assert.ok(shortLifetime > 3598 && shortLifetime <= 3600, String(shortLifetime));

      await emu.admin.advanceClock(3600);
      const who = await call(emu.baseUrl, "/_emulator/whoami", {
        token: second.iamToken,
        headers: { "X-Emulator-Admin-Token": emu.adminToken },
      });
      assert.equal(who.status, 401, "expired after its 1 h lifetime on the emulator clock");
      assert.equal(
        (await emu.admin.whoami(first.iamToken)).subjectId,
        IDS.serviceAccount,
        "12 h token still valid",
      );
    } finally {
      await emu.close();
    }
  });

  it("rejects lifetimes above 12 h or below 1 s", async () => {
    const { emu } = await startFixture();
    try {
      await assert.rejects(
        emu.admin.updateServiceAccount(IDS.serviceAccount, { tokenLifetimeSeconds: 43_201 }),
        {
          status: 400,
        },
      );
      await assert.rejects(emu.admin.updateServiceAccount(IDS.serviceAccount, { tokenLifetimeSeconds: 0 }), {
        status: 400,
      });
      await assert.rejects(
        emu.admin.updateServiceAccount("ajenosuch00000000000", { tokenLifetimeSeconds: 60 }),
        {
          status: 404,
        },
      );
    } finally {
      await emu.close();
    }
  });
});

describe("emulator clock", () => {
  it("starts at the seed's time, advances, and can be set", async () => {
    const emu = await startEmulator({ seed: { clock: "2030-01-01T00:00:00Z" } });
    try {
      const start = Date.parse(await emu.admin.now());
      assert.ok(start >= Date.parse("2030-01-01T00:00:00Z") && start < Date.parse("2030-01-01T00:00:10Z"));
      const advanced = Date.parse(await emu.admin.advanceClock(86_400));
      assert.ok(advanced - start >= 86_400_000 && advanced - start < 86_410_000);
      assert.match(await emu.admin.setClock("2031-05-05T05:05:05Z"), /^2031-05-05T05:05:05\.0\d\dZ$/);
      assert.match(await emu.admin.now(), /^2031-05-05T05:05:0[5-9]\.\d{3}Z$/);
      await assert.rejects(emu.admin.setClock("yesterday"), { status: 400 });
      const both = await call(emu.baseUrl, "/_emulator/clock", {
        body: { advanceSeconds: 1, set: "2031-01-01T00:00:00Z" },
        headers: { "X-Emulator-Admin-Token": emu.adminToken },
      });
      assert.deepEqual([both.status, both.json?.code], [400, 3]);
    } finally {
      await emu.close();
    }
  });

  it("expires direct-minted tokens by the emulator clock, not real time", async () => {
    const emu = await startEmulator();
    try {
      const { iamToken, expiresAt } = await emu.admin.mintIamToken("ajeuser0000000000009", 30);
      assert.equal((await emu.admin.whoami(iamToken)).expiresAt, expiresAt);
      await emu.admin.advanceClock(31);
      await assert.rejects(emu.admin.whoami(iamToken), { status: 401 });
    } finally {
      await emu.close();
    }
  });
});
