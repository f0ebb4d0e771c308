/**
 * Each credential source, precedence and the conflict / nothing-found errors, against the
 * emulator over real HTTP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { CredentialsError } from "../../provider/errors";
import type { IamSession } from "../../provider/session";
import {
  type Fixture,
  IDS,
  LeakCollector,
  counts,
  makeSession,
  rejection,
  tempDir,
  useClientFixture,
} from "./support";

const leaks = new LeakCollector();
let fx: Fixture;
useClientFixture(leaks, (fixture) => (fx = fixture));

/** Creates a token for `target` and checks with the emulator that it belongs to `target`. */
async function assertIssuesTargetToken(session: IamSession): Promise<void> {
  const issued = await session.createTokenForServiceAccount(IDS.target);
  leaks.secret(issued.iamToken);
  const who = await fx.emu.admin.whoami(issued.iamToken);
  assert.equal(who.subjectId, IDS.target);
  assert.equal(issued.expiresAtMs, Date.parse(issued.expiresAt.replace(/(\.\d{3})\d+/, "$1")));
}

function homeWithYcConfig(yaml: string): string {
  const home = tempDir();
  const dir = path.join(home, ".config", "yandex-cloud");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.yaml"), yaml);
  return home;
}

/** A loopback port with nothing listening (bound then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test("stack config yandex:token (IAM token) is used as-is: no exchange", async () => {
  const { session } = makeSession(fx, leaks, { stackConfig: { "yandex:token": fx.userIamToken } });
  await assertIssuesTargetToken(session);
  assert.equal(session.credentialSource, "stack config yandex:token (IAM token)");
  const c = await counts(fx);
  assert.equal(c.create, 0);
  assert.equal(c.createForServiceAccount, 1);
});

test("stack config yandex:serviceAccountKeyFile (path): JWT exchange, then createForServiceAccount", async () => {
  const file = path.join(tempDir(), "key.json");
  fs.writeFileSync(file, fx.keyFileJson);
  const { session } = makeSession(fx, leaks, { stackConfig: { "yandex:serviceAccountKeyFile": file } });
  await assertIssuesTargetToken(session);
  assert.match(session.credentialSource, /^stack config yandex:serviceAccountKeyFile \(key /);
  const requests = (await fx.emu.admin.requests()).filter((r) => r.method !== "whoami");
  assert.deepEqual(
    requests.map((r) => [r.method, r.status, r.subjectId]),
    [
      ["create", 200, IDS.callerSa],
      ["createForServiceAccount", 200, IDS.callerSa],
    ],
  );
});

test("environment YC_TOKEN holding an IAM token (t1.x.y)", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  await assertIssuesTargetToken(session);
  assert.equal(session.credentialSource, "environment YC_TOKEN (IAM token)");
  assert.equal((await counts(fx)).create, 0);
});

test("environment YC_TOKEN holding an OAuth token: exchanged once, then reused", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.oauthToken } });
  await assertIssuesTargetToken(session);
  await assertIssuesTargetToken(session);
  assert.equal(session.credentialSource, "environment YC_TOKEN (OAuth token)");
  const c = await counts(fx);
  assert.equal(c.create, 1);
  assert.equal(c.createForServiceAccount, 2);
});

test("environment YC_SERVICE_ACCOUNT_KEY_FILE as a path and as the JSON itself", async () => {
  const file = path.join(tempDir(), "key.json");
  fs.writeFileSync(file, fx.keyFileJson);
  for (const value of [file, fx.keyFileJson]) {
    const { session } = makeSession(fx, leaks, { env: { YC_SERVICE_ACCOUNT_KEY_FILE: value } });
    await assertIssuesTargetToken(session);
    assert.match(session.credentialSource, /^environment YC_SERVICE_ACCOUNT_KEY_FILE \(key /);
  }
  assert.equal((await counts(fx)).create, 2);
});

test("yc CLI active profile: token (OAuth) and inline service-account-key", async () => {
  const tokenHome = homeWithYcConfig(
    `current: work\nprofiles:\n  other:\n    token: not-this-one\n  work:\n    token: ${fx.oauthToken}\n    folder-id: ${IDS.folder}\n`,
  );
  let { session } = makeSession(fx, leaks, { homeDir: tokenHome });
  await assertIssuesTargetToken(session);
  assert.match(session.credentialSource, /^yc CLI profile "work" .* token \(OAuth token\)$/);

  // YAML is a superset of JSON, so the key can be written as a flow mapping, as a dump would.
  const keyHome = homeWithYcConfig(
    `current: sa\nprofiles:\n  sa:\n    service-account-key: ${JSON.stringify(JSON.parse(fx.keyFileJson))}\n`,
  );
  ({ session } = makeSession(fx, leaks, { homeDir: keyHome }));
  await assertIssuesTargetToken(session);
  assert.match(session.credentialSource, /^yc CLI profile "sa" .* service-account-key/);
  assert.equal((await counts(fx)).create, 2);
});

test("yc CLI profile instance-service-account: true uses the metadata service", async () => {
  const home = homeWithYcConfig("current: vm\nprofiles:\n  vm:\n    instance-service-account: true\n");
  const { session } = makeSession(fx, leaks, {
    homeDir: home,
    env: { YC_METADATA_ADDR: `127.0.0.1:${fx.emu.port}` },
  });
  await assertIssuesTargetToken(session);
  const requests = (await fx.emu.admin.requests()).filter((r) => r.method !== "whoami");
  assert.deepEqual(
    requests.map((r) => r.method),
    ["metadataToken", "createForServiceAccount"],
  );
  assert.equal(requests[1].subjectId, IDS.vmSa);
});

test("metadata service as the last resort, at YC_METADATA_ADDR", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_METADATA_ADDR: `127.0.0.1:${fx.emu.port}` } });
  await assertIssuesTargetToken(session);
  assert.equal(
    session.credentialSource,
    `instance metadata service at http://127.0.0.1:${fx.emu.port} (YC_METADATA_ADDR)`,
  );
  const c = await counts(fx);
  assert.equal(c.metadataToken, 1);
  assert.equal(c.createForServiceAccount, 1);
});

test("precedence: stack config over environment over yc profile over metadata", async () => {
  const home = homeWithYcConfig(
    "current: p\nprofiles:\n  p:\n    token: y0_profile_token_that_is_not_registered\n",
  );
  const env = { YC_TOKEN: fx.oauthToken, YC_METADATA_ADDR: `127.0.0.1:${fx.emu.port}` };
  let probe = makeSession(fx, leaks, {
    homeDir: home,
    env,
    stackConfig: { "yandex:token": fx.userIamToken },
  });
  await assertIssuesTargetToken(probe.session);
  assert.equal(probe.session.credentialSource, "stack config yandex:token (IAM token)");
  probe = makeSession(fx, leaks, { homeDir: home, env });
  await assertIssuesTargetToken(probe.session);
  assert.equal(probe.session.credentialSource, "environment YC_TOKEN (OAuth token)");
  probe = makeSession(fx, leaks, { homeDir: home, env: { YC_METADATA_ADDR: env.YC_METADATA_ADDR } });
  assert.match(probe.session.credentialSource, /^yc CLI profile "p"/);
  const c = await counts(fx);
  assert.equal(c.metadataToken, 0, "metadata never consulted while something else is configured");
  assert.equal(c.create, 1);
});

test("stack config yandex-iam-token:iamEndpoint wins over YC_IAM_ENDPOINT", async () => {
  const { session } = makeSession(fx, leaks, {
    stackConfig: { "yandex:token": fx.userIamToken, "yandex-iam-token:iamEndpoint": fx.emu.baseUrl },
    env: { YC_IAM_ENDPOINT: "http://127.0.0.1:9" },
  });
  assert.equal(session.endpoint, fx.emu.baseUrl);
  await assertIssuesTargetToken(session);
});

test("a token and a key file at one level: an error naming both, and no request", async () => {
  const cases: [Record<string, string>, NodeJS.ProcessEnv, RegExp][] = [
    [
      { "yandex:token": fx.oauthToken, "yandex:serviceAccountKeyFile": fx.keyFileJson },
      {},
      /yandex:token and yandex:serviceAccountKeyFile are both set/,
    ],
    [
      {},
      { YC_TOKEN: fx.userIamToken, YC_SERVICE_ACCOUNT_KEY_FILE: fx.keyFileJson },
      /YC_TOKEN and YC_SERVICE_ACCOUNT_KEY_FILE are both set/,
    ],
  ];
  for (const [stackConfig, env, pattern] of cases) {
    const { session } = makeSession(fx, leaks, { stackConfig, env });
    const error = await rejection(session.createTokenForServiceAccount(IDS.target), leaks);
    assert.ok(error instanceof CredentialsError);
    assert.match(error.message, pattern);
  }
  const c = await counts(fx);
  assert.equal(c.create + c.createForServiceAccount + c.metadataToken, 0);
});

test("nothing configured and no metadata service: one error naming every place tried", async () => {
  const port = await deadPort();
  const home = tempDir();
  const { session } = makeSession(fx, leaks, {
    homeDir: home,
    env: { YC_METADATA_ADDR: `127.0.0.1:${port}` },
  });
  const error = await rejection<CredentialsError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.ok(error instanceof CredentialsError);
  assert.match(error.message, /^No Yandex Cloud credentials found/);
  assert.equal(error.tried.length, 4);
  assert.match(error.message, /\(1\) stack config yandex:token \/ yandex:serviceAccountKeyFile: not set/);
  assert.match(error.message, /\(2\) environment YC_TOKEN \/ YC_SERVICE_ACCOUNT_KEY_FILE: not set/);
  assert.ok(
    error.message.includes(
      `(3) yc CLI config ${path.join(home, ".config", "yandex-cloud", "config.yaml")}: file not found`,
    ),
  );
  assert.ok(
    error.message.includes(
      `(4) instance metadata service at http://127.0.0.1:${port} (YC_METADATA_ADDR): no answer`,
    ),
  );
  assert.equal((await counts(fx)).createForServiceAccount, 0);
});

test("a bad key file is reported without its content", async () => {
  const broken = fx.keyFileJson.replace('"service_account_id"', '"sa_id"');
  const { session } = makeSession(fx, leaks, { env: { YC_SERVICE_ACCOUNT_KEY_FILE: broken } });
  const error = await rejection(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.ok(error instanceof CredentialsError);
  assert.match(error.message, /lacks the field\(s\) service_account_id/);
});

test("leak check self-test: the collector does catch a leak", () => {
  const probe = new LeakCollector();
  probe.secret("y0_secret_for_the_self_test_000000");
  probe.logger("harmless line");
  probe.assertNoLeaks();
  probe.error(new Error("oops y0_secret_for_the_self_test_000000"));
  assert.throws(() => probe.assertNoLeaks(), /no secret in any log line or error/);
});

test("leak check: no secret in anything logged or thrown in this file", () => {
  leaks.assertNoLeaks();
});
