import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ManualClock } from "../../provider/clock";
import { hasYandexIamTokenShape, resolveCredentialChain } from "../../provider/credentials";
import { IamApiError } from "../../provider/errors";
import { acceptRequestId, oneLine } from "../../provider/redaction";
import {
  MAX_SETTING_FILE_BYTES,
  describeSettingValue,
  isReadableByOthers,
  readFileFromDisk,
} from "../../provider/settingFiles";
import { type TokenIssuer, createTokenProvider } from "../../provider/tokenProvider";
import { describeInput, validateRenewBefore, validateServiceAccountId } from "../../provider/validation";

const privatePem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const keyJson = JSON.stringify({
  id: "ajekeyhostile0000001",
  service_account_id: "ajesahostile00000001",
  private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekeyhostile0000001>\n${privatePem}`,
});
const PEM_BODY = privatePem.split("\n")[1];

const work = fs.mkdtempSync(path.join(os.tmpdir(), "pyit-hostile-unit-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Resolves the chain with only the key file setting, from the real disk. */
function chainWithKeySetting(value: string) {
  return () =>
    resolveCredentialChain({
      stackConfig: {},
      env: { YC_SERVICE_ACCOUNT_KEY_FILE: value },
      homeDir: work,
    });
}

/** Asserts the chain fails with a CredentialsError matching `pattern` that quotes no key material. */
function assertRefused(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    const message = String((error as Error).message);
    assert.match(message, pattern);
    assert.ok(!message.includes(PEM_BODY), "no key material in the message");
    assert.ok(
      !message.includes(Buffer.from(keyJson).toString("base64").slice(0, 40)),
      "no base64 of the key",
    );
    return true;
  });
}

describe("key file settings that are not a key file: clear errors that never echo the value", () => {
  it("base64 of a key file", () => {
    assertRefused(chainWithKeySetting(Buffer.from(keyJson).toString("base64")), /looks like base64 of JSON/);
  });
  it("the JSON wrapped in quotes", () => {
    assertRefused(
      chainWithKeySetting(`'${keyJson}'`),
      /looks like JSON wrapped in quotes: remove the quotes/,
    );
    assertRefused(chainWithKeySetting(JSON.stringify(keyJson)), /looks like JSON wrapped in quotes/);
  });
  it("only the private key", () => {
    assertRefused(chainWithKeySetting(privatePem), /looks like a PEM key/);
  });
  it("a directory, a named pipe, /dev/zero and a 10 MB file are refused before they are read", () => {
    const fifo = path.join(work, "key.fifo");
    execFileSync("mkfifo", [fifo]);
    const big = path.join(work, "big.json");
    fs.writeFileSync(big, Buffer.alloc(10 * 1024 * 1024, 0x20));
    assertRefused(chainWithKeySetting(work), /is a directory, not a regular file/);
    assertRefused(chainWithKeySetting(fifo), /is a named pipe, not a regular file/);
    assertRefused(chainWithKeySetting("/dev/zero"), /is a device, not a regular file/);
    assertRefused(
      chainWithKeySetting(big),
      new RegExp(`more than the ${MAX_SETTING_FILE_BYTES} a setting file may be`),
    );
  });
  it("a symlink to a key file works; a truncated PEM and a key of the wrong algorithm are refused", () => {
    const keyPath = path.join(work, "key.json");
    fs.writeFileSync(keyPath, keyJson, { mode: 0o600 });
    const link = path.join(work, "link.json");
    fs.symlinkSync(keyPath, link);
    const chain = chainWithKeySetting(link)();
    assert.equal(chain.credential.kind, "serviceAccountKey");
    assert.deepEqual(chain.warnings, []);

    const truncated = path.join(work, "truncated.json");
    fs.writeFileSync(
      truncated,
      JSON.stringify({ ...JSON.parse(keyJson), private_key: privatePem.slice(0, privatePem.length / 2) }),
    );
    assertRefused(chainWithKeySetting(truncated), /private_key is not a readable PEM private key/);

    const ecPem = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const wrongAlgorithm = path.join(work, "ec.json");
    fs.writeFileSync(wrongAlgorithm, JSON.stringify({ ...JSON.parse(keyJson), private_key: ecPem }));
    assertRefused(chainWithKeySetting(wrongAlgorithm), /private_key is not an RSA private key/);
  });
  it("a key file other users can read is used, with a warning", () => {
    const shared = path.join(work, "shared.json");
    fs.writeFileSync(shared, keyJson);
    fs.chmodSync(shared, 0o644);
    assert.equal(isReadableByOthers(shared), true);
    const chain = chainWithKeySetting(shared)();
    assert.match(
      chain.warnings.join("\n"),
      /can be read by other users of this machine; restrict it: chmod 600/,
    );
  });
  it("describeSettingValue quotes paths and only describes anything else", () => {
    assert.equal(describeSettingValue("/home/me/key.json"), "/home/me/key.json");
    assert.equal(describeSettingValue("key.json"), "key.json");
    assert.match(
      describeSettingValue("y0_AgAAAAAsecretsecretsecret"),
      /^a value of 28 characters that is not a file path$/,
    );
    assert.equal(readFileFromDisk(path.join(work, "key.json")), keyJson);
  });
});

describe("answers and inputs that are bounded and sanitized", () => {
  it("oneLine strips newlines and ANSI escapes and caps the length", () => {
    assert.equal(oneLine("denied\nrequestId: fake\u001b[31m red\u001b[0m"), "denied requestId: fake  red ");
    const long = oneLine("x".repeat(10_000));
    assert.ok(long.length < 600);
    assert.match(long, /cut at 500 characters/);
  });
  it("acceptRequestId takes sane ids only", () => {
    assert.equal(
      acceptRequestId("0f3a9c1e-8a7b-4c1d-9e2f-123456789abc"),
      "0f3a9c1e-8a7b-4c1d-9e2f-123456789abc",
    );
    for (const bad of ["id\nInjected: line", "\u001b[31mred", "x".repeat(129), "", 42, undefined]) {
      assert.equal(acceptRequestId(bad), undefined, JSON.stringify(bad));
    }
  });
  it("validation never prints back a value that could be a credential", () => {
    const secret = "t1.9euelZqPx5WXlsmQkYqZncuclpqJk.QXJuV0tZ";
    const reasons = [...validateRenewBefore(secret), ...validateServiceAccountId("y0_AgAAAAA-secret")].map(
      (f) => f.reason,
    );
    assert.equal(reasons.length, 2);
    for (const reason of reasons) {
      assert.ok(!reason.includes("9euelZqPx5") && !reason.includes("y0_AgAAAAA"), reason);
      assert.match(reason, /a string of \d+ characters \(not shown/);
    }
    assert.equal(describeInput("PT1 hour"), '"PT1 hour"');
  });
  it("hasYandexIamTokenShape: Yandex forms, with and without padding; not another cloud's token", () => {
    assert.equal(hasYandexIamTokenShape(`t1.9euelZqPx5WXlsmQkYqZ==.${"A".repeat(86)}=`), true);
    assert.equal(hasYandexIamTokenShape(`t1.abc.${"B".repeat(86)}`), true);
    assert.equal(hasYandexIamTokenShape("CggVAgAAABoBMRKABFoGmCh0Sw"), true);
    assert.equal(hasYandexIamTokenShape("ya29.a0AfH6SMBx-google-access-token"), false);
    assert.equal(hasYandexIamTokenShape("t1.only-one-dot"), false);
  });
});

describe("delete with revokeOnDelete of a token that is already gone", () => {
  function providerWithRevokeAnswer(error: IamApiError) {
    const reports: string[] = [];
    const issuer: TokenIssuer = {
      createTokenForServiceAccount: () => Promise.reject(new Error("not expected")),
      revokeToken: () => Promise.reject(error),
    };
    const clock = new ManualClock("2026-11-28T12:00:00Z");
    const provider = createTokenProvider({
      createClock: () => clock,
      createSession: () => issuer,
      report: (m) => reports.push(m),
    });
    const props = {
      serviceAccountId: "ajegone0000000000001",
      renewBefore: "PT1H",
      revokeOnDelete: true,
      iamToken: "t1.gone.token",
      expiresAt: "2026-11-28T18:00:00Z",
    };
    return { provider, props, reports };
  }
  const failure = (httpStatus: number, grpcCode: number) =>
    new IamApiError({
      operation: "revoke",
      kind: "http",
      httpStatus,
      grpcCode,
      serverMessage: "x",
      requestId: "req-1",
      attempts: 1,
      retryable: false,
    });

  for (const [httpStatus, grpcCode] of [
    [400, 3],
    [404, 5],
  ] as const) {
    it(`HTTP ${httpStatus}: delete succeeds and says the token was already gone`, async () => {
      const { provider, props, reports } = providerWithRevokeAnswer(failure(httpStatus, grpcCode));
      await provider.delete("id", props);
      assert.match(
        reports.join("\n"),
        /already revoked, expired or unknown to the IAM API .*requestId req-1/,
      );
    });
  }

  it("HTTP 403: delete fails and says how to get out", async () => {
    const { provider, props } = providerWithRevokeAnswer(failure(403, 7));
    await assert.rejects(
      () => provider.delete("id", props),
      /set `revokeOnDelete: false` on it, run `pulumi up`, then `pulumi destroy`/,
    );
  });
});
