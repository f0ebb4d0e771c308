import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { IssuedToken } from "../../provider/apiClient";
import { ManualClock } from "../../provider/clock";
import { parseInstantMs } from "../../provider/instants";
import {
  PULUMI_UNKNOWN_VALUE as UNKNOWN,
  type SessionSettings,
  type TokenIssuer,
  type TokenOutputs,
  type TokenProvider,
  createTokenProvider,
  serviceAccountIdFromResourceId,
} from "../../provider/tokenProvider";

const SA = "ajeunit0000000000001";
const START = "2026-11-28T12:00:00Z";

/** A session that records every IAM call and issues numbered tokens expiring 12 h after the clock's now. */
class RecordingIssuer implements TokenIssuer {
  readonly calls: string[] = [];
  private issued = 0;
  constructor(private readonly clock: ManualClock) {}
  async createTokenForServiceAccount(serviceAccountId: string): Promise<IssuedToken> {
    this.calls.push(`createForServiceAccount ${serviceAccountId}`);
    const expires = this.clock.now().plus({ hours: 12 });
    return {
      iamToken: `t1.issued-${++this.issued}.unit`,
      expiresAt: expires.toISO()!,
      expiresAtMs: expires.toMillis(),
    };
  }
  async revokeToken(iamToken: string): Promise<void> {
    this.calls.push(`revoke ${iamToken}`);
  }
}

interface Harness {
  provider: TokenProvider;
  clock: ManualClock;
  issuer: RecordingIssuer;
  reports: string[];
  sessions: SessionSettings[];
}

function harness(): Harness {
  const clock = new ManualClock(START);
  const issuer = new RecordingIssuer(clock);
  const reports: string[] = [];
  const sessions: SessionSettings[] = [];
  const provider = createTokenProvider({
    createClock: () => clock,
    report: (message) => reports.push(message),
    createSession: (settings) => {
      sessions.push(settings);
      return issuer;
    },
  });
  return { provider, clock, issuer, reports, sessions };
}

/** Outputs of a token that expires `ms` after the harness clock's start. */
function outputsExpiringIn(ms: number, overrides: Partial<TokenOutputs> = {}): TokenOutputs {
  return {
    serviceAccountId: SA,
    renewBefore: "PT1H",
    revokeOnDelete: false,
    iamToken: "t1.stored-token.unit",
    expiresAt: new Date(parseInstantMs(START)! + ms).toISOString(),
    ...overrides,
  };
}

describe("token provider: check", () => {
  it("is Pulumi's own unknown-value sentinel", () => {
    assert.equal(UNKNOWN, pulumi.runtime.unknownValue);
  });

  it("keeps absent properties absent and skips unknown values, with no IAM call", async () => {
    const h = harness();
    const result = await h.provider.check({}, { serviceAccountId: UNKNOWN, renewBefore: UNKNOWN });
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.inputs, { serviceAccountId: UNKNOWN, renewBefore: UNKNOWN });
    const minimal = await h.provider.check({}, { serviceAccountId: SA, renewBefore: undefined });
    assert.deepEqual(minimal.inputs, { serviceAccountId: SA });
    assert.deepEqual(h.issuer.calls, []);
    assert.deepEqual(h.sessions, [], "no session is even built");
  });

  it("reports every bad property at once", async () => {
    const result = await harness().provider.check(
      {},
      { serviceAccountId: "bad-id", renewBefore: "PT13H", revokeOnDelete: "no" },
    );
    assert.deepEqual(
      result.failures.map((f) => f.property),
      ["serviceAccountId", "renewBefore", "revokeOnDelete"],
    );
  });
});

describe("token provider: diff never calls the IAM API", () => {
  it("a fresh token is no change", async () => {
    const h = harness();
    assert.deepEqual(await h.provider.diff("id", outputsExpiringIn(2 * 3600_000), { serviceAccountId: SA }), {
      changes: false,
    });
    assert.deepEqual(h.reports, []);
    assert.deepEqual(h.issuer.calls, []);
  });

  it("the renewal window opens exactly renewBefore before expiry, on the manual clock", async () => {
    const h = harness();
    const olds = outputsExpiringIn(2 * 3600_000);
    h.clock.advance({ hours: 1, milliseconds: -1 });
    assert.deepEqual(await h.provider.diff("id", olds, { serviceAccountId: SA }), { changes: false });
    h.clock.advance({ milliseconds: 1 });
    assert.deepEqual(await h.provider.diff("id", olds, { serviceAccountId: SA }), { changes: true });
    assert.match(
      h.reports.join("\n"),
      new RegExp(
        `service account ${SA} expires at .* \\(in 1h\\), inside its renewal window \\(renewBefore PT1H\\)`,
      ),
    );
    assert.ok(!h.reports.join("").includes("t1.stored-token"), "the token is never reported");
    assert.deepEqual(h.issuer.calls, []);
  });

  it("an expired token is an update, with how long ago it expired", async () => {
    const h = harness();
    assert.deepEqual(await h.provider.diff("id", outputsExpiringIn(-90 * 60_000), { serviceAccountId: SA }), {
      changes: true,
    });
    assert.match(h.reports.join("\n"), /expired at .* \(1h 30m ago\)/);
    assert.deepEqual(h.issuer.calls, []);
  });

  it("a per-token renewBefore decides, not the default", async () => {
    const h = harness();
    const olds = outputsExpiringIn(45 * 60_000, { renewBefore: "PT30M" });
    assert.deepEqual(await h.provider.diff("id", olds, { serviceAccountId: SA, renewBefore: "PT30M" }), {
      changes: false,
    });
  });

  it("a new or unknown serviceAccountId replaces", async () => {
    const h = harness();
    const olds = outputsExpiringIn(5 * 3600_000);
    for (const serviceAccountId of ["ajeother000000000002", UNKNOWN]) {
      assert.deepEqual(await h.provider.diff("id", olds, { serviceAccountId }), {
        changes: true,
        replaces: ["serviceAccountId"],
        deleteBeforeReplace: false,
      });
    }
    assert.deepEqual(h.issuer.calls, []);
  });

  it("outputs written before renewBefore/revokeOnDelete existed are defaults, not a change", async () => {
    const olds: Partial<TokenOutputs> = outputsExpiringIn(5 * 3600_000);
    delete olds.renewBefore;
    delete olds.revokeOnDelete;
    assert.deepEqual(await harness().provider.diff("id", olds, { serviceAccountId: SA }), { changes: false });
  });
});

describe("token provider: create and update", () => {
  it("create issues one token, with an id that is not the token", async () => {
    const h = harness();
    const { id, outs } = await h.provider.create({ serviceAccountId: SA });
    assert.deepEqual(h.issuer.calls, [`createForServiceAccount ${SA}`]);
    assert.match(id, new RegExp(`^${SA}/[0-9a-f]{12}$`));
    assert.deepEqual(outs, {
      serviceAccountId: SA,
      renewBefore: "PT1H",
      revokeOnDelete: false,
      iamToken: "t1.issued-1.unit",
      expiresAt: "2026-11-29T00:00:00.000Z",
    });
  });

  it("a settings change on a fresh token keeps the token and calls nothing", async () => {
    const h = harness();
    const olds = outputsExpiringIn(5 * 3600_000);
    const news = { serviceAccountId: SA, renewBefore: "PT2H", revokeOnDelete: true };
    assert.deepEqual(await h.provider.diff("id", olds, news), { changes: true });
    const { outs } = await h.provider.update("id", olds, news);
    assert.deepEqual(outs, { ...olds, renewBefore: "PT2H", revokeOnDelete: true });
    assert.deepEqual(h.issuer.calls, []);
  });

  it("update renews a due token with one call", async () => {
    const h = harness();
    h.clock.advance({ hours: 4, minutes: 30 });
    const { outs } = await h.provider.update("id", outputsExpiringIn(5 * 3600_000), { serviceAccountId: SA });
    assert.deepEqual(h.issuer.calls, [`createForServiceAccount ${SA}`]);
    assert.equal(outs.iamToken, "t1.issued-1.unit");
  });

  it("the session is built once, from the stack config that configure received", async () => {
    const h = harness();
    await h.provider.configure({
      config: { get: (key) => (key === "yandex:token" ? "y0_config" : undefined) },
    });
    await h.provider.create({ serviceAccountId: SA });
    await h.provider.create({ serviceAccountId: SA });
    assert.equal(h.sessions.length, 1);
    assert.equal(h.sessions[0].stackConfig["yandex:token"], "y0_config");
  });
});

describe("token provider: read never calls the IAM API", () => {
  it("returns a fresh stored token as is", async () => {
    const h = harness();
    const props = outputsExpiringIn(5 * 3600_000);
    assert.deepEqual(await h.provider.read(`${SA}/abc123`, { ...props }), { id: `${SA}/abc123`, props });
    assert.deepEqual(h.issuer.calls, []);
    assert.deepEqual(h.reports, []);
  });

  for (const [state, expiresInMs, pattern] of [
    ["due", 30 * 60_000, /expires at .* \(in 30m\), inside its renewal window/],
    ["expired", -2 * 3600_000, /expired at .* \(2h ago\)/],
  ] as const) {
    it(`returns a ${state} token unchanged and says the next up renews it`, async () => {
      const h = harness();
      const props = outputsExpiringIn(expiresInMs);
      assert.deepEqual(await h.provider.read(`${SA}/abc123`, { ...props }), { id: `${SA}/abc123`, props });
      assert.deepEqual(h.issuer.calls, []);
      assert.deepEqual(h.sessions, []);
      assert.match(h.reports.join("\n"), pattern);
      assert.match(h.reports.join("\n"), /refresh leaves it as it is; the next `pulumi up` renews it/);
    });
  }

  it("adopts a resource with no state (import, .get) with no token; the next plan issues one", async () => {
    const h = harness();
    const read = await h.provider.read(SA, {});
    assert.deepEqual(read, {
      id: SA,
      props: { serviceAccountId: SA, renewBefore: "PT1H", revokeOnDelete: false },
      inputs: { serviceAccountId: SA },
    });
    assert.deepEqual(h.issuer.calls, []);
    assert.match(h.reports.join("\n"), /read with no token/);
    assert.deepEqual(await h.provider.diff(SA, read.props, { serviceAccountId: SA }), { changes: true });
    assert.match(h.reports.join("\n"), /has no token in state: a new one will be issued/);
    const { outs } = await h.provider.update(SA, read.props, { serviceAccountId: SA });
    assert.equal(outs.iamToken, "t1.issued-1.unit");
    assert.deepEqual(h.issuer.calls, [`createForServiceAccount ${SA}`]);
  });

  it("of an id it cannot parse fails with the expected form", async () => {
    await assert.rejects(
      () => harness().provider.read("bad-id!/x", {}),
      /"<serviceAccountId>" or "<serviceAccountId>\/<suffix>"/,
    );
  });
});

describe("token provider: settings", () => {
  it("check refuses a stack config key of an earlier version, naming the new key", async () => {
    const h = harness();
    await h.provider.configure({
      config: { get: (key) => (key === "yandex:iamEndpoint" ? "http://127.0.0.1:1" : undefined) },
    });
    await assert.rejects(
      () => h.provider.check({}, { serviceAccountId: SA }),
      /stack config yandex:iamEndpoint is no longer read.*Move the value to yandex-iam-token:iamEndpoint/,
    );
    assert.deepEqual(h.issuer.calls, []);
  });

  it("the Yandex provider's other keys in the stack config change nothing", async () => {
    const h = harness();
    const stackConfig: Record<string, string> = {
      "yandex:cloudId": "b1gcloud",
      "yandex:folderId": "b1gfolder",
      "yandex:zone": "ru-central1-a",
      "yandex:endpoint": "api.cloud.yandex.net:443",
    };
    await h.provider.configure({ config: { get: (key) => stackConfig[key] } });
    assert.deepEqual((await h.provider.check({}, { serviceAccountId: SA })).failures, []);
    await h.provider.create({ serviceAccountId: SA });
    assert.equal(h.sessions[0].stackConfig["yandex:endpoint"], "api.cloud.yandex.net:443");
  });
});

describe("token provider: delete", () => {
  it("without revokeOnDelete makes no call", async () => {
    const h = harness();
    await h.provider.delete("id", outputsExpiringIn(5 * 3600_000));
    assert.deepEqual(h.issuer.calls, []);
    assert.deepEqual(h.sessions, []);
  });

  it("with revokeOnDelete revokes a live token once", async () => {
    const h = harness();
    await h.provider.delete("id", outputsExpiringIn(5 * 3600_000, { revokeOnDelete: true }));
    assert.deepEqual(h.issuer.calls, ["revoke t1.stored-token.unit"]);
  });

  it("with revokeOnDelete leaves an expired token alone", async () => {
    const h = harness();
    h.clock.advance({ hours: 6 });
    await h.provider.delete("id", outputsExpiringIn(5 * 3600_000, { revokeOnDelete: true }));
    assert.deepEqual(h.issuer.calls, []);
  });
});

describe("serviceAccountIdFromResourceId", () => {
  it("accepts both id forms", () => {
    assert.equal(serviceAccountIdFromResourceId(`${SA}/0a1b2c`), SA);
    assert.equal(serviceAccountIdFromResourceId(SA), SA);
    assert.equal(serviceAccountIdFromResourceId("bad-id/x"), undefined);
  });
});
