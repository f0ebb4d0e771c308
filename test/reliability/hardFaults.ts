import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestWorld } from "../support/emulatorFixture";
import { accountsFor, ReliabilityStack, startWorld } from "./support";

const ROLE = "iam.serviceAccounts.tokenCreator";

/** Hard faults: denied accounts fail clearly, the rest complete, and a second up finishes the job. */
export function hardFaultsSuite(): void {
  describe("hard faults: permission denied on some of 20 accounts", () => {
    const granted = accountsFor("granted", 15);
    const denied = accountsFor("denied", 5, false);
    const all = [...granted, ...denied];
    let world: TestWorld;
    let stack: ReliabilityStack;

    before(async () => {
      world = await startWorld(all);
      stack = await ReliabilityStack.create("hard", world, all);
    });
    after(() => world?.emulator.close());

    it("up fails on each denied account with PERMISSION_DENIED, the role and the request id; the others complete", async () => {
      // --continue-on-error: without it the engine stops scheduling creates at the first failure,
      // so which granted accounts get their token in this up would depend on scheduling.
      const message = await stack.failureOf("up", { continueOnError: true });
      const log = (await world.emulator.admin.requests()).filter(
        (r) => r.method === "createForServiceAccount",
      );
      for (const account of denied) {
        const calls = log.filter((r) => r.targetServiceAccountId === account.serviceAccountId);
        assert.equal(calls.length, 1, `${account.serviceAccountId}: one call, not retried`);
        assert.equal(calls[0].status, 403);
        const line = message
          .split("\n")
          .find(
            (l) =>
              l.includes(`service account ${account.serviceAccountId}`) && l.includes("PERMISSION_DENIED"),
          );
        assert.ok(line, `an error line for ${account.serviceAccountId}`);
        assert.ok(line.includes(ROLE), "names the missing role");
        assert.ok(line.includes(`requestId ${calls[0].requestId}`), "carries the request id");
      }
      assert.deepEqual(
        stack
          .tokenResources()
          .map((r) => r.name)
          .sort(),
        granted.map((a) => a.name).sort(),
        "exactly the granted accounts are in state",
      );
      assert.equal(log.filter((r) => r.status === 200).length, granted.length);
    });

    it("after the role is granted, a second up completes the rest; nothing duplicated or lost", async () => {
      for (const account of denied) {
        await world.emulator.admin.addRoleBinding({
          subjectId: world.callerUserId,
          role: ROLE,
          resourceId: account.serviceAccountId,
        });
      }
      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { same: granted.length + 1, create: denied.length });
      const resources = stack.tokenResources();
      assert.deepEqual(resources.map((r) => r.name).sort(), all.map((a) => a.name).sort());
      assert.equal(new Set(resources.map((r) => r.id)).size, all.length);

      const successes = (await world.emulator.admin.requests()).filter(
        (r) => r.method === "createForServiceAccount" && r.status === 200,
      );
      assert.equal(successes.length, all.length, "createForServiceAccount successes == accounts");
      assert.deepEqual(
        successes.map((r) => r.targetServiceAccountId).sort(),
        all.map((a) => a.serviceAccountId).sort(),
      );
      const tokens = await stack.exportedTokens();
      for (const account of all) {
        assert.equal(
          (await world.emulator.admin.whoami(tokens.get(account.name) as string)).subjectId,
          account.serviceAccountId,
        );
      }
    });
  });
}
