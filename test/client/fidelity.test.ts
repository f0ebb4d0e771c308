/**
 * The client against every behaviour the emulator can be switched to where the real API's is
 * documented differently from our first guess or not confirmed at all: each choice the contract
 * leaves open is tried, and the client must be right under all of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../provider/clock";
import type { IamApiError } from "../../provider/errors";
import { parseInstantMs } from "../../provider/instants";
import { REDACTED, redact } from "../../provider/redaction";
import {
  type Fixture,
  IDS,
  LeakCollector,
  counts,
  makeSession,
  rejection,
  useClientFixture,
} from "./support";

const leaks = new LeakCollector();
let fx: Fixture;
useClientFixture(leaks, (fixture) => (fx = fixture));

for (const code of ["NOT_FOUND", "PERMISSION_DENIED"] as const) {
  test(`unknown service account answered ${code}: not retried, and the advice names the likely cause`, async () => {
    await fx.emu.admin.updateSettings({ unknownServiceAccountCode: code });
    const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    const error = await rejection<IamApiError>(
      session.createTokenForServiceAccount("ajenosuchaccount0001"),
      leaks,
    );
    assert.equal(error.grpcCodeName, code);
    assert.equal(error.attempts, 1);
    assert.match(
      error.message,
      code === "NOT_FOUND" ? /does not exist/ : /service account that does not exist/,
    );
    assert.equal((await counts(fx)).createForServiceAccount, 1);
  });
}

for (const retryAfterSeconds of [undefined, 3]) {
  test(`429 ${retryAfterSeconds === undefined ? "without" : "with"} Retry-After: retried, the wait ${retryAfterSeconds === undefined ? "from the backoff" : "honours the header"}`, async () => {
    await fx.emu.admin.updateSettings({ rateLimitRetryAfterSeconds: retryAfterSeconds ?? null });
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 429 });
    const { session, waits } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    const issued = await session.createTokenForServiceAccount(IDS.target);
    leaks.secret(issued.iamToken);
    assert.equal((await counts(fx)).createForServiceAccount, 2);
    assert.equal(waits.length, 1);
    if (retryAfterSeconds === undefined)
      assert.ok(waits[0] <= 5, `backoff wait ${waits[0]} ms within the test policy`);
    else assert.equal(waits[0], retryAfterSeconds * 1000);
  });
}

test("504 carries DEADLINE_EXCEEDED: the code is named, and it is retried", async () => {
  await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 504, count: 8 });
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.equal(error.httpStatus, 504);
  assert.equal(error.grpcCodeName, "DEADLINE_EXCEEDED");
  assert.equal(error.attempts, 8);
});

test("a caller token the API rejects: the documented message is carried, with the advice", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: `t1.notissued.${"A".repeat(86)}` } });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.equal(error.grpcCodeName, "UNAUTHENTICATED");
  assert.equal(error.serverMessage, "Token is invalid or has expired.");
  assert.match(error.message, /another Yandex Cloud installation/);
});

for (const format of ["nanos", "micros", "millis", "none"] as const) {
  test(`expiresAt with ${format} fraction digits: kept exactly, parsed to the millisecond`, async () => {
    await fx.emu.admin.updateSettings({ expiresAtFormat: format, reuseTokens: false });
    const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    const issued = await session.createTokenForServiceAccount(IDS.target);
    leaks.secret(issued.iamToken);
    const digits = { nanos: 9, micros: 6, millis: 3, none: 0 }[format];
    assert.match(issued.expiresAt, new RegExp(`:\\d\\d${digits === 0 ? "" : `\\.\\d{${digits}}`}Z$`));
    assert.equal(issued.expiresAtMs, parseInstantMs(issued.expiresAt));
    assert.equal((await fx.emu.admin.whoami(issued.iamToken)).expiresAt, issued.expiresAt);
  });
}

test("padded tokens (t1.x=.y==): used as issued, and redacted by the safety net", async () => {
  await fx.emu.admin.updateSettings({ tokenPadding: "always", reuseTokens: false });
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.oauthToken } });
  const issued = await session.createTokenForServiceAccount(IDS.target);
  leaks.secret(issued.iamToken);
  assert.match(issued.iamToken, /^t1\.[A-Za-z0-9_-]+={1,2}\.[A-Za-z0-9_-]{86}={1,2}$/);
  assert.equal((await fx.emu.admin.whoami(issued.iamToken)).subjectId, IDS.target);
  assert.equal(redact(`token ${issued.iamToken} leaked`), `token ${REDACTED} leaked`);
});

for (const fraction of [0, 1]) {
  test(`token reuse threshold ${fraction}: two requests give ${fraction === 0 ? "the same" : "different"} tokens, both valid`, async () => {
    await fx.emu.admin.updateSettings({ reuseMinRemainingFraction: fraction, reuseTokens: true });
    const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.userIamToken } });
    const first = await session.createTokenForServiceAccount(IDS.target);
    const second = await session.createTokenForServiceAccount(IDS.target);
    leaks.secret(first.iamToken);
    leaks.secret(second.iamToken);
    assert.equal(first.iamToken === second.iamToken, fraction === 0);
    for (const issued of [first, second]) {
      assert.equal((await fx.emu.admin.whoami(issued.iamToken)).subjectId, IDS.target);
    }
  });
}

for (const skewSeconds of [0, 300]) {
  test(`JWT iat tolerance ${skewSeconds} s: a key exchange from a clock 2 minutes ahead is ${skewSeconds >= 120 ? "accepted" : "refused with a clear cause"}`, async () => {
    await fx.emu.admin.updateSettings({ jwtIatSkewSeconds: skewSeconds });
    const clock = new ManualClock(new Date(Date.parse(await fx.emu.admin.now()) + 120_000).toISOString());
    const { session } = makeSession(fx, leaks, {
      clock,
      env: { YC_SERVICE_ACCOUNT_KEY_FILE: fx.keyFileJson },
    });
    if (skewSeconds >= 120) {
      leaks.secret((await session.createTokenForServiceAccount(IDS.target)).iamToken);
    } else {
      const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
      assert.equal(error.operation, "createFromJwt");
      assert.equal(error.grpcCodeName, "UNAUTHENTICATED");
      assert.match(error.message, /clock is far off/);
    }
  });
}

test("metadata service with no service account attached (404): the cause and the fix", async () => {
  await fx.emu.admin.updateSettings({ metadataServiceAccountId: null });
  const { session } = makeSession(fx, leaks, { env: { YC_METADATA_ADDR: `127.0.0.1:${fx.emu.port}` } });
  const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
  assert.equal(error.operation, "metadataToken");
  assert.equal(error.httpStatus, 404);
  assert.match(
    error.message,
    /no service account is attached to this VM.*yc compute instance update <vm> --service-account-id/,
  );
});

for (const option of ["metadataGceHttpToken", "metadataGceHttpEndpoint"] as const) {
  test(`metadata service with ${option} disabled (400): the cause and the fix`, async () => {
    await fx.emu.admin.updateSettings({ [option]: "disabled" });
    const { session } = makeSession(fx, leaks, { env: { YC_METADATA_ADDR: `127.0.0.1:${fx.emu.port}` } });
    const error = await rejection<IamApiError>(session.createTokenForServiceAccount(IDS.target), leaks);
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, /token access through the metadata service is disabled for this VM/);
    assert.match(error.message, /gce-http-token=enabled/);
  });
}

test("revoke by any caller that holds the token, as documented; revoking it again is not an error for delete", async () => {
  const { session } = makeSession(fx, leaks, { env: { YC_TOKEN: fx.oauthToken } });
  const issued = await session.createTokenForServiceAccount(IDS.target);
  leaks.secret(issued.iamToken);
  const other = makeSession(fx, leaks, { env: { YC_SERVICE_ACCOUNT_KEY_FILE: fx.keyFileJson } }).session;
  await other.revokeToken(issued.iamToken);
  await assert.rejects(() => fx.emu.admin.whoami(issued.iamToken));
  const again = await rejection<IamApiError>(other.revokeToken(issued.iamToken), leaks);
  assert.equal(again.httpStatus, 400, "the token provider's delete treats this answer as 'already gone'");
});

test("no secret in anything the client produced", () => {
  leaks.assertNoLeaks();
});
