import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CLOCK_OFFSET_ENV } from "../../sdk/testing";
import { tempDir, type TestStack } from "../support/pulumiCli";
import { Story } from "../support/story";
import { createTokensProgramStack, startTestWorld, type TestWorld } from "../support/emulatorFixture";

const SHARED_SA = "ajeshared00000000001";

// The revocation policy, and reading tokens by id. The IAM API hands the same token to repeated
// requests for one service account while it has much life left, so two resources can hold one
// token: deleting one must not cut off the other, unless the user asked for revocation.
describe("revocation policy and ServiceAccountIamToken.get through the real CLI", () => {
  const backend = tempDir("pyit-revocation-");
  let world: TestWorld;
  let testStack: TestStack;
  const setConfig = async (accounts: unknown[], reads: unknown[] = []) => {
    await testStack.stack.setConfig("accounts", { value: JSON.stringify(accounts) });
    await testStack.stack.setConfig("reads", { value: JSON.stringify(reads) });
  };
  let sharedToken = "";

  before(async () => {
    world = await startTestWorld([{ name: "shared", serviceAccountId: SHARED_SA }]);
    testStack = await createTokensProgramStack(world, backend.dir, "revocation");
  });

  after(async () => {
    await world?.emulator.close();
    backend.cleanup();
  });

  const story = new Story();

  story.step("two resources for one service account can receive the same token", async () => {
    await setConfig([
      { name: "first", serviceAccountId: SHARED_SA },
      { name: "second", serviceAccountId: SHARED_SA },
    ]);
    const up = await testStack.stack.up();
    sharedToken = up.outputs.firstToken.value;
    assert.equal(up.outputs.secondToken.value, sharedToken, "the emulator, like the API, reuses the token");
  });

  story.step(
    "by default, deleting one of them revokes nothing and the other keeps a working token",
    async () => {
      await setConfig([{ name: "first", serviceAccountId: SHARED_SA }]);
      const up = await testStack.stack.up();
      assert.equal(up.summary.resourceChanges?.delete, 1);
      assert.equal((await world.emulator.admin.counts()).revoke, 0);
      assert.equal((await world.emulator.admin.whoami(sharedToken)).subjectId, SHARED_SA);
    },
  );

  story.step(
    "with revokeOnDelete, deleting the resource revokes its token, shared holders included",
    async () => {
      await setConfig([
        { name: "first", serviceAccountId: SHARED_SA },
        { name: "third", serviceAccountId: SHARED_SA, revokeOnDelete: true },
      ]);
      const up = await testStack.stack.up();
      assert.equal(up.outputs.thirdToken.value, sharedToken);
      await setConfig([{ name: "first", serviceAccountId: SHARED_SA }]);
      await testStack.stack.up();
      assert.equal((await world.emulator.admin.counts()).revoke, 1);
      await assert.rejects(
        () => world.emulator.admin.whoami(sharedToken),
        "the shared token is revoked for every holder",
      );
    },
  );

  story.step(
    "ServiceAccountIamToken.get issues nothing: it returns the service account, no token",
    async () => {
      await world.emulator.admin.revokeAllTokens();
      await setConfig([], [{ name: "adopted", id: SHARED_SA }]);
      const before = await world.emulator.admin.counts();
      const preview = await testStack.stack.preview();
      const up = await testStack.stack.up();
      assert.equal(up.outputs.adoptedServiceAccountId.value, SHARED_SA);
      assert.equal(up.outputs.adoptedToken?.value, undefined, "no token: the IAM API cannot read one back");
      assert.deepEqual(
        await world.emulator.admin.counts(),
        before,
        "neither preview nor up called the IAM API",
      );
      assert.match(preview.stdout + up.stdout, /was read with no token/);
    },
  );

  story.step("a renewal answered with the same token is reported, and the token stays due", async () => {
    // renewBefore PT11H makes a 12-hour token due after one hour, while the API still reuses it.
    await setConfig([{ name: "long", serviceAccountId: SHARED_SA, renewBefore: "PT11H" }]);
    await testStack.stack.up();
    const start = Date.parse(await world.emulator.admin.now());
    await world.emulator.admin.setClock(new Date(start + 2 * 3600_000).toISOString());
    (testStack.stack.workspace as LocalWorkspace).envVars[CLOCK_OFFSET_ENV] = "PT2H";
    const up = await testStack.stack.up();
    assert.match(
      up.stdout,
      /the IAM API returned the same token for service account ajeshared00000000001 again/,
    );
    assert.match(up.stdout, /renewBefore PT11H the token stays due/);
    const preview = await testStack.stack.preview();
    assert.equal(preview.changeSummary.update, 1, "still due: the policy is not silently met");
  });

  story.step("destroy leaves an empty stack", async () => {
    await testStack.stack.destroy();
    const state = JSON.parse(testStack.readStackFile());
    assert.equal((state.checkpoint.latest?.resources ?? []).length, 0);
  });
});
