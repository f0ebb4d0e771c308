import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { copyProgram, installPackedPackage, installPackedPackageWith } from "../support/packedPackage";
import { repoRoot } from "../support/pulumiCli";
import { examplesDir } from "./support";

const run = promisify(execFile);
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** Every TypeScript program a user may copy: the examples and the quick start's root program. */
const programs: { name: string; dir: string }[] = [
  ...fs
    .readdirSync(examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: `examples/${entry.name}`, dir: path.join(examplesDir, entry.name) })),
];

/** What every program gets from the shared installation: the package, its peer, Node's types, tsc. */
const SHARED_DEPENDENCIES = new Set([
  "pulumi-yandex-iam-token",
  "@pulumi/pulumi",
  "@types/node",
  "typescript",
]);

/**
 * The npm packages a program declares beyond the shared ones (e.g. `@pulumi/docker`), at the exact
 * versions it pins; they are installed from the registry to type-check the program against them.
 */
function extraDependencies(programDir: string): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(programDir, "package.json"), "utf8"));
  const declared: Record<string, string> = { ...manifest.dependencies, ...manifest.devDependencies };
  const extras = Object.entries(declared).filter(([name]) => !SHARED_DEPENDENCIES.has(name));
  for (const [name, version] of extras) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned to an exact version`);
  }
  return Object.fromEntries(extras);
}

/** The extra packages of all programs together; two programs must not pin different versions. */
function allExtras(): Record<string, string> {
  const all: Record<string, string> = {};
  for (const program of programs) {
    for (const [name, version] of Object.entries(extraDependencies(program.dir))) {
      assert.ok(!all[name] || all[name] === version, `${name}: every example pins the same version`);
      all[name] = version;
    }
  }
  return all;
}

// The example stacks run with PULUMI_NODEJS_TRANSPILE_ONLY to stay fast; this checks their types
// once, with the TypeScript the examples declare (5.9), against the packed package's typings and
// the real npm packages of any other provider an example uses.
describe("example programs type-check against the installed package", () => {
  for (const program of programs) {
    it(program.name, async () => {
      // One installation with every example's extra packages (they pin the same versions), so
      // that the examples do not each install, and remove, an installation of their own.
      const extras = extraDependencies(program.dir);
      const appDir =
        Object.keys(extras).length > 0 ? installPackedPackageWith(allExtras()) : installPackedPackage();
      const copy = copyProgram(program.dir, appDir, "typecheck");
      try {
        const configs = fs.readdirSync(copy).filter((file) => /^tsconfig(\..+)?\.json$/.test(file));
        assert.ok(configs.includes("tsconfig.json"), "every program has a tsconfig.json");
        for (const config of configs) {
          await run(process.execPath, [tsc, "--noEmit", "-p", config], { cwd: copy }).catch(
            (error: { stdout?: string }) => assert.fail(`${config}:\n${error.stdout ?? String(error)}`),
          );
        }
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });
  }
});
