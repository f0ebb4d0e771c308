import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startEmulator, validateSeed, type EmulatorSeed } from "../../emulator";
import { call, emulatorNowSeconds, IDS, signJwt } from "./support";

describe("seed data and state persistence", () => {
  let dir: string;
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const seed: EmulatorSeed = {
    adminToken: "seeded-admin-token",
    clock: "2026-11-28T00:00:00Z",
    expiresAtFormat: "nanos",
    reuseTokens: true,
    serviceAccounts: [{ id: IDS.serviceAccount, folderId: IDS.folder, tokenLifetimeSeconds: 7200 }],
    users: [{ id: IDS.caller }],
    oauthTokens: [{ token: "y0_seeded_oauth_token", subjectId: IDS.caller }],
    iamTokens: [
      { token: "t1.seeded.caller", subjectId: IDS.caller, expiresAt: "2026-11-29T00:00:00.123456789Z" },
    ],
    keys: [{ id: "ajeseededkey00000001", service_account_id: IDS.serviceAccount, public_key: publicPem }],
    roleBindings: [
      { subjectId: IDS.caller, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.folder },
    ],
    metadataServiceAccountId: IDS.serviceAccount,
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "yc-iam-emu-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads every seed section from a file", async () => {
    const seedPath = join(dir, "seed.json");
    writeFileSync(seedPath, JSON.stringify(seed));
    const emu = await startEmulator({ seed: seedPath });
    try {
      assert.equal(emu.adminToken, "seeded-admin-token");
      assert.match(await emu.admin.now(), /^2026-11-28T00:00:0\d/);
      assert.deepEqual(await emu.admin.whoami("t1.seeded.caller"), {
        subjectId: IDS.caller,
        expiresAt: "2026-11-29T00:00:00.123456789Z",
      });
      const oauth = await call(emu.baseUrl, "/iam/v1/tokens", {
        body: { yandexPassportOauthToken: "y0_seeded_oauth_token" },
      });
      assert.equal(oauth.status, 200);
      const impersonated = await call(emu.baseUrl, "/iam/v1/tokens:createForServiceAccount", {
        token: "t1.seeded.caller",
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.equal(impersonated.status, 200, "folder binding from the seed");
      assert.match(
        impersonated.json?.expiresAt as string,
        /^2026-11-28T02:00:0\d\.\d{9}Z$/,
        "7200 s lifetime, nanos",
      );
      const now = await emulatorNowSeconds(emu);
      const jwt = signJwt(
        {
          id: "ajeseededkey00000001",
          service_account_id: IDS.serviceAccount,
          created_at: "",
          key_algorithm: "RSA_2048",
          public_key: publicPem,
          private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajeseededkey00000001>\n${privatePem}`,
        },
        "https://iam.api.cloud.yandex.net/iam/v1/tokens",
        now,
      );
      assert.equal((await call(emu.baseUrl, "/iam/v1/tokens", { body: { jwt } })).status, 200);
      const metadata = await call(
        emu.baseUrl,
        "/computeMetadata/v1/instance/service-accounts/default/token",
        {
          headers: { "Metadata-Flavor": "Google" },
        },
      );
      assert.equal(metadata.json?.access_token, impersonated.json?.iamToken, "same account, token reused");
    } finally {
      await emu.close();
    }
  });

  it("rejects invalid seeds with a message naming the field", async () => {
    assert.throws(
      () => validateSeed({ serviceAccounts: [{ id: 5 }] }),
      /serviceAccounts\[0\]\.id must be a string/,
    );
    assert.throws(() => validateSeed({ clock: "tomorrow" }), /clock must be RFC 3339/);
    assert.throws(
      () => validateSeed({ keys: [{ id: "k", service_account_id: "nobody", public_key: "x" }] }),
      /not in serviceAccounts/,
    );
    assert.throws(() => validateSeed([]), /must be a JSON object/);
    const badJson = join(dir, "bad.json");
    writeFileSync(badJson, "{ nope");
    await assert.rejects(startEmulator({ seed: badJson }), /bad\.json is not valid JSON/);
    await assert.rejects(
      startEmulator({
        seed: {
          serviceAccounts: [{ id: "a" }],
          keys: [{ id: "k", service_account_id: "a", public_key: "junk" }],
        },
      }),
      /key k: public_key is not a valid RSA public key/,
    );
  });

  it("keeps accounts, keys, bindings, tokens, clock and admin token across a restart", async () => {
    const statePath = join(dir, "state.json");
    const first = await startEmulator({ seed, statePath });
    let issued: string;
    let nowBefore: number;
    try {
      const answer = await call(first.baseUrl, "/iam/v1/tokens:createForServiceAccount", {
        token: "t1.seeded.caller",
        body: { serviceAccountId: IDS.serviceAccount },
      });
      issued = answer.json?.iamToken as string;
      await first.admin.createServiceAccount({ id: IDS.otherServiceAccount });
      await first.admin.advanceClock(600);
      nowBefore = Date.parse(await first.admin.now());
    } finally {
      await first.close();
    }
    assert.ok(existsSync(statePath));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
      "no temp file left behind",
    );
    assert.equal(JSON.parse(readFileSync(statePath, "utf8")).store.version, 1);

    const second = await startEmulator({ statePath });
    try {
      assert.equal(second.adminToken, "seeded-admin-token");
      const nowAfter = Date.parse(await second.admin.now());
      assert.ok(nowAfter - nowBefore >= 0 && nowAfter - nowBefore < 5000, "the clock continues");
      assert.equal((await second.admin.whoami(issued)).subjectId, IDS.serviceAccount);
      const again = await call(second.baseUrl, "/iam/v1/tokens:createForServiceAccount", {
        token: "t1.seeded.caller",
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.equal(again.json?.iamToken, issued, "reuse continues after restart");
      const other = await second.admin.updateServiceAccount(IDS.otherServiceAccount, {
        tokenLifetimeSeconds: 60,
      });
      assert.equal(other.tokenLifetimeSeconds, 60);
      const revoke = await call(second.baseUrl, "/iam/v1/tokens:revoke", {
        token: "t1.seeded.caller",
        body: { iamToken: issued },
      });
      assert.equal(revoke.status, 200);
    } finally {
      await second.close();
    }
    const third = await startEmulator({ statePath });
    try {
      await assert.rejects(third.admin.whoami(issued), { status: 401 }, "the revocation was persisted");
    } finally {
      await third.close();
    }
  });

  it("refuses a corrupt state file", async () => {
    const statePath = join(dir, "corrupt.json");
    writeFileSync(statePath, JSON.stringify({ hello: "world" }));
    await assert.rejects(startEmulator({ statePath }), /not an emulator state file/);
  });
});
