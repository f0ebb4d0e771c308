// An Automation API test of this stack against the IAM emulator that ships with
// pulumi-yandex-iam-token: no cloud account, no credentials, no waiting for tokens to age.
//
// Run it with `npm test` (Node >= 22.18 runs TypeScript tests directly) with `pulumi` on PATH.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { startEmulator, type RunningEmulator } from "pulumi-yandex-iam-token/emulator";
import { CLOCK_OFFSET_ENV, ENV_VARS } from "pulumi-yandex-iam-token/testing";

const SERVICE_ACCOUNT_ID = "ajedeployerserviceac";
const CALLER_USER_ID = "ajetestcaller0000001";

describe("the stack's IAM token", () => {
  const backendDir = mkdtempSync(join(tmpdir(), "stack-test-"));
  let emulator: RunningEmulator;
  let stack: Stack;
  let firstToken = "";

  before(async () => {
    // A fresh emulator on a free port: one service account with 12-hour tokens, and a user whose
    // OAuth token the provider exchanges for its own IAM token.
    emulator = await startEmulator({
      port: 0,
      seed: {
        serviceAccounts: [{ id: SERVICE_ACCOUNT_ID, tokenLifetimeSeconds: 12 * 3600 }],
        users: [{ id: CALLER_USER_ID }],
        oauthTokens: [{ token: "y0_test-oauth-token", subjectId: CALLER_USER_ID }],
        roleBindings: [
          {
            subjectId: CALLER_USER_ID,
            role: "iam.serviceAccounts.tokenCreator",
            resourceId: SERVICE_ACCOUNT_ID,
          },
        ],
      },
    });
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", workDir: import.meta.dirname },
      {
        envVars: {
          PULUMI_BACKEND_URL: `file://${backendDir}`,
          PULUMI_CONFIG_PASSPHRASE: "test",
          // The provider's credentials and endpoint: the emulator instead of the real cloud.
          [ENV_VARS.token]: "y0_test-oauth-token",
          [ENV_VARS.iamEndpoint]: emulator.baseUrl,
        },
        secretsProvider: "passphrase",
      },
    );
    await stack.setConfig("serviceAccountId", { value: SERVICE_ACCOUNT_ID });
  });

  after(async () => {
    await stack?.destroy();
    await stack?.workspace.removeStack("test");
    await emulator?.close();
    rmSync(backendDir, { recursive: true, force: true });
  });

  it("is created as a secret output that works", async () => {
    const up = await stack.up();
    assert.equal(up.outputs.iamToken.secret, true);
    firstToken = up.outputs.iamToken.value;
    const whoami = await emulator.admin.whoami(firstToken);
    assert.equal(whoami.subjectId, SERVICE_ACCOUNT_ID);
    assert.equal(whoami.expiresAt, up.outputs.expiresAt.value);
    assert.equal((await emulator.admin.counts()).createForServiceAccount, 1);
  });

  it("shows no change while it is fresh", async () => {
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 2 });
  });

  it("is planned for renewal 11 hours later, and renewed by up", async () => {
    // Eleven hours pass, for the emulator and for the provider alike.
    await emulator.admin.advanceClock(11 * 3600);
    stack.workspace.envVars[CLOCK_OFFSET_ENV] = "PT11H";

    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    assert.match(preview.stdout, /inside its renewal window \(renewBefore PT1H\): it will be renewed/);

    const up = await stack.up();
    assert.notEqual(up.outputs.iamToken.value, firstToken);
    assert.equal((await emulator.admin.whoami(up.outputs.iamToken.value)).subjectId, SERVICE_ACCOUNT_ID);
    assert.equal((await emulator.admin.counts()).createForServiceAccount, 2);
  });
});
