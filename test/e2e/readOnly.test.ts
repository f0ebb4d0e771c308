import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { RequestCounts } from "../../emulator";
import { CLOCK_OFFSET_ENV } from "../../sdk/testing";
import { pulumiBinDir, tempDir, type TestStack } from "../support/pulumiCli";
import { createTokensProgramStack, startTestWorld, type TestWorld } from "../support/emulatorFixture";

const run = promisify(execFile);
const HOUR_S = 3600;

// Users and CI run `preview --refresh` on every pull request and expect it to change nothing, in
// the cloud as in state. With a token due for renewal in state, each read-only command must
// issue and revoke nothing (counted at the emulator), and the next `up` must still renew.
describe("read-only commands issue no credential, even with a token due for renewal", () => {
  const backend = tempDir("pyit-readonly-");
  const accounts = [
    { name: "due", serviceAccountId: "ajereadonly000000001", tokenLifetimeSeconds: 2 * HOUR_S },
  ];
  let world: TestWorld;
  let testStack: TestStack;
  let dueCountsBefore: RequestCounts;
  let dueTokenBefore = "";

  const workspace = (): LocalWorkspace => testStack.stack.workspace as LocalWorkspace;
  /** Runs the real CLI with the stack's environment, as a user would type the command. */
  const cli = async (...args: string[]): Promise<string> => {
    const env = { ...process.env, ...workspace().envVars };
    const { stdout } = await run(
      path.join(pulumiBinDir(), "pulumi"),
      [...args, "--stack", testStack.stack.name, "--non-interactive"],
      { cwd: workspace().workDir, env, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  };
  const counts = (): Promise<RequestCounts> => world.emulator.admin.counts();
  const tokenInState = async (): Promise<string> => {
    const deployment = await testStack.stack.exportStack();
    return deployment.deployment.resources.find((r: { urn: string }) =>
      r.urn.endsWith("ServiceAccountIamToken::due"),
    ).outputs.iamToken.plaintext;
  };

  before(async () => {
    world = await startTestWorld(accounts);
    testStack = await createTokensProgramStack(world, backend.dir, "readonly");
    await testStack.stack.setConfig("accounts", { value: JSON.stringify(accounts) });
    // The Yandex provider's own keys, as a stack that also manages Yandex resources holds them.
    await testStack.stack.setAllConfig({
      "yandex:cloudId": { value: "b1gcloud000000000001" },
      "yandex:folderId": { value: "b1gfolder00000000001" },
      "yandex:zone": { value: "ru-central1-a" },
    });
    const up = await testStack.stack.up();
    assert.equal(up.summary.result, "succeeded");
    // 1 h 30 min later the 2-hour token has 30 minutes left: inside the default PT1H window.
    const startIso = await world.emulator.admin.now();
    await world.emulator.admin.setClock(new Date(Date.parse(startIso) + 1.5 * HOUR_S * 1000).toISOString());
    workspace().envVars[CLOCK_OFFSET_ENV] = `PT${1.5 * HOUR_S}S`;
    dueCountsBefore = await counts();
    dueTokenBefore = await tokenInState();
  });

  after(async () => {
    await world?.emulator.close();
    backend.cleanup();
  });

  const readOnlyCommands: { name: string; run: () => Promise<string> }[] = [
    { name: "pulumi preview", run: async () => (await testStack.stack.preview()).stdout },
    {
      name: "pulumi preview --refresh",
      run: async () => (await testStack.stack.preview({ refresh: true })).stdout,
    },
    { name: "pulumi refresh --preview-only", run: () => cli("refresh", "--preview-only") },
    { name: "pulumi preview --json", run: () => cli("preview", "--json") },
    { name: "pulumi preview --refresh --json", run: () => cli("preview", "--refresh", "--json") },
  ];
  for (const command of readOnlyCommands) {
    it(`${command.name} makes no IAM call, changes no state, and shows the renewal`, async () => {
      const output = await command.run();
      assert.deepEqual(await counts(), dueCountsBefore, "no token issued or revoked, no caller exchange");
      assert.equal(await tokenInState(), dueTokenBefore, "state keeps the stored token");
      assert.match(output, /ajereadonly000000001 expires at .*inside its renewal window/);
      assert.ok(!output.includes(dueTokenBefore), "the token is not printed");
    });
  }

  it("pulumi refresh (not a preview) also makes no IAM call, and says the next up renews", async () => {
    const refresh = await testStack.stack.refresh();
    assert.equal(refresh.summary.result, "succeeded");
    assert.deepEqual(await counts(), dueCountsBefore);
    assert.match(refresh.stdout, /refresh leaves it as it is; the next `pulumi up` renews it/);
    assert.equal(await tokenInState(), dueTokenBefore);
  });

  it("then pulumi up renews the token with exactly one call", async () => {
    const up = await testStack.stack.up();
    const after = await counts();
    assert.equal(after.createForServiceAccount - dueCountsBefore.createForServiceAccount, 1);
    assert.equal(after.revoke, dueCountsBefore.revoke);
    assert.notEqual(up.outputs.dueToken.value, dueTokenBefore);
    assert.equal(
      (await world.emulator.admin.whoami(up.outputs.dueToken.value)).subjectId,
      "ajereadonly000000001",
    );
  });
});
