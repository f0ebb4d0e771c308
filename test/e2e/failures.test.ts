import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { tempDir, type TestStack } from "../support/pulumiCli";
import { createTokensProgramStack, startTestWorld, type TestWorld } from "../support/emulatorFixture";

const OK = { name: "ok", serviceAccountId: "ajeokaccount00000001" };
const DENIED = { name: "denied", serviceAccountId: "ajedenied00000000002" };
const UNKNOWN = { name: "unknown", serviceAccountId: "ajenotregistered0003" };

async function failureOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return String((error as Error).message ?? error);
  }
  assert.fail("the operation was expected to fail");
}

// Bad inputs fail preview naming the property; API failures fail up with the gRPC code, the
// cause and the request id; in every case the state keeps nothing half-written.
describe("ServiceAccountIamToken failures through the real CLI", () => {
  const backend = tempDir("pyit-failures-");
  let world: TestWorld;
  let testStack: TestStack;
  const setAccounts = (accounts: unknown[]) =>
    testStack.stack.setConfig("accounts", { value: JSON.stringify(accounts) });
  const tokenResourceNames = (): string[] =>
    (JSON.parse(testStack.readStackFile()).checkpoint.latest?.resources ?? [])
      .filter((r: { type: string }) => r.type.endsWith(":ServiceAccountIamToken"))
      .map((r: { urn: string }) => r.urn.split("::").pop());

  before(async () => {
    world = await startTestWorld([OK, { ...DENIED, grant: false }]);
    testStack = await createTokensProgramStack(world, backend.dir, "failures");
    await setAccounts([OK]);
    const up = await testStack.stack.up();
    assert.equal(up.summary.result, "succeeded");
  });

  after(async () => {
    await world?.emulator.close();
    backend.cleanup();
  });

  const badInputs: { label: string; account: Record<string, unknown>; property: string; reason: RegExp }[] = [
    {
      label: "empty id",
      account: { serviceAccountId: "" },
      property: "serviceAccountId",
      reason: /must not be empty/,
    },
    {
      label: "number id",
      account: { serviceAccountId: 42 },
      property: "serviceAccountId",
      reason: /must be a string/,
    },
    {
      label: "51-character id",
      account: { serviceAccountId: "a".repeat(51) },
      property: "serviceAccountId",
      reason: /at most 50 characters/,
    },
    {
      label: "id with a dash",
      account: { serviceAccountId: "aje-bad" },
      property: "serviceAccountId",
      reason: /only letters and digits/,
    },
    { label: "missing id", account: {}, property: "serviceAccountId", reason: /is required/ },
    {
      label: "renewBefore not a duration",
      account: { serviceAccountId: "ajebadinput00000001", renewBefore: "1h" },
      property: "renewBefore",
      reason: /ISO 8601 duration/,
    },
    {
      label: "renewBefore zero",
      account: { serviceAccountId: "ajebadinput00000001", renewBefore: "PT0S" },
      property: "renewBefore",
      reason: /positive/,
    },
    {
      label: "renewBefore negative",
      account: { serviceAccountId: "ajebadinput00000001", renewBefore: "-PT1H" },
      property: "renewBefore",
      reason: /positive/,
    },
    {
      label: "renewBefore 12 h",
      account: { serviceAccountId: "ajebadinput00000001", renewBefore: "PT12H" },
      property: "renewBefore",
      reason: /shorter than the 12 h token lifetime/,
    },
  ];

  for (const bad of badInputs) {
    it(`preview fails on ${bad.label}, naming ${bad.property}, and leaves state untouched`, async () => {
      const stateBefore = testStack.readStackFile();
      const countsBefore = await world.emulator.admin.counts();
      await setAccounts([OK, { name: "bad", ...bad.account }]);
      const message = await failureOf(() => testStack.stack.preview());
      assert.match(message, new RegExp(`${bad.property}`));
      assert.match(message, bad.reason);
      assert.equal(testStack.readStackFile(), stateBefore);
      assert.deepEqual(await world.emulator.admin.counts(), countsBefore);
    });
  }

  it("PERMISSION_DENIED fails up with the code, the cause and the request id; nothing half-written", async () => {
    await setAccounts([OK, DENIED]);
    const message = await failureOf(() => testStack.stack.up());
    assert.match(message, /PERMISSION_DENIED/);
    assert.match(message, /iam\.serviceAccounts\.tokenCreator/);
    assert.match(message, /request ?id[^\n]*[0-9a-f]{8}-[0-9a-f]{4}/i);
    assert.deepEqual(tokenResourceNames(), ["ok"]);
  });

  it("an unknown service account fails up with NOT_FOUND and the request id", async () => {
    await setAccounts([OK, UNKNOWN]);
    const message = await failureOf(() => testStack.stack.up());
    assert.match(message, /NOT_FOUND/);
    assert.match(message, /ajenotregistered0003/);
    assert.match(message, /request ?id[^\n]*[0-9a-f]{8}-[0-9a-f]{4}/i);
    assert.deepEqual(tokenResourceNames(), ["ok"]);
  });

  it("bad credentials fail up with UNAUTHENTICATED, without echoing the credential", async () => {
    const workspace = testStack.stack.workspace as LocalWorkspace;
    const badOAuthToken = "y0_notARegisteredOAuthToken_x7Qm2";
    workspace.envVars.YC_TOKEN = badOAuthToken;
    try {
      await setAccounts([OK, DENIED]);
      const message = await failureOf(() => testStack.stack.up());
      assert.match(message, /UNAUTHENTICATED/);
      assert.match(message, /request ?id[^\n]*[0-9a-f]{8}-[0-9a-f]{4}/i);
      assert.ok(!message.includes(badOAuthToken), "the OAuth token is not in the error");
      assert.deepEqual(tokenResourceNames(), ["ok"]);
    } finally {
      workspace.envVars.YC_TOKEN = world.oauthToken;
    }
  });

  it("after the role is granted, up completes the rest without duplicating anything", async () => {
    await world.emulator.admin.addRoleBinding({
      subjectId: world.callerUserId,
      role: "iam.serviceAccounts.tokenCreator",
      resourceId: DENIED.serviceAccountId,
    });
    await setAccounts([OK, DENIED]);
    const before = await world.emulator.admin.counts();
    const up = await testStack.stack.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 2, create: 1 });
    assert.equal(
      (await world.emulator.admin.counts()).createForServiceAccount - before.createForServiceAccount,
      1,
    );
    assert.deepEqual(tokenResourceNames().sort(), ["denied", "ok"]);
  });
});
