import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator";
import { tempDir, type TestStack } from "../support/pulumiCli";
import { exampleStack, startExampleEmulator, TimeMachine, TOKEN_PATTERN } from "./support";

// examples/token-to-dependent, through the real CLI against the emulator, as its README runs it.
describe("example token-to-dependent", () => {
  const backend = tempDir("pyit-example-a-");
  let emulator: RunningEmulator;
  let testStack: TestStack;
  let time: TimeMachine;
  let firstToken = "";

  before(async () => {
    emulator = await startExampleEmulator("token-to-dependent");
    testStack = await exampleStack("token-to-dependent", backend.dir, {
      YC_TOKEN: "y0_example-oauth-token",
      YC_IAM_ENDPOINT: emulator.baseUrl,
    });
    await testStack.stack.setConfig("serviceAccountId", { value: "ajeappserviceacc0001" });
    await testStack.stack.setConfig("emulatorUrl", { value: emulator.baseUrl });
    await testStack.stack.setConfig("emulatorAdminToken", { value: emulator.adminToken, secret: true });
    time = new TimeMachine(emulator, testStack);
  });

  after(async () => {
    await emulator?.close();
    backend.cleanup();
  });

  it("up hands the token to the dependent resource and to secret stack outputs", async () => {
    const up = await testStack.stack.up();
    const { iamToken, authorizationHeader, checkResult, expiresAt, renewBefore } = up.outputs;
    assert.equal(iamToken.secret, true);
    assert.equal(authorizationHeader.secret, true, "a value derived from the token stays secret");
    assert.equal(authorizationHeader.value, `Bearer ${iamToken.value}`);
    assert.equal(expiresAt.secret, false);
    assert.equal(renewBefore.value, "PT90M");
    assert.equal(checkResult.value, "token accepted, subject ajeappserviceacc0001");
    const whoami = await emulator.admin.whoami(iamToken.value);
    assert.equal(whoami.expiresAt, expiresAt.value);
    assert.deepEqual(await emulator.admin.counts(), {
      createForServiceAccount: 1,
      create: 1,
      revoke: 0,
      metadataToken: 0,
      whoami: 2,
    });
    assert.doesNotMatch(up.stdout + up.stderr, TOKEN_PATTERN);
    assert.ok(!testStack.readStackFile().includes(iamToken.value), "no plaintext token in the state file");
    firstToken = iamToken.value;
  });

  it("10h45m later, preview shows the token and its consumer changing, with the reason, at no API cost", async () => {
    await time.advance(10 * 3600 + 45 * 60); // 12 h tokens, renewBefore PT90M: due after 10h30m
    const before = await emulator.admin.counts();
    const preview = await testStack.stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 2 });
    assert.match(
      preview.stdout,
      /IAM token for service account ajeappserviceacc0001 expires at .* inside its renewal window \(renewBefore PT90M\): it will be renewed/,
    );
    assert.match(preview.stdout, /~ +pulumi-nodejs:dynamic\/example:TokenCheck app-check update/);
    assert.deepEqual(await emulator.admin.counts(), before);
  });

  it("up renews the token and the consumer runs again with the new one", async () => {
    const before = await emulator.admin.counts();
    const up = await testStack.stack.up();
    assert.notEqual(up.outputs.iamToken.value, firstToken);
    assert.equal(up.outputs.checkResult.value, "token accepted, subject ajeappserviceacc0001");
    const after = await emulator.admin.counts();
    assert.equal(after.createForServiceAccount - before.createForServiceAccount, 1);
    assert.equal(after.whoami - before.whoami, 1, "the dependent resource called the API with the new token");
    assert.equal(up.outputs.authorizationHeader.value, `Bearer ${up.outputs.iamToken.value}`);
  });

  it("destroy revokes nothing by default", async () => {
    await testStack.stack.destroy();
    assert.equal((await emulator.admin.counts()).revoke, 0);
  });
});
