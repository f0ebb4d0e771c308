import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmulatorAdminClient, startEmulator, type RunningEmulator } from "../../emulator";
import { call } from "./support";

describe("side API", () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ adminToken: "fixed-admin-token-for-tests" });
  });
  after(() => emu.close());

  it("requires the admin token (401 Status otherwise)", async () => {
    assert.equal(emu.adminToken, "fixed-admin-token-for-tests");
    for (const headers of [
      {},
      { "X-Emulator-Admin-Token": "wrong" },
      { "X-Emulator-Admin-Token": "fixed-admin-token-for-test" },
    ]) {
      const answer = await call(emu.baseUrl, "/_emulator/counts", {
        headers: headers as Record<string, string>,
      });
      assert.deepEqual([answer.status, answer.json?.code], [401, 16]);
    }
    const wrong = new EmulatorAdminClient(emu.baseUrl, "nope");
    await assert.rejects(wrong.createUser("ajeuser0000000000001"), {
      name: "EmulatorAdminError",
      status: 401,
    });
  });

  it("registers principals and generates OAuth tokens", async () => {
    const account = await emu.admin.createServiceAccount({ id: "ajesa000000000000001" });
    assert.deepEqual(account, { id: "ajesa000000000000001", tokenLifetimeSeconds: 43_200 });
    assert.deepEqual(await emu.admin.createUser("ajeuser0000000000001"), { id: "ajeuser0000000000001" });
    const generated = await emu.admin.createOAuthToken("ajeuser0000000000001");
    const fixed = await emu.admin.createOAuthToken("ajeuser0000000000001", "y0_fixed");
    assert.notEqual(generated.token, fixed.token);
    assert.equal(fixed.token, "y0_fixed");
    await assert.rejects(emu.admin.createKey("ajenosuch00000000000"), { status: 404 });
  });

  it("whoami validates a token and counts separately from IAM calls", async () => {
    await emu.admin.resetRequests();
    const { iamToken } = await emu.admin.mintIamToken("ajeuser0000000000001");
    assert.equal((await emu.admin.whoami(iamToken)).subjectId, "ajeuser0000000000001");
    await assert.rejects(emu.admin.whoami("t1.bogus.token"), { status: 401 });
    const counts = await emu.admin.counts();
    assert.deepEqual(counts, {
      createForServiceAccount: 0,
      create: 0,
      revoke: 0,
      metadataToken: 0,
      whoami: 2,
    });
    const log = await emu.admin.requests();
    assert.deepEqual(
      log.map((e) => [e.method, e.status]),
      [
        ["whoami", 200],
        ["whoami", 401],
      ],
    );
    assert.ok(!JSON.stringify(log).includes(iamToken));
  });

  it("revoke-all revokes every token of a subject", async () => {
    const a = await emu.admin.mintIamToken("ajeuser0000000000001");
    const b = await emu.admin.mintIamToken("ajeuser0000000000001");
    const other = await emu.admin.mintIamToken("ajeuser0000000000002");
    const { revoked } = await emu.admin.revokeAllTokens("ajeuser0000000000001");
    assert.ok(revoked >= 2);
    await assert.rejects(emu.admin.whoami(a.iamToken), { status: 401 });
    await assert.rejects(emu.admin.whoami(b.iamToken), { status: 401 });
    assert.equal((await emu.admin.whoami(other.iamToken)).subjectId, "ajeuser0000000000002");
    await emu.admin.revokeAllTokens();
    await assert.rejects(emu.admin.whoami(other.iamToken), { status: 401 });
  });

  it("reset clears the log and counts", async () => {
    await emu.admin.whoami((await emu.admin.mintIamToken("ajeuser0000000000003")).iamToken);
    await emu.admin.resetRequests();
    assert.deepEqual(await emu.admin.requests(), []);
    assert.equal((await emu.admin.counts()).whoami, 0);
  });
});
