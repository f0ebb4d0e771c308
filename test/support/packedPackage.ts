import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "./pulumiCli";

let cachedAppDir: string | undefined;

/**
 * Runs `npm pack` in `packageDir` and returns the tarball's path in `destinationDir`.
 *
 * `runScripts: false` packs the `dist/` that the test run has just built (`npm pack` would
 * otherwise rebuild it through `prepack` in every test file's process, and remove the shipped
 * folders of `dist/` while other test files run from them).
 */
export function npmPack(packageDir: string, destinationDir: string, runScripts: boolean): string {
  const args = ["pack", "--silent", "--pack-destination", destinationDir];
  if (!runScripts) args.push("--ignore-scripts");
  const tarballName = execFileSync("npm", args, {
    cwd: packageDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop()!;
  return path.join(destinationDir, tarballName);
}

/** The name of the tarball `npm pack` writes for this repository's package. */
const PACKED_TARBALL = /^pulumi-yandex-iam-token-.*\.tgz$/;

/**
 * Packs this repository with `npm pack` and installs the tarball into a fresh application
 * folder, exactly as a user installs the published package. Programs copied under the returned
 * folder resolve `pulumi-yandex-iam-token` (and `@pulumi/pulumi`) from its node_modules.
 *
 * The installation is keyed by the tarball's hash, so the test files of one run share it.
 */
export function installPackedPackage(): string {
  if (cachedAppDir) return cachedAppDir;
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "pyit-pack-"));
  try {
    cachedAppDir = installTarball(npmPack(repoRoot, packDir, false), "pyit-pkg-", {});
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
  return cachedAppDir;
}

/**
 * Installs the packed package together with more npm packages (exact versions, e.g. the
 * `@pulumi/docker` an example uses) into an application folder of their own, keyed by the
 * tarball's hash and the packages, and returns it. One `npm install` resolves them all, so
 * `@pulumi/pulumi` exists once, shared by this package and the others.
 */
export function installPackedPackageWith(dependencies: Record<string, string>): string {
  const appDir = installPackedPackage();
  const tarball = fs.readdirSync(appDir).find((file) => PACKED_TARBALL.test(file));
  if (!tarball) throw new Error(`no packed tarball in ${appDir}`);
  return installTarball(path.join(appDir, tarball), "pyit-deps-", dependencies);
}

/**
 * Installs `tarball` (and `dependencies`) into `<tmp>/<prefix><checkout>-<hash>` unless that
 * installation exists, removing this checkout's older installations of the same prefix, and
 * returns the folder.
 */
export function installTarball(
  tarball: string,
  prefix: string,
  dependencies: Record<string, string>,
): string {
  // Checkouts of the repository that run tests at the same time on one machine each keep their
  // own installations: the clean-up below must not remove another checkout's while it runs.
  prefix = `${prefix}${createHash("sha256").update(repoRoot).digest("hex").slice(0, 8)}-`;
  const tarballName = path.basename(tarball);
  const hash = createHash("sha256")
    .update(fs.readFileSync(tarball))
    .update(JSON.stringify(dependencies))
    .digest("hex")
    .slice(0, 16);
  const appDir = path.join(os.tmpdir(), `${prefix}${hash}`);
  const doneMarker = path.join(appDir, "node_modules", ".pyit-installed");
  if (!fs.existsSync(doneMarker)) {
    // Installations of earlier builds of the package are of no further use: 100 MB or more each.
    for (const entry of fs.readdirSync(os.tmpdir())) {
      if (entry.startsWith(prefix))
        fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    }
    fs.mkdirSync(appDir, { recursive: true });
    fs.copyFileSync(tarball, path.join(appDir, tarballName));
    fs.writeFileSync(
      path.join(appDir, "package.json"),
      JSON.stringify({
        name: "pyit-e2e-app",
        private: true,
        dependencies: { "pulumi-yandex-iam-token": `file:./${tarballName}`, ...dependencies },
      }),
    );
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
      cwd: appDir,
      stdio: ["ignore", "ignore", "inherit"],
    });
    fs.writeFileSync(doneMarker, "");
  }
  return appDir;
}

/**
 * Copies a program folder under the installed application, so that it runs against the packed
 * package, and returns the copy's path.
 */
export function copyProgram(sourceDir: string, appDir: string, prefix: string): string {
  const programDir = fs.mkdtempSync(path.join(appDir, `${prefix}-`));
  fs.cpSync(sourceDir, programDir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  return programDir;
}
