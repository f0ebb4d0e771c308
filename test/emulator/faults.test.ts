import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";
import { call, type Fixture, IDS, startFixture } from "./support";

describe("fault injection", () => {
  let fx: Fixture;
  const path = "/iam/v1/tokens:createForServiceAccount";
  const impersonate = () =>
    call(fx.emu.baseUrl, path, { token: fx.callerToken, body: { serviceAccountId: IDS.serviceAccount } });

  before(async () => {
    fx = await startFixture();
  });
  beforeEach(async () => {
    await fx.emu.admin.clearFaults();
    await fx.emu.admin.resetRequests();
  });
  after(() => fx.emu.close());

  it("fails N calls with 429 RESOURCE_EXHAUSTED and Retry-After, then recovers; counts include failures", async () => {
    const { id } = await fx.emu.admin.addFault({
      method: "createForServiceAccount",
      kind: "status",
      status: 429,
      count: 2,
      retryAfterSeconds: 7,
    });
    assert.match(id, /\S/);
    for (let i = 0; i < 2; i++) {
      const answer = await impersonate();
      assert.deepEqual([answer.status, answer.json?.code], [429, 8]);
      assert.equal(answer.headers.get("retry-after"), "7");
      assert.match(String((answer.json?.details as { requestId: string }[])[0].requestId), /^[0-9a-f-]{36}$/);
    }
    assert.equal((await impersonate()).status, 200);
    assert.equal((await fx.emu.admin.counts()).createForServiceAccount, 3);
    const log = await fx.emu.admin.requests();
    assert.deepEqual(
      log.map((e) => [e.status, e.fault ?? null]),
      [
        [429, "status:429"],
        [429, "status:429"],
        [200, null],
      ],
    );
  });

  it("429 carries no Retry-After by default; the rateLimitRetryAfterSeconds setting adds one, a rule's own wins", async () => {
    const statusOf429 = async (): Promise<string | null> => {
      await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 429 });
      const answer = await impersonate();
      assert.deepEqual([answer.status, answer.json?.code], [429, 8]);
      return answer.headers.get("retry-after");
    };
    assert.equal(await statusOf429(), null, "not documented, so not promised");
    await fx.emu.admin.updateSettings({ rateLimitRetryAfterSeconds: 11 });
    try {
      assert.equal(await statusOf429(), "11");
      await fx.emu.admin.addFault({
        method: "createForServiceAccount",
        kind: "status",
        status: 429,
        retryAfterSeconds: 2,
      });
      assert.equal((await impersonate()).headers.get("retry-after"), "2", "the rule's own value wins");
      await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 503 });
      assert.equal((await impersonate()).headers.get("retry-after"), null, "only 429s get the setting");
    } finally {
      await fx.emu.admin.updateSettings({ rateLimitRetryAfterSeconds: null });
    }
    assert.equal(await statusOf429(), null, "null clears the setting");
  });

  it("maps 500/502/503/504 to INTERNAL, UNAVAILABLE and DEADLINE_EXCEEDED Status bodies, without Retry-After unless asked", async () => {
    const expected: [number, number][] = [
      [500, 13],
      [502, 14],
      [503, 14],
      [504, 4], // documented pairing: 504 with DEADLINE_EXCEEDED
    ];
    for (const [status] of expected) {
      await fx.emu.admin.addFault({ method: "*", kind: "status", status: status as 500 | 502 | 503 | 504 });
    }
    for (const [status, code] of expected) {
      const answer = await impersonate();
      assert.deepEqual([answer.status, answer.json?.code], [status, code]);
      assert.equal(answer.headers.get("retry-after"), null);
    }
    assert.equal((await impersonate()).status, 200);
  });

  it("applies faults only to the named method, FIFO", async () => {
    await fx.emu.admin.addFault({ method: "revoke", kind: "status", status: 500 });
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "status", status: 503 });
    assert.equal((await impersonate()).status, 503, "the revoke rule does not block this one");
    const oauth = await fx.emu.admin.createOAuthToken(IDS.caller);
    const create = await call(fx.emu.baseUrl, "/iam/v1/tokens", {
      body: { yandexPassportOauthToken: oauth.token },
    });
    assert.equal(create.status, 200);
    const revoke = await call(fx.emu.baseUrl, "/iam/v1/tokens:revoke", {
      token: fx.callerToken,
      body: { iamToken: create.json?.iamToken },
    });
    assert.equal(revoke.status, 500);
  });

  it("drops the connection without an answer", async () => {
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "drop" });
    await assert.rejects(impersonate(), (error: Error) => error instanceof TypeError);
    assert.equal((await impersonate()).status, 200, "the next call is served");
    const log = await fx.emu.admin.requests();
    assert.deepEqual([log[0].status, log[0].fault], [0, "drop"]);
  });

  it("answers 200 with a non-JSON body, or JSON missing the fields", async () => {
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "malformed" });
    await fx.emu.admin.addFault({
      method: "createForServiceAccount",
      kind: "malformed",
      malformed: "missingFields",
    });
    const notJson = await impersonate();
    assert.equal(notJson.status, 200);
    assert.equal(notJson.json, undefined);
    const missing = await impersonate();
    assert.equal(missing.status, 200);
    assert.ok(missing.json !== undefined && !("iamToken" in missing.json));
  });

  it("adds latency (measured on the real clock), then serves normally", async () => {
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "latency", latencyMs: 150 });
    const started = performance.now();
    const answer = await impersonate();
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 200);
    assert.ok(elapsed >= 140, `elapsed ${elapsed}`);
    const quick = performance.now();
    await impersonate();
    assert.ok(performance.now() - quick < 140, "only one request was delayed");
  });

  it("applies probabilistic faults reproducibly for a given seed", async () => {
    const run = async (): Promise<number[]> => {
      await fx.emu.admin.clearFaults();
      await fx.emu.admin.addFault({
        method: "*",
        kind: "status",
        status: 503,
        count: 1000,
        probability: 0.5,
        seed: 42,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await impersonate()).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(second, first);
    assert.ok(first.includes(503) && first.includes(200), first.join(","));
  });

  it("applies to the metadata service and clears with DELETE", async () => {
    await fx.emu.admin.updateSettings({ metadataServiceAccountId: IDS.serviceAccount });
    await fx.emu.admin.addFault({ method: "metadataToken", kind: "status", status: 503, count: 5 });
    const path = "/computeMetadata/v1/instance/service-accounts/default/token";
    const headers = { "Metadata-Flavor": "Google" };
    assert.equal((await call(fx.emu.baseUrl, path, { headers })).status, 503);
    await fx.emu.admin.clearFaults();
    assert.equal((await call(fx.emu.baseUrl, path, { headers })).status, 200);
  });

  it("validates fault rules", async () => {
    for (const fault of [
      { method: "nope", kind: "status" },
      { method: "*", kind: "explode" },
      { method: "*", kind: "status", status: 418 },
      { method: "*", kind: "status", probability: 2 },
      { method: "*", kind: "latency" },
    ]) {
      const answer = await call(fx.emu.baseUrl, "/_emulator/faults", {
        body: fault,
        headers: { "X-Emulator-Admin-Token": fx.emu.adminToken },
      });
      assert.deepEqual([answer.status, answer.json?.code], [400, 3], JSON.stringify(fault));
    }
  });

  it("survives a client that goes away during added latency", async () => {
    await fx.emu.admin.addFault({ method: "createForServiceAccount", kind: "latency", latencyMs: 100 });
    const url = new URL(`${fx.emu.baseUrl}${path}`);
    await new Promise<void>((resolve) => {
      const req = request(url, { method: "POST", headers: { "Content-Type": "application/json" } });
      req.on("error", () => resolve());
      req.end(JSON.stringify({ serviceAccountId: IDS.serviceAccount }), () =>
        setTimeout(() => req.destroy(), 10),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 150)); // real time: let the delayed answer fire
    assert.equal((await impersonate()).status, 200, "still serving");
  });
});
