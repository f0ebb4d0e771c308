import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createTestStack, pulumiVersion, repoRoot, tempDir, TestStack } from "../support/pulumiCli";

// Proves the toolchain, not the product: the real CLI runs a Node.js program through our language
// host, loads a serialized dynamic provider through pulumi-resource-pulumi-nodejs and writes state.
describe("the real Pulumi engine", () => {
  const work = tempDir("pyit-engine-");
  let testStack: TestStack;

  before(async () => {
    // Inside the repo so that the program resolves @pulumi/pulumi from the repo's node_modules.
    const programDir = fs.mkdtempSync(path.join(repoRoot, ".tmp-noop-"));
    fs.cpSync(path.join(repoRoot, "test", "e2e", "fixtures", "noop"), programDir, { recursive: true });
    work.cleanup = ((orig) => () => {
      orig();
      fs.rmSync(programDir, { recursive: true, force: true });
    })(work.cleanup);
    console.log(`pulumi version: ${pulumiVersion()}`);
    testStack = await createTestStack(programDir, work.dir, "dev");
    await testStack.stack.setConfig("count", { value: "2" });
  });

  after(() => work.cleanup());

  it("runs up, a no-change preview and destroy", async () => {
    const up = await testStack.stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(up.outputs.labels.value, ["noop-r0", "noop-r1"]);
    assert.equal(up.summary.resourceChanges?.create, 3); // the stack plus two resources

    const stackFile = JSON.parse(testStack.readStackFile());
    const types = stackFile.checkpoint.latest.resources.map((r: { type: string }) => r.type);
    assert.equal(types.filter((t: string) => t === "pulumi-nodejs:dynamic:Resource").length, 2);

    const preview = await testStack.stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });

    const destroy = await testStack.stack.destroy();
    assert.equal(destroy.summary.result, "succeeded");
    const after = JSON.parse(testStack.readStackFile());
    assert.equal((after.checkpoint.latest?.resources ?? []).length, 0);
  });
});
