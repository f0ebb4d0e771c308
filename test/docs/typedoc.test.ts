import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot, tempDir } from "../support/pulumiCli";

const run = promisify(execFile);

// `npm run docs` builds the API reference from the TSDoc comments of the public exports, with
// typedoc.json's treatWarningsAsErrors and validation (every export documented, links valid).
describe("API reference", () => {
  it("builds with TypeDoc without warnings", async () => {
    const out = tempDir("pyit-typedoc-");
    try {
      const typedoc = path.join(repoRoot, "node_modules", "typedoc", "bin", "typedoc");
      const result = await run(process.execPath, [typedoc, "--out", out.dir, "--treatWarningsAsErrors"], {
        cwd: repoRoot,
      }).catch((error: { stdout?: string; stderr?: string; code?: number }) =>
        assert.fail(`typedoc failed (exit ${error.code}):\n${error.stdout}\n${error.stderr}`),
      );
      const output = `${result.stdout}${result.stderr}`;
      assert.doesNotMatch(output, /\[warning\]|\[error\]/, output);
      const index = fs.readFileSync(path.join(out.dir, "index.html"), "utf8");
      assert.match(index, /ServiceAccountIamToken/);
      assert.ok(fs.existsSync(path.join(out.dir, "classes", "ServiceAccountIamToken.html")));
      assert.ok(fs.existsSync(path.join(out.dir, "interfaces", "ServiceAccountIamTokenArgs.html")));
    } finally {
      out.cleanup();
    }
  });
});
