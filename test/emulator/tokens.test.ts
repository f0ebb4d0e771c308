import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { call, IDS, startFixture } from "./support";

const NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const WHOLE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

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

  it("alternates 9 fraction digits and none by default; honours nanos and none", async () => {
    const { emu, callerToken } = await startFixture({ seed: { reuseTokens: false } });
    try {
      const formats: string[] = [];
      for (let i = 0; i < 4; i++) formats.push((await impersonate(emu, callerToken)).expiresAt);
      const pattern = formats.map((f) => (NANOS.test(f) ? "nanos" : WHOLE.test(f) ? "none" : `other:${f}`));
      assert.ok(
        JSON.stringify(pattern) === JSON.stringify(["none", "nanos", "none", "nanos"]) ||
          JSON.stringify(pattern) === JSON.stringify(["nanos", "none", "nanos", "none"]),
        pattern.join(","),
      );
      await emu.admin.updateSettings({ expiresAtFormat: "nanos" });
      for (let i = 0; i < 2; i++) assert.match((await impersonate(emu, callerToken)).expiresAt, NANOS);
      await emu.admin.updateSettings({ expiresAtFormat: "none" });
      for (let i = 0; i < 2; i++) assert.match((await impersonate(emu, callerToken)).expiresAt, WHOLE);
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
