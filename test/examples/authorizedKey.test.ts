import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningEmulator } from "../../emulator";
import { tempDir, type TestStack } from "../support/pulumiCli";
import { exampleStack, startExampleEmulator, TimeMachine, TOKEN_PATTERN } from "./support";

const DEPLOYER = "ajedeployerserviceac";
const TARGET = "ajeappserviceacc0001";

// examples/authorized-key: the provider signs a JWT with the deployer's authorized key and
// exchanges it, first from secret stack config, then from YC_SERVICE_ACCOUNT_KEY_FILE.
describe("example authorized-key", () => {
  const backend = tempDir("pyit-example-c-");
  let emulator: RunningEmulator;
  let testStack: TestStack;
  let time: TimeMachine;
  let privateKeyBody = "";
  let keyJson = "";
  let firstToken = "";

  before(async () => {
    emulator = await startExampleEmulator("authorized-key");
    const key = await emulator.admin.createKey(DEPLOYER);
    keyJson = JSON.stringify(key, null, 2);
    privateKeyBody = key.private_key
      .split("\n")
      .find((line) => line.length > 60 && !line.startsWith("-----"))!;
    // No YC_TOKEN: the key is the only credential.
    testStack = await exampleStack("authorized-key", backend.dir, { YC_IAM_ENDPOINT: emulator.baseUrl });
    await testStack.stack.setConfig("serviceAccountId", { value: TARGET });
    await testStack.stack.setConfig("yandex:serviceAccountKeyFile", { value: keyJson, secret: true });
    time = new TimeMachine(emulator, testStack);
  });

  after(async () => {
    await emulator?.close();
    backend.cleanup();
  });

  it("up exchanges a JWT signed with the key (secret stack config) and issues a token for the target", async () => {
    const up = await testStack.stack.up();
    assert.equal(up.outputs.iamToken.secret, true);
    firstToken = up.outputs.iamToken.value;
    assert.equal((await emulator.admin.whoami(firstToken)).subjectId, TARGET);
    const requests = await emulator.admin.requests();
    const exchange = requests.filter((r) => r.method === "create");
    assert.equal(exchange.length, 1);
    assert.equal(exchange[0].status, 200);
    assert.equal(exchange[0].subjectId, DEPLOYER, "the caller token belongs to the key's service account");
    const issued = requests.filter((r) => r.method === "createForServiceAccount");
    assert.deepEqual(
      issued.map((r) => [r.status, r.subjectId, r.targetServiceAccountId]),
      [[200, DEPLOYER, TARGET]],
    );
    assert.doesNotMatch(up.stdout + up.stderr, TOKEN_PATTERN);
    const configFile = fs.readFileSync(
      path.join(testStack.stack.workspace.workDir, "Pulumi.dev.yaml"),
      "utf8",
    );
    assert.ok(!configFile.includes(privateKeyBody), "the key is encrypted in the stack config");
    assert.ok(!testStack.readStackFile().includes(privateKeyBody), "and absent from the state");
  });

  it("with YC_SERVICE_ACCOUNT_KEY_FILE instead, 11h later, preview plans the renewal and up renews", async () => {
    const keyDir = tempDir("pyit-example-c-key-");
    try {
      const keyFile = path.join(keyDir.dir, "key.json");
      fs.writeFileSync(keyFile, keyJson, { mode: 0o600 });
      await testStack.stack.removeConfig("yandex:serviceAccountKeyFile");
      testStack.stack.workspace.envVars.YC_SERVICE_ACCOUNT_KEY_FILE = keyFile;
      await time.advance(11 * 3600);
      const preview = await testStack.stack.preview();
      assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
      assert.match(
        preview.stdout,
        /IAM token for service account ajeappserviceacc0001 expires at .*: it will be renewed/,
      );
      await emulator.admin.resetRequests();
      const up = await testStack.stack.up();
      assert.notEqual(up.outputs.iamToken.value, firstToken);
      assert.equal((await emulator.admin.whoami(up.outputs.iamToken.value)).subjectId, TARGET);
      assert.match(up.stdout, /caller credentials from environment YC_SERVICE_ACCOUNT_KEY_FILE/);
      const counts = await emulator.admin.counts();
      assert.equal(counts.create, 1, "one JWT exchange");
      assert.equal(counts.createForServiceAccount, 1);
      await testStack.stack.destroy();
    } finally {
      keyDir.cleanup();
    }
  });
});
