import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "./pulumiCli";

let cachedAppDir: string | undefined;

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
  const tarballName = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  const tarball = path.join(packDir, tarballName);
  const hash = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex").slice(0, 16);
  // Keyed by this checkout too: another checkout's test run on the same machine keeps its own.
  const checkoutPrefix = `pyit-app-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 8)}-`;
  const appDir = path.join(os.tmpdir(), `${checkoutPrefix}${hash}`);
  if (!fs.existsSync(path.join(appDir, "node_modules", "pulumi-yandex-iam-token", "package.json"))) {
    // This checkout's installations of earlier builds are of no further use: about 100 MB each.
    for (const entry of fs.readdirSync(os.tmpdir())) {
      if (entry.startsWith(checkoutPrefix))
        fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    }
    fs.mkdirSync(appDir, { recursive: true });
    const stableTarball = path.join(appDir, tarballName);
    fs.copyFileSync(tarball, stableTarball);
    fs.writeFileSync(
      path.join(appDir, "package.json"),
      JSON.stringify({
        name: "pyit-e2e-app",
        private: true,
        dependencies: { "pulumi-yandex-iam-token": `file:./${tarballName}` },
      }),
    );
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
      cwd: appDir,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  fs.rmSync(packDir, { recursive: true, force: true });
  cachedAppDir = appDir;
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
