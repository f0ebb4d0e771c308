import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { installTarball, npmPack } from "../support/packedPackage";
import { createTestStack, repoRoot, tempDir } from "../support/pulumiCli";
import { startTestWorld, type TestWorld } from "../support/emulatorFixture";

const run = promisify(execFile);
const SERVICE_ACCOUNT_ID = "ajepackagedapp000001";
/** The module path that every stack's state names in `__provider`: it must resolve forever. */
const PROVIDER_MODULE = "pulumi-yandex-iam-token/dist/provider/tokenResource.js";
/** What a TypeScript program needs besides the package, pinned as the repository pins them. */
const TYPESCRIPT_DEPENDENCIES = { typescript: "5.9.3", "@types/node": "24.19.4" };

/** Runs `node` with `args` in `cwd` (so bare specifiers resolve from its node_modules); returns stdout. */
async function node(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd });
  return stdout.trim();
}

// The package as a new user gets it: the repository's committed HEAD cloned into an empty
// folder (no dist/, no node_modules), `npm ci` and `npm pack` there (which must build through
// `prepare`), and the tarball installed into three kinds of program that each go through
// up, a no-change preview and destroy with the real CLI against the emulator.
describe("the package packed from a fresh clone", () => {
  const work = tempDir("pyit-packaging-");
  const backend = tempDir("pyit-packaging-backend-");
  const cloneDir = path.join(work.dir, "clone");
  let tarball = "";
  let appDir = "";
  let world: TestWorld;

  before(async () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    execFileSync("git", ["clone", "--quiet", "--no-checkout", repoRoot, cloneDir]);
    execFileSync("git", ["checkout", "--quiet", "--detach", head], { cwd: cloneDir });
    world = await startTestWorld([{ name: "app", serviceAccountId: SERVICE_ACCOUNT_ID }]);
  });

  after(async () => {
    await world?.emulator.close();
    work.cleanup();
    backend.cleanup();
  });

  it("npm pack in the clone builds the package first (its prepare script)", () => {
    assert.ok(!fs.existsSync(path.join(cloneDir, "dist")), "a fresh clone has no dist/");
    assert.ok(!fs.existsSync(path.join(cloneDir, "node_modules")), "nor node_modules");
    // Without scripts, so that it is `npm pack` that builds (`npm ci` runs `prepare` too).
    execFileSync(
      "npm",
      ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      { cwd: cloneDir, stdio: ["ignore", "ignore", "inherit"] },
    );
    assert.ok(!fs.existsSync(path.join(cloneDir, "dist")));
    const packDir = path.join(work.dir, "pack");
    fs.mkdirSync(packDir);
    tarball = npmPack(cloneDir, packDir, true);
    assert.ok(fs.existsSync(path.join(cloneDir, "dist", "sdk", "index.js")), "npm pack built dist/");
    assert.ok(!fs.existsSync(path.join(cloneDir, "dist", "test")), "and only the shipped code");
  });

  it("the tarball holds what an import needs, and nothing of the tests or benchmarks", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((entry) => entry.replace(/^package\//, ""));
    console.log(`tarball: ${files.length} files, ${fs.statSync(tarball).size} bytes`);
    for (const required of [
      "package.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/emulator/index.js",
      "dist/emulator/index.d.ts",
      "dist/emulator/cli.js",
      "dist/provider/tokenResource.js",
    ]) {
      assert.ok(files.includes(required), `the tarball has ${required}`);
    }
    const unexpected = files.filter(
      (file) =>
        !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(file) &&
        !/^dist\/(sdk|provider|emulator)\/[\w/.-]+\.(js|d\.ts)$/.test(file),
    );
    assert.deepEqual(unexpected, [], "only the compiled sdk, provider and emulator, and the documents");
    for (const js of files.filter((file) => file.endsWith(".js"))) {
      assert.ok(files.includes(js.replace(/\.js$/, ".d.ts")), `${js} comes with its declarations`);
    }
    const license = execFileSync("tar", ["-xzOf", tarball, "package/LICENSE"], { encoding: "utf8" });
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  });

  it("installs, and every entry of its exports map resolves as documented", async () => {
    appDir = installTarball(tarball, "pyit-packaged-", TYPESCRIPT_DEPENDENCIES);
    const provider = JSON.parse(
      await node(appDir, [
        "-e",
        `const m = require(${JSON.stringify(PROVIDER_MODULE)});
         console.log(JSON.stringify(Object.fromEntries(
           ["check", "diff", "create", "read", "update", "delete", "configure"].map((k) => [k, typeof m[k]]))));`,
      ]),
    );
    assert.deepEqual(provider, {
      check: "function",
      diff: "function",
      create: "function",
      read: "function",
      update: "function",
      delete: "function",
      configure: "function",
    });
    assert.equal(
      await node(appDir, ["-p", 'require("pulumi-yandex-iam-token/package.json").name']),
      "pulumi-yandex-iam-token",
    );
    assert.equal(
      await node(appDir, ["-p", 'typeof require("pulumi-yandex-iam-token/emulator").startEmulator']),
      "function",
    );
    assert.equal(
      await node(appDir, ["-p", 'require("pulumi-yandex-iam-token/testing").CLOCK_OFFSET_ENV']),
      "PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET",
    );
    assert.equal(
      await node(appDir, [
        "--input-type=module",
        "-e",
        `import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";
         import { startEmulator } from "pulumi-yandex-iam-token/emulator";
         console.log(typeof ServiceAccountIamToken, typeof startEmulator);`,
      ]),
      "function function",
    );
    // The map is in force: a module that is not an entry point cannot be reached.
    await assert.rejects(
      node(appDir, ["-e", 'require("pulumi-yandex-iam-token/dist/provider/renewal.js")']),
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });

  it("installs from a git URL too: npm builds it with its prepare script", () => {
    const gitApp = path.join(work.dir, "git-app");
    fs.mkdirSync(gitApp);
    fs.writeFileSync(path.join(gitApp, "package.json"), JSON.stringify({ name: "git-app", private: true }));
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--loglevel=error",
        `git+file://${cloneDir}`,
      ],
      { cwd: gitApp, stdio: ["ignore", "ignore", "inherit"] },
    );
    const installed = path.join(gitApp, "node_modules", "pulumi-yandex-iam-token");
    for (const file of [
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/provider/tokenResource.js",
      "LICENSE",
    ]) {
      assert.ok(fs.existsSync(path.join(installed, file)), `the git install has ${file}`);
    }
    assert.ok(!fs.existsSync(path.join(installed, "dist", "test")), "and only the shipped code");
  });

  for (const program of [
    { kind: "a CommonJS JavaScript program", fixture: "package-cjs" },
    { kind: "a TypeScript program (type-checked)", fixture: "package-ts" },
    { kind: 'an ES module program ("type": "module")', fixture: "package-esm" },
  ]) {
    it(`${program.kind}: up, a preview with no changes, destroy`, async () => {
      const programDir = fs.mkdtempSync(path.join(appDir, `${program.fixture}-`));
      fs.cpSync(path.join(repoRoot, "test", "e2e", "fixtures", program.fixture), programDir, {
        recursive: true,
      });
      const testStack = await createTestStack(programDir, backend.dir, "dev", world.providerEnv);
      await testStack.stack.setConfig("serviceAccountId", { value: SERVICE_ACCOUNT_ID });

      const up = await testStack.stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.deepEqual(up.summary.resourceChanges, { create: 2 });
      assert.equal(up.outputs.iamToken.secret, true);
      const whoami = await world.emulator.admin.whoami(up.outputs.iamToken.value);
      assert.equal(whoami.subjectId, SERVICE_ACCOUNT_ID);
      assert.equal(whoami.expiresAt, up.outputs.expiresAt.value);
      const state = JSON.parse(testStack.readStackFile());
      const token = state.checkpoint.latest.resources.find((r: { urn: string }) => r.urn.endsWith("::app"));
      assert.ok(
        token.inputs.__provider.includes(`require("${PROVIDER_MODULE}")`),
        "the state names the module",
      );

      const preview = await testStack.stack.preview();
      assert.deepEqual(preview.changeSummary, { same: 2 });

      const destroy = await testStack.stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.deepEqual(destroy.summary.resourceChanges, { delete: 2 });
      await testStack.stack.workspace.removeStack("dev");
    });
  }
});
