import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { TestWorld } from "../support/emulatorFixture";
import { accountsFor, ReliabilityStack, startWorld, waitFor } from "./support";

const TOKENS = 50;
/** Creates done before the engine is killed. */
const KILL_AFTER_CREATES = 12;

/**
 * Interruption: the engine is SIGKILLed in the middle of an up of 50 tokens. Creates that were
 * in flight stay in the checkpoint as pending operations; the user clears them with
 * `pulumi refresh --clear-pending-creates` (what this CLI, 3.274.1, offers for a file backend),
 * and the next up converges.
 *
 * A token whose create was answered by the API but never recorded (the kill window) is an orphan
 * in the IAM service, not in the stack; it is harmless and goes away on its own when it expires
 * (12 h at most): the provider never revokes tokens by default.
 */
export function interruptionSuite(): void {
  describe("interruption: SIGKILL of the engine during an up of 50 tokens", () => {
    const accounts = accountsFor("interrupt", TOKENS);
    let world: TestWorld;
    let stack: ReliabilityStack;

    before(async () => {
      world = await startWorld(accounts);
      stack = await ReliabilityStack.create("interrupt", world, accounts);
    });
    after(() => world?.emulator.close());

    it("the killed up leaves pending creates; refresh --clear-pending-creates, up and refresh converge", async () => {
      // Slow every create down, so the up is still running when the engine is killed.
      await world.emulator.admin.addFault({
        method: "createForServiceAccount",
        kind: "latency",
        latencyMs: 300,
        count: TOKENS,
      });
      const run = stack.spawnUp();
      const createSuccesses = async () =>
        (await world.emulator.admin.requests()).filter(
          (r) => r.method === "createForServiceAccount" && r.status === 200,
        ).length;
      await waitFor(
        `${KILL_AFTER_CREATES} creates`,
        async () => (await createSuccesses()) >= KILL_AFTER_CREATES,
      );
      process.kill(run.pid, "SIGKILL");
      const exit = await run.exited;
      assert.equal(exit.signal, "SIGKILL");
      // The engine's plugins (language host, program, provider) were its children; they are ours
      // to clean up (same process group), as the user's terminal would.
      try {
        process.kill(-run.pid, "SIGKILL");
      } catch {
        // the group is already gone
      }
      const createdBeforeKill = await createSuccesses();
      assert.ok(createdBeforeKill < TOKENS, `the up was interrupted (${createdBeforeKill} creates)`);

      // What the user sees next, and does: usually the file backend's lock left behind. The
      // backend's blob store also keeps a metadata sidecar beside the checkpoint
      // (`<stack>.json.attrs`), written separately; a kill while it is being written leaves it
      // empty and every command fails with "failed to load checkpoint: EOF" although the
      // checkpoint itself is intact. Removing the broken sidecar is the recovery (the store
      // treats a missing one as no metadata).
      let blocked = await stack.failureOf("up");
      if (/failed to load checkpoint: (unexpected )?EOF/.test(blocked)) {
        const sidecar = `${stack.testStack.stackFilePath}.attrs`;
        console.log(
          `checkpoint sidecar unreadable after the kill (${fs.statSync(sidecar).size} bytes): removing it`,
        );
        JSON.parse(stack.readStackFile()); // the checkpoint itself is intact
        fs.rmSync(sidecar);
        blocked = await stack.failureOf("up");
      }
      assert.match(blocked, /the stack is currently locked/);
      assert.match(blocked, /pulumi cancel/);

      const pendingCreates = (
        JSON.parse(stack.readStackFile()).checkpoint.latest?.pending_operations ?? []
      ).filter((p: { type: string }) => p.type === "creating");
      assert.ok(pendingCreates.length > 0, "creates in flight at the kill are pending in the checkpoint");
      const recordedBeforeKill = stack.tokenResources().length;
      assert.ok(recordedBeforeKill <= createdBeforeKill && recordedBeforeKill < TOKENS);

      await stack.testStack.stack.cancel();

      // Pending creates may or may not have reached the API: drop them from state, then converge.
      // By now (seconds after the kill) the creates that were in flight have been answered.
      const answeredFirstRun = await createSuccesses();
      const orphans = answeredFirstRun - recordedBeforeKill;
      console.log(
        `killed after ${createdBeforeKill} answered creates; ${pendingCreates.length} pending creates; ` +
          `${recordedBeforeKill} recorded; ${orphans} orphan token(s) in the kill window`,
      );
      assert.ok(orphans >= 0 && orphans <= 8, "orphans are at most the creates in flight (--parallel 8)");
      const countsBefore = await world.emulator.admin.counts();
      await stack.refresh({ clearPendingCreates: true });
      assert.deepEqual(JSON.parse(stack.readStackFile()).checkpoint.latest?.pending_operations ?? [], []);
      assert.deepEqual(
        await world.emulator.admin.counts(),
        countsBefore,
        "refresh of fresh tokens: no API call",
      );
      assert.equal(stack.tokenResources().length, recordedBeforeKill);

      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.summary.resourceChanges?.create, TOKENS - recordedBeforeKill);

      await stack.refresh();
      const resources = stack.tokenResources();
      assert.equal(resources.length, TOKENS, "50 token resources");
      assert.equal(new Set(resources.map((r) => r.name)).size, TOKENS, "no duplicate resources");
      assert.equal(new Set(resources.map((r) => r.id)).size, TOKENS, "no duplicate ids");
      const tokens = await stack.exportedTokens();
      for (const account of accounts) {
        const whoami = await world.emulator.admin.whoami(tokens.get(account.name) as string);
        assert.equal(whoami.subjectId, account.serviceAccountId, `${account.name} holds a valid token`);
      }
      // Every create the API answered is either in state or one of the kill window's orphans.
      const successes = await createSuccesses();
      assert.equal(
        successes,
        answeredFirstRun + (TOKENS - recordedBeforeKill),
        "the converging up created each missing token once",
      );
    });
  });
}
