import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RunningEmulator } from "../../emulator";
import { tempDir, type TestStack } from "../support/pulumiCli";
import { exampleStack, startExampleEmulator, TimeMachine } from "./support";

const ACCOUNTS = {
  ci: "ajeciserviceacc00001",
  monitoring: "ajemonitoringacc0001",
  backup: "ajebackupserviceacc1",
};

// examples/multiple-service-accounts: three tokens (12-hour lifetime) with renewBefore PT2H,
// PT30M and the default PT1H, so they fall due at 10h, 11h30m and 11h.
describe("example multiple-service-accounts", () => {
  const backend = tempDir("pyit-example-b-");
  let emulator: RunningEmulator;
  let testStack: TestStack;
  let time: TimeMachine;
  let tokens: Record<string, string> = {};

  before(async () => {
    emulator = await startExampleEmulator("multiple-service-accounts");
    testStack = await exampleStack("multiple-service-accounts", backend.dir, {
      YC_TOKEN: "y0_example-oauth-token",
      YC_IAM_ENDPOINT: emulator.baseUrl,
    });
    await testStack.stack.setAllConfig({
      ciServiceAccountId: { value: ACCOUNTS.ci },
      monitoringServiceAccountId: { value: ACCOUNTS.monitoring },
      backupServiceAccountId: { value: ACCOUNTS.backup },
    });
    time = new TimeMachine(emulator, testStack);
  });

  after(async () => {
    await emulator?.close();
    backend.cleanup();
  });

  it("up issues one token per service account, each with its own renewBefore", async () => {
    const up = await testStack.stack.up();
    assert.deepEqual(up.outputs.renewBefore.value, { ci: "PT2H", monitoring: "PT30M", backup: "PT1H" });
    assert.equal(up.outputs.iamTokens.secret, true);
    tokens = up.outputs.iamTokens.value;
    for (const [name, serviceAccountId] of Object.entries(ACCOUNTS)) {
      const whoami = await emulator.admin.whoami(tokens[name]);
      assert.equal(whoami.subjectId, serviceAccountId);
      assert.equal(whoami.expiresAt, up.outputs.expiresAt.value[name]);
    }
    const counts = await emulator.admin.counts();
    assert.equal(counts.createForServiceAccount, 3);
    assert.equal(counts.create, 1, "one caller-token exchange for all three");
  });

  it("10h15m later only the PT2H token is due: preview shows it alone, up renews it alone", async () => {
    await time.advance(10 * 3600 + 15 * 60);
    const preview = await testStack.stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3, update: 1 });
    assert.match(
      preview.stdout,
      /service account ajeciserviceacc00001 expires at .*\(renewBefore PT2H\): it will be renewed/,
    );
    assert.doesNotMatch(preview.stdout, /ajemonitoringacc0001 expires|ajebackupserviceacc1 expires/);

    const before = await emulator.admin.counts();
    const up = await testStack.stack.up();
    assert.equal((await emulator.admin.counts()).createForServiceAccount - before.createForServiceAccount, 1);
    assert.notEqual(up.outputs.iamTokens.value.ci, tokens.ci);
    assert.equal(up.outputs.iamTokens.value.monitoring, tokens.monitoring);
    assert.equal(up.outputs.iamTokens.value.backup, tokens.backup);
  });

  it("at 11h10m the default-margin token is due next, the PT30M one still is not", async () => {
    await time.advance(55 * 60);
    const preview = await testStack.stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3, update: 1 });
    assert.match(
      preview.stdout,
      /service account ajebackupserviceacc1 expires at .*\(renewBefore PT1H\): it will be renewed/,
    );
    await testStack.stack.destroy();
  });
});
