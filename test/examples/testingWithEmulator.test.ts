import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { pulumiBinDir } from "../support/pulumiCli";
import { EXAMPLE_ENV, installExample } from "./support";

// examples/testing-with-emulator: the user's own Automation API test, run as its README says
// (`npm test` = `node --test stack.test.mts`) in a project with the packed package installed.
describe("example testing-with-emulator", () => {
  it("its node:test suite passes", async () => {
    const programDir = installExample("testing-with-emulator");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...EXAMPLE_ENV,
      PATH: `${pulumiBinDir()}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    };
    // The outer test runner marks its children; the example's own `node --test` must not see it.
    delete env.NODE_TEST_CONTEXT;
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--test", "--test-reporter=tap", "stack.test.mts"], {
        cwd: programDir,
        env,
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      child.on("error", reject);
      child.on("close", (exitCode) => resolve({ code: exitCode, output }));
    });
    assert.equal(code, 0, output);
    assert.match(output, /^# pass 3$/m, output);
    assert.match(output, /^# fail 0$/m, output);
  });
});
