import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { RunningEmulator } from "../../emulator";
import { pulumiBinDir, tempDir, type TestStack } from "../support/pulumiCli";
import { exampleStack, startExampleEmulator, TimeMachine, TOKEN_PATTERN } from "./support";

const run = promisify(execFile);
const SERVICE_ACCOUNT_ID = "ajeappserviceacc0001";

/** `pulumi <args>` for the stack's program, with its workspace's environment (backend, passphrase). */
async function pulumiCli(testStack: TestStack, args: string[]): Promise<string> {
  const { stdout } = await run(
    path.join(pulumiBinDir(), "pulumi"),
    [...args, "--stack", "dev", "--non-interactive"],
    {
      cwd: testStack.stack.workspace.workDir,
      env: { ...process.env, ...testStack.stack.workspace.envVars },
    },
  );
  return stdout;
}

// examples/stack-reference reads examples/token-to-dependent's token through a StackReference:
// two stacks on one file backend. Tokens are compared in the test, never printed: assertions on
// them carry their own messages.
describe("example stack-reference (with token-to-dependent as the producer)", () => {
  const backend = tempDir("pyit-example-stackref-");
  let emulator: RunningEmulator;
  let producer: TestStack;
  let consumer: TestStack;
  let time: TimeMachine;
  let firstToken = "";

  before(async () => {
    emulator = await startExampleEmulator("token-to-dependent");
    producer = await exampleStack("token-to-dependent", backend.dir, {
      YC_TOKEN: "y0_example-oauth-token",
      YC_IAM_ENDPOINT: emulator.baseUrl,
    });
    await producer.stack.setConfig("serviceAccountId", { value: SERVICE_ACCOUNT_ID });
    await producer.stack.setConfig("emulatorUrl", { value: emulator.baseUrl });
    await producer.stack.setConfig("emulatorAdminToken", { value: emulator.adminToken, secret: true });
    time = new TimeMachine(emulator, producer);
    // The consumer needs no credentials at all: it only reads the producer's outputs.
    consumer = await exampleStack("stack-reference", backend.dir, {});
    await consumer.stack.setConfig("producerStack", { value: "organization/token-to-dependent/dev" });
  });

  after(async () => {
    await emulator?.close();
    backend.cleanup();
  });

  /** Runs `up` on the consumer and checks that it holds `token`, secret, derived values included. */
  async function consumerHolds(token: string): Promise<void> {
    const up = await consumer.stack.up();
    assert.equal(up.summary.result, "succeeded");
    const { authorizationHeader, registryAuth, tokenExpiresAt } = up.outputs;
    assert.equal(authorizationHeader.secret, true, "a value derived from the referenced token is secret");
    assert.equal(registryAuth.secret, true);
    assert.ok(
      authorizationHeader.value === `Bearer ${token}`,
      "the consumer sees the producer's current token",
    );
    const [user, password] = Buffer.from(registryAuth.value, "base64").toString().split(":");
    assert.equal(user, "iam");
    assert.ok(password === token, "the registry auth holds the current token");
    const whoami = await emulator.admin.whoami(password);
    assert.equal(whoami.subjectId, SERVICE_ACCOUNT_ID, "and it works");
    assert.equal(whoami.expiresAt, tokenExpiresAt.value);
    assert.doesNotMatch(up.stdout + up.stderr, TOKEN_PATTERN, "no token in the consumer's CLI output");
    const stackFile = consumer.readStackFile();
    assert.ok(!stackFile.includes(token), "no plaintext token in the consumer's state");
    const state = JSON.parse(stackFile);
    const reference = state.checkpoint.latest.resources.find(
      (r: { type: string }) => r.type === "pulumi:pulumi:StackReference",
    );
    assert.ok(reference, "the consumer's state has the StackReference");
    assert.equal(
      reference.outputs.outputs.iamToken["4dabf18193072939515e22adb298388d"],
      "1b47061264138c4ac30d75fd1eb44270",
      "the referenced token is stored as a secret",
    );
  }

  it("the consumer reads the producer's token through the StackReference, and it stays secret", async () => {
    const up = await producer.stack.up();
    firstToken = up.outputs.iamToken.value;
    await consumerHolds(firstToken);
  });

  it("a CI variable: `pulumi stack output --show-secrets` gives the token, without the flag it is [secret]", async () => {
    const shown = await pulumiCli(producer, ["stack", "output", "iamToken", "--show-secrets"]);
    assert.ok(shown.trim() === firstToken, "--show-secrets prints exactly the token");
    assert.equal((await pulumiCli(producer, ["stack", "output", "iamToken"])).trim(), "[secret]");
    const json = JSON.parse(await pulumiCli(producer, ["stack", "output", "--json", "--show-secrets"]));
    assert.ok(json.iamToken === firstToken && json.expiresAt.length > 0, "--json --show-secrets too");
  });

  it("after a renewal in the producer, the consumer's next up sees the new token", async () => {
    await time.advance(10 * 3600 + 45 * 60); // 12 h tokens, renewBefore PT90M: due after 10h30m
    const up = await producer.stack.up();
    const renewed = up.outputs.iamToken.value;
    assert.ok(renewed !== firstToken, "the producer renewed the token");

    const preview = await consumer.stack.preview();
    assert.match(preview.stdout, /authorizationHeader|registryAuth|tokenExpiresAt/, "the outputs change");
    await consumerHolds(renewed);

    await consumer.stack.destroy();
    await producer.stack.destroy();
  });
});
