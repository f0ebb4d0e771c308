/**
 * Retryable and non-retryable failures, Retry-After, timeout, re-authentication after 401,
 * single flight, malformed answers, endpoint rules and TLS, against the emulator over real HTTP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { IamApiClient, type IssuedToken } from "../../provider/apiClient";
import { ManualClock, systemClock } from "../../provider/clock";
import { CredentialsError, IamApiError } from "../../provider/errors";
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

function oauthSession(over: Parameters<typeof makeSession>[2] = {}) {
  return makeSession(fx, leaks, { ...over, env: { YC_TOKEN: fx.oauthToken, ...over.env } });
}

async function issue(session: IamSession, id = IDS.target): Promise<IssuedToken> {
  const issued = await session.createTokenForServiceAccount(id);
  leaks.secret(issued.iamToken);
  return issued;
}

for (const status of [429, 500, 502, 503, 504] as const) {
  test(`HTTP ${status} is retried and the second attempt succeeds`, async () => {
    const { session, waits } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status });
    await issue(session);
    assert.equal((await counts(fx)).createForServiceAccount, 2);
    assert.equal(waits.length, 1);
    assert.ok(leaks.texts.some((t) => t.includes(`attempt 1/8 failed`) && t.includes(`HTTP ${status}`)));
  });
}

test("429 with Retry-After: the wait honours the header", async () => {
  const { session, waits } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  await fx.emu.admin.addFault({
    method: "createForServiceAccount",
    kind: "status",
    status: 429,
    retryAfterSeconds: 3,
  });
  await issue(session);
  assert.deepEqual(waits, [3000], "the backoff (at most 1 ms here) is raised to the Retry-After");
  assert.equal((await counts(fx)).createForServiceAccount, 2);
});

test("a dropped connection is retried", async () => {
  const { session, waits } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "drop" });
  await issue(session);
  assert.equal((await counts(fx)).createForServiceAccount, 2);
  assert.equal(waits.length, 1);
});

test("retries are bounded: persistent 503 fails after maxAttempts with an informative error", async () => {
  const { session } = makeSession(fx, leaks, {
    env: { YC_TOKEN: fx.userIamToken },
    retryPolicy: { maxAttempts: 3, baseDelayMs: 1 },
  });
  await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 503, count: 10 });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.ok(error instanceof IamApiError);
  assert.equal(error.httpStatus, 503);
  assert.equal(error.grpcCodeName, "UNAVAILABLE");
  assert.equal(error.attempts, 3);
  assert.equal(error.retried, true);
  assert.ok(error.requestId, "requestId from the google.rpc.Status body");
  assert.ok(error.message.includes(error.requestId!));
  assert.equal((await counts(fx)).createForServiceAccount, 3);
});

test("the exchange itself is retried too (503 on create)", async () => {
  const { session } = oauthSession();
  await fx.emu.admin.addFault({ method: "create", kind: "status", status: 503 });
  await issue(session);
  assert.equal((await counts(fx)).create, 2);
});

test("400 INVALID_ARGUMENT (id longer than 50 characters) is not retried", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount("a".repeat(51)), leaks);
  assert.equal(error.httpStatus, 400);
  assert.equal(error.grpcCodeName, "INVALID_ARGUMENT");
  assert.equal(error.attempts, 1);
  assert.equal((await counts(fx)).createForServiceAccount, 1);
});

test("403 PERMISSION_DENIED names the missing tokenCreator role and is not retried", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.noRole), leaks);
  assert.equal(error.httpStatus, 403);
  assert.equal(error.grpcCodeName, "PERMISSION_DENIED");
  assert.equal(error.serviceAccountId, IDS.noRole);
  assert.match(error.message, /iam\.serviceAccounts\.tokenCreator on service account ajenorole00000000001/);
  assert.equal((await counts(fx)).createForServiceAccount, 1);
});

test("404 NOT_FOUND for an unknown service account is not retried", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  const error = await rejection<IamApiError>(
    session.createTokenForServiceAccount("ajeunknown0000000001"),
    leaks,
  );
  assert.equal(error.httpStatus, 404);
  assert.equal(error.grpcCodeName, "NOT_FOUND");
  assert.match(error.message, /does not exist/);
  assert.equal((await counts(fx)).createForServiceAccount, 1);
});

test("401 with a fixed IAM token: not retried, no re-authentication", async () => {
  const { iamToken } = await fx.emu.admin.mintIamToken(IDS.user);
  leaks.secret(iamToken);
  await fx.emu.admin.resetRequests();
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: iamToken } });
  await issue(session);
  await fx.emu.admin.revokeAllTokens(IDS.user);
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.equal(error.httpStatus, 401);
  assert.equal(error.grpcCodeName, "UNAUTHENTICATED");
  assert.match(error.message, /yc iam create-token/);
  const c = await counts(fx);
  assert.equal(c.createForServiceAccount, 2);
  assert.equal(c.create, 0);
});

test("401 with an exchanged caller token: exactly one re-authentication, then success", async () => {
  const { session } = oauthSession();
  await issue(session);
  await fx.emu.admin.revokeAllTokens(IDS.user);
  await fx.emu.admin.resetRequests();
  await issue(session);
  const requests = (await fx.emu.admin.requests()).filter((r) => r.method !== "whoami");
  assert.deepEqual(
    requests.map((r) => [r.method, r.status]),
    [
      ["createForServiceAccount", 401],
      ["create", 200],
      ["createForServiceAccount", 200],
    ],
  );
  assert.ok(
    leaks.texts.some((t) => t.includes("re-authenticating once from environment YC_TOKEN (OAuth token)")),
  );
});

test("re-authentication happens at most once: a second 401 is returned, not looped on", async () => {
  // The caller (a service account key) gets 1-second tokens, and every createForServiceAccount
  // is served 1.5 s late, so the emulator sees an expired caller token both times.
  await fx.emu.admin.updateServiceAccount(IDS.callerSa, { tokenLifetimeSeconds: 1 });
  try {
    const { session } = makeSession(fx, leaks, { env: { YC_SERVICE_ACCOUNT_KEY_FILE: fx.keyFileJson } });
    await fx.emu.admin.addFault({
      method: "createForServiceAccount",
      kind: "latency",
      latencyMs: 1500,
      count: 2,
    });
    const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
    assert.equal(error.httpStatus, 401);
    assert.equal(error.grpcCodeName, "UNAUTHENTICATED");
    const requests = (await fx.emu.admin.requests()).filter((r) => r.method !== "whoami");
    assert.deepEqual(
      requests.map((r) => [r.method, r.status]),
      [
        ["create", 200],
        ["createForServiceAccount", 401],
        ["create", 200],
        ["createForServiceAccount", 401],
      ],
    );
  } finally {
    await fx.emu.admin.updateServiceAccount(IDS.callerSa, { tokenLifetimeSeconds: 43200 });
  }
});

test("single flight: 50 concurrent calls share one exchange", async () => {
  const { session } = oauthSession();
  const results = await Promise.all(Array.from({ length: 50 }, () => issue(session)));
  assert.equal(results.length, 50);
  const c = await counts(fx);
  assert.equal(c.create, 1);
  assert.equal(c.createForServiceAccount, 50);
});

test("a malformed answer (not JSON, or missing fields) is a clear non-retried error", async () => {
  for (const malformed of ["notJson", "missingFields"] as const) {
    await fx.emu.admin.resetRequests();
    const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "malformed", malformed });
    const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
    assert.equal(error.kind, "malformed");
    assert.equal(error.retryable, false);
    assert.equal(error.attempts, 1);
    assert.match(error.message, /malformed response \(HTTP 200\)/);
    assert.equal((await counts(fx)).createForServiceAccount, 1);
  }
});

test("expiresAt is kept exactly as received with 9 fraction digits; ms arithmetic truncates", async () => {
  await fx.emu.admin.updateSettings({ expiresAtFormat: "nanos", reuseTokens: false });
  try {
    const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    const issued = await issue(session);
    assert.match(issued.expiresAt, /\.\d{9}Z$/);
    assert.equal(issued.expiresAtMs, Date.parse(issued.expiresAt.replace(/(\.\d{3})\d{6}Z$/, "$1Z")));
  } finally {
    await fx.emu.admin.updateSettings({ expiresAtFormat: "alternate", reuseTokens: true });
  }
});

test("revokeToken revokes the token (the emulator no longer accepts it)", async () => {
  const { session } = oauthSession();
  await fx.emu.admin.updateSettings({ reuseTokens: false });
  try {
    const issued = await issue(session);
    await session.revokeToken(issued.iamToken);
    await assert.rejects(fx.emu.admin.whoami(issued.iamToken), /HTTP 401/);
    assert.equal((await counts(fx)).revoke, 1);
  } finally {
    await fx.emu.admin.updateSettings({ reuseTokens: true });
  }
});

test("plain http to a non-loopback host is rejected before any request", async () => {
  const { session } = makeSession(fx, leaks, {
    stackConfig: {
      "yandex:token": fx.userIamToken,
      "yandex-iam-token:iamEndpoint": "http://iam.example.com",
    },
  });
  const error = await rejection(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.ok(error instanceof CredentialsError);
  assert.match(
    error.message,
    /stack config yandex-iam-token:iamEndpoint http:\/\/iam\.example\.com uses plain http/,
  );
  assert.throws(
    () => new IamApiClient({ clock: systemClock, baseUrl: "http://10.0.0.1:8080" }),
    CredentialsError,
  );
});

test("https: the emulator's self-signed certificate is trusted through YC_IAM_CA_CERT_FILE, rejected without", async () => {
  const tlsLeaks = leaks;
  const emu = await startEmulator({
    port: 0,
    tls: true,
    seed: {
      serviceAccounts: [{ id: IDS.target, folderId: IDS.folder }],
      users: [{ id: IDS.user }],
      roleBindings: [
        { subjectId: IDS.user, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.target },
      ],
    },
  });
  try {
    assert.match(emu.baseUrl, /^https:/);
    const { token } = await emu.admin.createOAuthToken(IDS.user);
    tlsLeaks.secret(token);
    const caFile = path.join(tempDir(), "ca.pem");
    fs.writeFileSync(caFile, emu.caCertPem!);
    const tlsFx = { ...fx, emu };
    const trusted = makeSession(tlsFx, tlsLeaks, { env: { YC_TOKEN: token, YC_IAM_CA_CERT_FILE: caFile } });
    const issued = await issue(trusted.session);
    assert.equal((await emu.admin.whoami(issued.iamToken)).subjectId, IDS.target);

    const untrusted = makeSession(tlsFx, tlsLeaks, { env: { YC_TOKEN: token } });
    const error = await rejection<IamApiError>(
      untrusted.session.createTokenForServiceAccount(IDS.target),
      tlsLeaks,
    );
    assert.equal(error.kind, "tls");
    assert.equal(error.attempts, 1, "an untrusted certificate is not retried");
    assert.match(error.message, /YC_IAM_CA_CERT_FILE/);
  } finally {
    await emu.close();
  }
});

test("the API client alone: metadata expires_in becomes an absolute instant from the clock", async () => {
  const clock = new ManualClock("2026-11-28T10:00:00Z");
  const client = new IamApiClient({ clock, baseUrl: fx.emu.baseUrl });
  const token = await client.metadataToken(fx.emu.baseUrl);
  leaks.secret(token.iamToken);
  assert.ok(token.expiresAtMs > clock.now().toMillis());
  assert.equal(token.expiresAt, new Date(token.expiresAtMs).toISOString().replace(".000Z", "Z"));
});

// Last but the leak check: the emulator still serves the abandoned requests 1 s later, which
// would show up in the next test's counts.
test("timeout: an answer slower than the per-attempt timeout is abandoned and retried", async () => {
  const { session } = makeSession(fx, leaks, {
    env: { YC_TOKEN: fx.userIamToken },
    requestTimeoutMs: 100,
    retryPolicy: { maxAttempts: 2, baseDelayMs: 1 },
  });
  await fx.emu.admin.addFault({
    method: "createForServiceAccount",
    kind: "latency",
    latencyMs: 1000,
    count: 2,
  });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.equal(error.kind, "timeout");
  assert.equal(error.grpcCodeName, "DEADLINE_EXCEEDED");
  assert.equal(error.httpStatus, undefined);
  assert.equal(error.attempts, 2);
  assert.match(error.message, /within 100 ms/);
  await fx.emu.admin.addFault({
    method: "createForServiceAccount",
    kind: "latency",
    latencyMs: 1000,
    count: 1,
  });
  const { session: s2 } = makeSession(fx, leaks, {
    env: { YC_TOKEN: fx.userIamToken },
    requestTimeoutMs: 100,
  });
  await issue(s2);
});

test("leak check: no secret in anything logged or thrown in this file", () => {
  leaks.assertNoLeaks();
});
