import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { call, type Fixture, IDS, startFixture } from "./support";

describe("bad requests get Status errors and never crash the emulator", () => {
  let fx: Fixture;
  let base: string;
  before(async () => {
    fx = await startFixture();
    base = fx.emu.baseUrl;
  });
  after(() => fx.emu.close());

  const assertStatus = (
    answer: { status: number; json?: Record<string, unknown> },
    http: number,
    code: number,
  ) => {
    assert.deepEqual([answer.status, answer.json?.code], [http, code]);
    const details = answer.json?.details as { "@type": string; requestId: string }[];
    assert.equal(details[0]["@type"], "type.googleapis.com/google.rpc.RequestInfo");
  };

  it("malformed JSON → 400 INVALID_ARGUMENT", async () => {
    for (const body of ["{", "nope", "[1,2]", '"str"', "null"]) {
      assertStatus(await call(base, "/iam/v1/tokens", { body }), 400, 3);
    }
  });

  it("a JSON body is read whatever the Content-Type says, or without one (as curl -d sends it)", async () => {
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/json; charset=utf-8",
    ]) {
      const answer = await call(base, "/iam/v1/tokens:createForServiceAccount", {
        token: fx.callerToken,
        body: JSON.stringify({ serviceAccountId: IDS.serviceAccount }),
        headers: { "Content-Type": contentType },
      });
      assert.equal(answer.status, 200, contentType);
    }
    const url = new URL(`${base}/iam/v1/tokens:createForServiceAccount`);
    const body = JSON.stringify({ serviceAccountId: IDS.serviceAccount });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          headers: { Authorization: `Bearer ${fx.callerToken}`, "Content-Length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    assert.equal(status, 200, "no Content-Type header at all");
  });

  it("a body that is not JSON → 400 INVALID_ARGUMENT whatever the Content-Type, without echoing it", async () => {
    for (const contentType of ["application/x-www-form-urlencoded", "application/json"]) {
      const answer = await call(base, "/iam/v1/tokens", {
        body: "yandexPassportOauthToken=y0_secretish",
        headers: { "Content-Type": contentType },
      });
      assertStatus(answer, 400, 3);
      assert.equal(answer.json?.message, "Request body is not valid JSON");
      assert.ok(!answer.text.includes("y0_secretish"));
    }
  });

  it("a body over 64 KiB → 400, and the next request is served", async () => {
    const huge = JSON.stringify({ jwt: "x".repeat(2 * 1024 * 1024) });
    const answer = await call(base, "/iam/v1/tokens", { body: huge });
    assertStatus(answer, 400, 3);
    assert.match(answer.json?.message as string, /65536 bytes/);
    assert.equal(
      (await call(base, "/_emulator/clock", { headers: { "X-Emulator-Admin-Token": fx.emu.adminToken } }))
        .status,
      200,
    );
  });

  it("unknown paths → 404 NOT_FOUND, logged as unknown", async () => {
    for (const path of ["/", "/iam/v1/tokenz", "/iam/v1/tokens/extra", "/iam/v1/tokens:frobnicate"]) {
      assertStatus(await call(base, path), 404, 5);
    }
    const log = await fx.emu.admin.requests();
    assert.ok(
      log.some((e) => e.method === "unknown" && e.path === "/iam/v1/tokens:frobnicate" && e.status === 404),
    );
  });

  it("wrong HTTP method on an API path → 405 with Allow", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const answer = await call(base, "/iam/v1/tokens:createForServiceAccount", { method });
      assertStatus(answer, 405, 12);
      assert.equal(answer.headers.get("allow"), "POST");
    }
  });

  it("garbage on the socket gets a 400 and the server lives on", async () => {
    const url = new URL(base);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write("THIS IS NOT HTTP\r\n\r\n"));
      let data = "";
      socket.on("data", (d) => (data += d.toString()));
      socket.on("close", () => resolve(data));
      socket.on("error", () => resolve(data));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await call(base, "/nowhere")).status, 404);
  });

  it("side API with a malformed body or path → 400, unknown side path → 404, wrong method → 405", async () => {
    const headers = { "X-Emulator-Admin-Token": fx.emu.adminToken };
    assertStatus(await call(base, "/_emulator/service-accounts", { body: "{", headers }), 400, 3);
    assertStatus(await call(base, "/_emulator/service-accounts", { body: { id: 7 }, headers }), 400, 3);
    assertStatus(
      await call(base, "/_emulator/service-accounts/%E0%A4%A", { method: "PATCH", body: {}, headers }),
      400,
      3,
    );
    assertStatus(await call(base, "/_emulator/nothing", { headers }), 404, 5);
    assertStatus(await call(base, "/_emulator/clock", { method: "PUT", headers }), 405, 12);
  });
});
