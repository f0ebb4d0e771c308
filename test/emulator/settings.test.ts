import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startEmulator } from "../../emulator";
import { call, type Fixture, IDS, startFixture } from "./support";

const CREATE_FOR_SA = "/iam/v1/tokens:createForServiceAccount";

describe("settings for behaviours the documentation leaves open", () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ seed: { clock: "2026-11-28T00:00:00Z" } });
  });
  after(() => fx.emu.close());

  const impersonate = (serviceAccountId: string = IDS.serviceAccount, token = fx.callerToken) =>
    call(fx.emu.baseUrl, CREATE_FOR_SA, { token, body: { serviceAccountId } });

  it("reports every setting with its default", async () => {
    assert.deepEqual(await fx.emu.admin.settings(), {
      expiresAtFormat: "rotate",
      tokenPadding: "rotate",
      reuseTokens: true,
      reuseMinRemainingFraction: 0.5,
      unknownServiceAccountCode: "NOT_FOUND",
      jwtIatSkewSeconds: 60,
      metadataGceHttpEndpoint: "enabled",
      metadataGceHttpToken: "enabled",
    });
  });

  it("unknown service account: NOT_FOUND by default, PERMISSION_DENIED (same answer as a missing role) when set", async () => {
    const notFound = await impersonate("ajenosuchaccount0001");
    assert.deepEqual([notFound.status, notFound.json?.code], [404, 5]);
    await fx.emu.admin.updateSettings({ unknownServiceAccountCode: "PERMISSION_DENIED" });
    try {
      const unknown = await impersonate("ajenosuchaccount0001");
      assert.deepEqual([unknown.status, unknown.json?.code], [403, 7]);
      assert.match(unknown.json?.message as string, /tokenCreator/);
      const noRole = await impersonate(IDS.otherServiceAccount);
      assert.deepEqual([noRole.status, noRole.json?.code], [403, 7]);
      assert.equal(
        (unknown.json?.message as string).replace("ajenosuchaccount0001", "X"),
        (noRole.json?.message as string).replace(IDS.otherServiceAccount, "X"),
        "indistinguishable from a missing role",
      );
      const log = await fx.emu.admin.requests();
      assert.ok(log.some((e) => e.targetServiceAccountId === "ajenosuchaccount0001" && e.status === 403));
    } finally {
      await fx.emu.admin.updateSettings({ unknownServiceAccountCode: "NOT_FOUND" });
    }
  });

  it("reuse threshold: reuseMinRemainingFraction 0 reuses until expiry, 1 never, 0.25 a quarter", async () => {
    await fx.emu.admin.updateServiceAccount(IDS.serviceAccount, { tokenLifetimeSeconds: 1000 });
    try {
      await fx.emu.admin.updateSettings({ reuseMinRemainingFraction: 1 });
      const a = (await impersonate()).json?.iamToken;
      const b = (await impersonate()).json?.iamToken;
      assert.notEqual(a, b, "1: never reused");

      await fx.emu.admin.updateSettings({ reuseMinRemainingFraction: 0 });
      const first = (await impersonate()).json?.iamToken;
      await fx.emu.admin.advanceClock(990);
      assert.equal((await impersonate()).json?.iamToken, first, "0: reused with 10 s of 1000 left");
      await fx.emu.admin.advanceClock(20);
      assert.notEqual((await impersonate()).json?.iamToken, first, "but never once expired");

      await fx.emu.admin.updateSettings({ reuseMinRemainingFraction: 0.25 });
      const quarter = (await impersonate()).json?.iamToken;
      await fx.emu.admin.advanceClock(740);
      assert.equal((await impersonate()).json?.iamToken, quarter, "260 s of 1000 left: more than a quarter");
      await fx.emu.admin.advanceClock(20);
      assert.notEqual((await impersonate()).json?.iamToken, quarter, "240 s left: less than a quarter");
    } finally {
      await fx.emu.admin.updateSettings({ reuseMinRemainingFraction: 0.5 });
      await fx.emu.admin.updateServiceAccount(IDS.serviceAccount, { tokenLifetimeSeconds: 43_200 });
    }
  });

  it("rejects invalid settings with 400 and changes nothing", async () => {
    const headers = { "X-Emulator-Admin-Token": fx.emu.adminToken };
    for (const body of [
      { expiresAtFormat: "hours" },
      { tokenPadding: "sometimes" },
      { reuseMinRemainingFraction: 1.5 },
      { unknownServiceAccountCode: "NOT_HERE" },
      { rateLimitRetryAfterSeconds: -1 },
      { jwtIatSkewSeconds: 1.5 },
      { metadataGceHttpToken: "off" },
    ]) {
      const answer = await call(fx.emu.baseUrl, "/_emulator/settings", { method: "PATCH", body, headers });
      assert.deepEqual([answer.status, answer.json?.code], [400, 3], JSON.stringify(body));
    }
    const unknownAccount = await call(fx.emu.baseUrl, "/_emulator/settings", {
      method: "PATCH",
      body: { metadataServiceAccountId: "ajenosuchaccount0001" },
      headers,
    });
    assert.equal(unknownAccount.status, 404);
    assert.equal((await fx.emu.admin.settings()).expiresAtFormat, "rotate");
  });
});

describe("settings from the seed", () => {
  it("every setting can be seeded at the top level; invalid ones fail the start", async () => {
    const emu = await startEmulator({
      seed: {
        serviceAccounts: [{ id: IDS.serviceAccount }],
        expiresAtFormat: "micros",
        tokenPadding: "always",
        reuseTokens: false,
        reuseMinRemainingFraction: 0.1,
        unknownServiceAccountCode: "PERMISSION_DENIED",
        rateLimitRetryAfterSeconds: 5,
        jwtIatSkewSeconds: 10,
        metadataServiceAccountId: IDS.serviceAccount,
        metadataGceHttpEndpoint: "enabled",
        metadataGceHttpToken: "disabled",
      },
    });
    try {
      assert.deepEqual(await emu.admin.settings(), {
        expiresAtFormat: "micros",
        tokenPadding: "always",
        reuseTokens: false,
        reuseMinRemainingFraction: 0.1,
        unknownServiceAccountCode: "PERMISSION_DENIED",
        rateLimitRetryAfterSeconds: 5,
        jwtIatSkewSeconds: 10,
        metadataServiceAccountId: IDS.serviceAccount,
        metadataGceHttpEndpoint: "enabled",
        metadataGceHttpToken: "disabled",
      });
    } finally {
      await emu.close();
    }
    await assert.rejects(
      startEmulator({ seed: { tokenPadding: "x" as "always" } }),
      /tokenPadding must be one of/,
    );
    await assert.rejects(
      startEmulator({ seed: { reuseMinRemainingFraction: 2 } }),
      /reuseMinRemainingFraction must be between 0 and 1/,
    );
  });
});
