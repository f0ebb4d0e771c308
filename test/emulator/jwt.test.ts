import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { AuthorizedKeyFile } from "../../emulator";
import {
  call,
  emulatorNowSeconds,
  type Fixture,
  IDS,
  pemFromKeyFile,
  signJwt,
  startFixture,
  TOKEN_SHAPE,
} from "./support";

const PUBLIC_AUD = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

describe("JWT exchange (POST /iam/v1/tokens with jwt)", () => {
  let fx: Fixture;
  let key: AuthorizedKeyFile;
  let otherKey: AuthorizedKeyFile;
  let now: number;
  let ownAud: string;

  before(async () => {
    fx = await startFixture({ seed: { reuseTokens: false, clock: "2026-11-28T00:00:00Z" } });
    [key, otherKey] = await Promise.all([
      fx.emu.admin.createKey(IDS.serviceAccount),
      fx.emu.admin.createKey(IDS.otherServiceAccount),
    ]);
    now = await emulatorNowSeconds(fx.emu);
    ownAud = `${fx.emu.baseUrl}/iam/v1/tokens`;
  });
  after(() => fx.emu.close());

  const exchange = (jwt: string) => call(fx.emu.baseUrl, "/iam/v1/tokens", { body: { jwt } });
  const expectStatus = async (jwt: string, http: number, code: number, message?: RegExp): Promise<void> => {
    const answer = await exchange(jwt);
    assert.deepEqual([answer.status, answer.json?.code], [http, code], answer.text);
    if (message) assert.match(answer.json?.message as string, message);
    const signature = jwt.split(".")[2] ?? "";
    if (signature.length > 16) assert.ok(!answer.text.includes(signature), "the JWT is never echoed");
  };

  it("writes key files like `yc iam key create`, with the prefix line before the PEM", () => {
    assert.deepEqual(Object.keys(key).sort(), [
      "created_at",
      "id",
      "key_algorithm",
      "private_key",
      "public_key",
      "service_account_id",
    ]);
    assert.equal(key.service_account_id, IDS.serviceAccount);
    assert.equal(key.key_algorithm, "RSA_2048");
    assert.match(key.created_at, /^2026-11-28T00:00:\d{2}\.\d{9}Z$/);
    assert.match(
      key.private_key,
      /^PLEASE DO NOT REMOVE THIS LINE! Yandex\.Cloud SA Key ID <aje[a-z0-9]{17}>\n-----BEGIN PRIVATE KEY-----/,
    );
    assert.equal(createPrivateKey(pemFromKeyFile(key.private_key)).asymmetricKeyDetails?.modulusLength, 2048);
  });

  it("exchanges a PS256 JWT for the account's token, with either audience", async () => {
    for (const aud of [PUBLIC_AUD, ownAud, [ownAud, "https://other"]]) {
      const answer = await exchange(signJwt(key, "", now, { claims: { aud } }));
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.json?.iamToken as string, TOKEN_SHAPE);
      assert.equal(
        (await fx.emu.admin.whoami(answer.json?.iamToken as string)).subjectId,
        IDS.serviceAccount,
      );
    }
  });

  it("accepts a JWT signed with a 4096-bit key", async () => {
    const big = await fx.emu.admin.createKey(IDS.serviceAccount, "RSA_4096");
    assert.equal(big.key_algorithm, "RSA_4096");
    assert.equal((await exchange(signJwt(big, PUBLIC_AUD, now))).status, 200);
  });

  it("rejects RS256 and other algorithms (400)", async () => {
    await expectStatus(
      signJwt(key, PUBLIC_AUD, now, { header: { alg: "RS256" }, padding: "pkcs1" }),
      400,
      3,
      /PS256/,
    );
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { header: { alg: "none" } }), 400, 3, /PS256/);
    // PS256 in the header but a PKCS#1 v1.5 signature is just a bad signature.
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { padding: "pkcs1" }), 401, 16, /signature/);
  });

  it("rejects a PSS signature with another salt length (401)", async () => {
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { saltLength: 20 }), 401, 16, /signature/);
  });

  it("rejects an unknown kid (401) and a missing kid (400)", async () => {
    await expectStatus(
      signJwt(key, PUBLIC_AUD, now, { header: { kid: "ajenosuchkey00000000" } }),
      401,
      16,
      /key/,
    );
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { header: { kid: undefined } }), 400, 3, /kid/);
  });

  it("rejects a JWT whose kid names another account's key (bad signature, 401)", async () => {
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { header: { kid: otherKey.id } }), 401, 16, /signature/);
  });

  it("rejects a tampered payload (401)", async () => {
    const [h, , s] = signJwt(key, PUBLIC_AUD, now).split(".");
    const forged = Buffer.from(
      JSON.stringify({ iss: IDS.otherServiceAccount, aud: PUBLIC_AUD, iat: now, exp: now + 60 }),
    );
    await expectStatus(`${h}.${forged.toString("base64url")}.${s}`, 401, 16, /signature/);
  });

  it("rejects a wrong iss (401)", async () => {
    await expectStatus(
      signJwt(key, PUBLIC_AUD, now, { claims: { iss: IDS.otherServiceAccount } }),
      401,
      16,
      /iss/,
    );
  });

  it("rejects a wrong or missing aud (401)", async () => {
    await expectStatus(signJwt(key, "https://iam.example.com/iam/v1/tokens", now), 401, 16, /aud/);
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { claims: { aud: undefined } }), 401, 16, /aud/);
  });

  it("rejects an expired JWT, judged by the emulator clock (401)", async () => {
    await expectStatus(
      signJwt(key, PUBLIC_AUD, now - 3600, { claims: { exp: now - 1 } }),
      401,
      16,
      /expired/,
    );
    const fresh = signJwt(key, PUBLIC_AUD, now, { claims: { exp: now + 120 } });
    await fx.emu.admin.advanceClock(121);
    try {
      await expectStatus(fresh, 401, 16, /expired/);
    } finally {
      await fx.emu.admin.advanceClock(-121);
    }
  });

  it("rejects exp - iat over 3600 s (401) and accepts exactly 3600", async () => {
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { claims: { exp: now + 3601 } }), 401, 16, /3600/);
    assert.equal(
      (await exchange(signJwt(key, PUBLIC_AUD, now, { claims: { exp: now + 3600 } }))).status,
      200,
    );
  });

  it("rejects iat beyond the 60 s skew (401) but tolerates a small skew", async () => {
    await expectStatus(signJwt(key, PUBLIC_AUD, now + 120, { claims: { exp: now + 600 } }), 401, 16, /iat/);
    assert.equal((await exchange(signJwt(key, PUBLIC_AUD, now + 30))).status, 200);
  });

  it("the iat tolerance is the jwtIatSkewSeconds setting (not documented; default 60 s)", async () => {
    assert.equal((await fx.emu.admin.settings()).jwtIatSkewSeconds, 60);
    await fx.emu.admin.updateSettings({ jwtIatSkewSeconds: 0 });
    try {
      await expectStatus(signJwt(key, PUBLIC_AUD, now + 30, { claims: { exp: now + 600 } }), 401, 16, /iat/);
      await fx.emu.admin.updateSettings({ jwtIatSkewSeconds: 300 });
      assert.equal(
        (await exchange(signJwt(key, PUBLIC_AUD, now + 240, { claims: { exp: now + 600 } }))).status,
        200,
      );
      await expectStatus(signJwt(key, PUBLIC_AUD, now + 400, { claims: { exp: now + 900 } }), 401, 16, /iat/);
    } finally {
      await fx.emu.admin.updateSettings({ jwtIatSkewSeconds: 60 });
    }
  });

  it("rejects non-numeric iat/exp and structurally malformed JWTs (400)", async () => {
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { claims: { iat: "now" } }), 400, 3, /iat/);
    await expectStatus(signJwt(key, PUBLIC_AUD, now, { claims: { exp: undefined } }), 400, 3, /exp/);
    for (const jwt of [
      "not-a-jwt",
      "a.b",
      "a.b.c.d",
      "!!!.e30.sig",
      `${Buffer.from("[]").toString("base64url")}.e30.c2ln`,
    ]) {
      await expectStatus(jwt, 400, 3, /Invalid JWT/);
    }
  });

  it("rejects another account's key claiming this account (iss mismatch, 401)", async () => {
    await expectStatus(
      signJwt(otherKey, PUBLIC_AUD, now, { claims: { iss: IDS.serviceAccount } }),
      401,
      16,
      /iss/,
    );
  });
});
