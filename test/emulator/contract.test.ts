import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, type Fixture, IDS, startFixture, statusOf, TOKEN_SHAPE } from "./support";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("IAM API contract", () => {
  let fx: Fixture;
  let base: string;
  before(async () => {
    fx = await startFixture();
    base = fx.emu.baseUrl;
  });
  after(() => fx.emu.close());

  describe("POST /iam/v1/tokens:createForServiceAccount", () => {
    const path = "/iam/v1/tokens:createForServiceAccount";

    it("issues a real-looking token for a permitted caller, which whoami accepts", async () => {
      const answer = await call(base, path, {
        token: fx.callerToken,
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.json ?? {}).sort(), ["expiresAt", "iamToken"]);
      assert.match(answer.json?.iamToken as string, TOKEN_SHAPE);
      assert.match(answer.headers.get("x-request-id") ?? "", UUID);
      const who = await fx.emu.admin.whoami(answer.json?.iamToken as string);
      assert.equal(who.subjectId, IDS.serviceAccount);
      assert.equal(who.expiresAt, answer.json?.expiresAt);
    });

    it("accepts a tokenCreator binding on the account's folder", async () => {
      await fx.emu.admin.addRoleBinding({
        subjectId: IDS.stranger,
        role: "iam.serviceAccounts.tokenCreator",
        resourceId: "b1gfolder00000000002",
      });
      try {
        const answer = await call(base, path, {
          token: fx.strangerToken,
          body: { serviceAccountId: IDS.otherServiceAccount },
        });
        assert.equal(answer.status, 200);
      } finally {
        await fx.emu.admin.removeRoleBinding({
          subjectId: IDS.stranger,
          role: "iam.serviceAccounts.tokenCreator",
          resourceId: "b1gfolder00000000002",
        });
      }
      const after = await call(base, path, {
        token: fx.strangerToken,
        body: { serviceAccountId: IDS.otherServiceAccount },
      });
      assert.equal(after.status, 403, "removing the binding takes the permission away");
    });

    it("PERMISSION_DENIED (7/403) without tokenCreator", async () => {
      const answer = await call(base, path, {
        token: fx.strangerToken,
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.deepEqual(
        { ...statusOf(answer), requestId: undefined },
        { http: 403, code: 7, requestId: undefined },
      );
      assert.match(String(statusOf(answer).requestId), UUID);
      assert.equal(answer.headers.get("x-request-id"), statusOf(answer).requestId);
      assert.match(answer.json?.message as string, /tokenCreator/);
    });

    it("NOT_FOUND (5/404) for an unknown service account", async () => {
      const answer = await call(base, path, {
        token: fx.callerToken,
        body: { serviceAccountId: "ajeunknown0000000000" },
      });
      assert.equal(answer.status, 404);
      assert.equal(answer.json?.code, 5);
    });

    it("INVALID_ARGUMENT (3/400) for a missing, non-string or over-long serviceAccountId", async () => {
      for (const body of [
        {},
        { serviceAccountId: "" },
        { serviceAccountId: 5 },
        { serviceAccountId: "a".repeat(51) },
      ]) {
        const answer = await call(base, path, { token: fx.callerToken, body });
        assert.deepEqual([answer.status, answer.json?.code], [400, 3], JSON.stringify(body));
      }
      const fifty = await call(base, path, {
        token: fx.callerToken,
        body: { serviceAccountId: "a".repeat(50) },
      });
      assert.equal(fifty.status, 404, "50 characters is allowed (then the account is unknown)");
    });

    it("UNAUTHENTICATED (16/401) without, with a malformed, or with an unknown Bearer token", async () => {
      for (const headers of [
        {} as Record<string, string>,
        { Authorization: "Basic abc" },
        { Authorization: "Bearer t1.unknown.token" },
      ]) {
        const answer = await call(base, path, { headers, body: { serviceAccountId: IDS.serviceAccount } });
        assert.deepEqual([answer.status, answer.json?.code], [401, 16], JSON.stringify(headers));
        assert.ok(!answer.text.includes("t1.unknown.token"), "the token is never echoed");
      }
    });

    it("UNAUTHENTICATED once the caller token expires on the emulator clock", async () => {
      const shortLived = (await fx.emu.admin.mintIamToken(IDS.caller, 60)).iamToken;
      const okAnswer = await call(base, path, {
        token: shortLived,
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.equal(okAnswer.status, 200);
      await fx.emu.admin.advanceClock(61);
      try {
        const answer = await call(base, path, {
          token: shortLived,
          body: { serviceAccountId: IDS.serviceAccount },
        });
        assert.deepEqual([answer.status, answer.json?.code], [401, 16]);
        assert.equal(answer.json?.message, "Token is invalid or has expired.", "the documented message");
      } finally {
        await fx.emu.admin.advanceClock(-61);
      }
    });
  });

  describe("POST /iam/v1/tokens (OAuth exchange)", () => {
    it("exchanges a registered OAuth token for the user's IAM token", async () => {
      const { token } = await fx.emu.admin.createOAuthToken(IDS.caller);
      assert.match(token, /^y0_/);
      const answer = await call(base, "/iam/v1/tokens", { body: { yandexPassportOauthToken: token } });
      assert.equal(answer.status, 200);
      assert.match(answer.json?.iamToken as string, TOKEN_SHAPE);
      assert.equal((await fx.emu.admin.whoami(answer.json?.iamToken as string)).subjectId, IDS.caller);
    });

    it("UNAUTHENTICATED for an unknown OAuth token", async () => {
      const answer = await call(base, "/iam/v1/tokens", { body: { yandexPassportOauthToken: "y0_nope" } });
      assert.deepEqual([answer.status, answer.json?.code], [401, 16]);
      assert.ok(!answer.text.includes("y0_nope"));
    });

    it("INVALID_ARGUMENT for both, neither, or over-long credentials", async () => {
      const bodies = [
        {},
        { yandexPassportOauthToken: "y0_a", jwt: "a.b.c" },
        { yandexPassportOauthToken: "y".repeat(4001) },
        { jwt: "j".repeat(8001) },
        { yandexPassportOauthToken: 42 },
      ];
      for (const body of bodies) {
        const answer = await call(base, "/iam/v1/tokens", { body });
        assert.deepEqual([answer.status, answer.json?.code], [400, 3], JSON.stringify(body).slice(0, 60));
      }
      for (const body of bodies.slice(0, 2)) {
        const answer = await call(base, "/iam/v1/tokens", { body });
        assert.equal(
          answer.json?.message,
          "Request validation error: Exactly one of 'yandexPassportOauthToken' and 'jwt' should be specified.",
          "the documented message for both and for neither",
        );
      }
    });
  });

  describe("POST /iam/v1/tokens:revoke", () => {
    it("revokes a token (answering its subject); the token then stops working", async () => {
      const minted = await call(base, "/iam/v1/tokens:createForServiceAccount", {
        token: fx.callerToken,
        body: { serviceAccountId: IDS.serviceAccount },
      });
      const victim = minted.json?.iamToken as string;
      const answer = await call(base, "/iam/v1/tokens:revoke", {
        token: fx.callerToken,
        body: { iamToken: victim },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { subjectId: IDS.serviceAccount });
      const who = await call(base, "/_emulator/whoami", {
        token: victim,
        headers: { "X-Emulator-Admin-Token": fx.emu.adminToken },
      });
      assert.deepEqual([who.status, who.json?.code], [401, 16]);
      const again = await call(base, "/iam/v1/tokens:revoke", {
        token: fx.callerToken,
        body: { iamToken: victim },
      });
      assert.deepEqual(
        [again.status, again.json?.code],
        [400, 3],
        "an already revoked token cannot be revoked",
      );
    });

    it("a subject may revoke its own token", async () => {
      const own = (await fx.emu.admin.mintIamToken(IDS.stranger)).iamToken;
      const answer = await call(base, "/iam/v1/tokens:revoke", { token: own, body: { iamToken: own } });
      assert.deepEqual(answer.json, { subjectId: IDS.stranger });
    });

    it("any authenticated caller holding a token may revoke it, whoever its subject (documented)", async () => {
      const victim = (await fx.emu.admin.mintIamToken(IDS.caller)).iamToken;
      const answer = await call(base, "/iam/v1/tokens:revoke", {
        token: fx.strangerToken,
        body: { iamToken: victim },
      });
      assert.equal(answer.status, 200, "the stranger has no role on the caller, and still may");
      assert.deepEqual(answer.json, { subjectId: IDS.caller });
      await assert.rejects(fx.emu.admin.whoami(victim), /HTTP 401/);
      assert.equal((await fx.emu.admin.whoami(fx.strangerToken)).subjectId, IDS.stranger);
    });

    it("a service account's token may be revoked by a caller without tokenCreator on it", async () => {
      const minted = await call(base, "/iam/v1/tokens:createForServiceAccount", {
        token: fx.callerToken,
        body: { serviceAccountId: IDS.serviceAccount },
      });
      const answer = await call(base, "/iam/v1/tokens:revoke", {
        token: fx.strangerToken,
        body: { iamToken: minted.json?.iamToken },
      });
      assert.deepEqual([answer.status, answer.json], [200, { subjectId: IDS.serviceAccount }]);
    });

    it("an unknown or expired iamToken is a 400 (a choice: see the fidelity table)", async () => {
      const unknown = await call(base, "/iam/v1/tokens:revoke", {
        token: fx.callerToken,
        body: { iamToken: "t1.unknown.token" },
      });
      assert.deepEqual([unknown.status, unknown.json?.code], [400, 3]);
      assert.ok(!unknown.text.includes("t1.unknown.token"), "the token is never echoed");
      const shortLived = (await fx.emu.admin.mintIamToken(IDS.stranger, 10)).iamToken;
      await fx.emu.admin.advanceClock(11);
      try {
        const expired = await call(base, "/iam/v1/tokens:revoke", {
          token: fx.callerToken,
          body: { iamToken: shortLived },
        });
        assert.deepEqual([expired.status, expired.json?.code], [400, 3]);
      } finally {
        await fx.emu.admin.advanceClock(-11);
      }
    });

    it("requires a caller token and a valid iamToken field", async () => {
      const noCaller = await call(base, "/iam/v1/tokens:revoke", { body: { iamToken: fx.callerToken } });
      assert.deepEqual([noCaller.status, noCaller.json?.code], [401, 16]);
      for (const body of [{}, { iamToken: "x".repeat(4097) }]) {
        const answer = await call(base, "/iam/v1/tokens:revoke", { token: fx.callerToken, body });
        assert.deepEqual([answer.status, answer.json?.code], [400, 3]);
      }
    });
  });

  describe("metadata service", () => {
    const path = "/computeMetadata/v1/instance/service-accounts/default/token";

    it("answers 404 (plain text, not a Status) while no account is attached, then the VM's token", async () => {
      const none = await call(base, path, { headers: { "Metadata-Flavor": "Google" } });
      assert.equal(none.status, 404);
      assert.equal(none.json, undefined, "the metadata service is not the IAM API: no google.rpc.Status");
      assert.match(none.headers.get("content-type") ?? "", /^text\/plain/);
      assert.match(none.text, /no service account is attached/);
      await fx.emu.admin.updateSettings({ metadataServiceAccountId: IDS.serviceAccount });
      const answer = await call(base, path, { headers: { "Metadata-Flavor": "Google" } });
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.json ?? {}).sort(), ["access_token", "expires_in", "token_type"]);
      assert.equal(answer.json?.token_type, "Bearer");
      assert.ok(Number.isInteger(answer.json?.expires_in));
      assert.ok(
        (answer.json?.expires_in as number) > 21_600 && (answer.json?.expires_in as number) <= 43_200,
      );
      assert.equal(
        (await fx.emu.admin.whoami(answer.json?.access_token as string)).subjectId,
        IDS.serviceAccount,
      );
    });

    it("answers 400 while the VM's gce-http-token or gce-http-endpoint option is disabled", async () => {
      await fx.emu.admin.updateSettings({ metadataServiceAccountId: IDS.serviceAccount });
      for (const setting of ["metadataGceHttpToken", "metadataGceHttpEndpoint"] as const) {
        await fx.emu.admin.updateSettings({ [setting]: "disabled" });
        try {
          const answer = await call(base, path, { headers: { "Metadata-Flavor": "Google" } });
          assert.equal(answer.status, 400, setting);
          assert.equal(answer.json, undefined, "plain text, not a Status");
          assert.match(answer.text, /^Bad Request: .* disabled\n$/);
          assert.equal((await fx.emu.admin.counts()).metadataToken > 0, true);
        } finally {
          await fx.emu.admin.updateSettings({ [setting]: "enabled" });
        }
      }
      const log = await fx.emu.admin.requests();
      assert.ok(log.some((e) => e.method === "metadataToken" && e.status === 400));
      assert.equal(
        (await call(base, path, { headers: { "Metadata-Flavor": "Google" } })).status,
        200,
        "enabled again",
      );
    });

    it("404 again once the account is detached (metadataServiceAccountId: null)", async () => {
      await fx.emu.admin.updateSettings({ metadataServiceAccountId: IDS.serviceAccount });
      const settings = await fx.emu.admin.updateSettings({ metadataServiceAccountId: null });
      assert.equal(settings.metadataServiceAccountId, undefined);
      assert.equal((await call(base, path, { headers: { "Metadata-Flavor": "Google" } })).status, 404);
      await fx.emu.admin.updateSettings({ metadataServiceAccountId: IDS.serviceAccount });
    });

    it("refuses requests without Metadata-Flavor: Google (403, plain text)", async () => {
      for (const headers of [{} as Record<string, string>, { "Metadata-Flavor": "google-ish" }]) {
        const answer = await call(base, path, { headers });
        assert.equal(answer.status, 403);
        assert.match(answer.text, /Metadata-Flavor: Google/);
      }
    });

    it("accepts a query string and rejects POST (405)", async () => {
      const withQuery = await call(base, `${path}?alt=json`, { headers: { "Metadata-Flavor": "Google" } });
      assert.equal(withQuery.status, 200);
      const post = await call(base, path, { headers: { "Metadata-Flavor": "Google" }, body: {} });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET");
    });
  });

  it("counts and logs the calls above without secrets", async () => {
    const counts = await fx.emu.admin.counts();
    assert.ok(counts.createForServiceAccount >= 10);
    assert.ok(counts.create >= 3);
    assert.ok(counts.revoke >= 4);
    assert.ok(counts.metadataToken >= 3);
    const log = await fx.emu.admin.requests();
    const text = JSON.stringify(log);
    assert.ok(!text.includes(fx.callerToken) && !text.includes(fx.strangerToken), "no tokens in the log");
    assert.ok(!text.includes("y0_"), "no OAuth tokens in the log");
    const denied = log.find(
      (e) =>
        e.method === "createForServiceAccount" &&
        e.status === 403 &&
        e.targetServiceAccountId === IDS.serviceAccount,
    );
    assert.ok(denied);
    assert.equal(denied.grpcCode, 7);
    assert.equal(denied.subjectId, IDS.stranger);
    assert.equal(denied.targetServiceAccountId, IDS.serviceAccount);
    assert.match(denied.requestId, UUID);
    assert.deepEqual(
      log.map((e) => e.seq),
      log.map((_, i) => i + 1),
    );
  });
});
