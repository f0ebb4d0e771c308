import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { SERVICE_ACCOUNT_IAM_TOKEN_TYPE } from "../../sdk/testing";

/** The repository root (tests run from dist/test/...). */
export const repoRoot = path.resolve(__dirname, "..", "..", "..");

let cachedBinDir: string | undefined;

/**
 * The directory holding `pulumi` and its Node.js plugins, from `PULUMI_BIN_DIR` (set by
 * scripts/test.sh) or by running scripts/pulumi-bin.sh, which builds them on first use.
 */
export function pulumiBinDir(): string {
  if (!cachedBinDir) {
    cachedBinDir =
      process.env.PULUMI_BIN_DIR ??
      execFileSync("bash", [path.join(repoRoot, "scripts", "pulumi-bin.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }).trim();
  }
  return cachedBinDir;
}

/** The real Pulumi CLI, for the Automation API. */
export async function pulumiCommand(): Promise<PulumiCommand> {
  return PulumiCommand.get({ root: path.dirname(pulumiBinDir()) });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What a test needs to drive one stack through the real CLI on a local file backend. */
export interface TestStack {
  stack: Stack;
  backendDir: string;
  /** Path of the backend's stack file (the checkpoint). */
  stackFilePath: string;
  /** Reads the backend's stack file as stored on disk (secrets stay encrypted there). */
  readStackFile(): string;
}

/** The passphrase of the test stacks' secrets provider. */
export const TEST_PASSPHRASE = "correct horse battery staple";

/**
 * Creates a stack for the program in `workDir` on a `file://` backend in `backendDir`, with a
 * passphrase secrets provider and the given extra environment.
 */
export async function createTestStack(
  workDir: string,
  backendDir: string,
  stackName: string,
  env: Record<string, string> = {},
): Promise<TestStack> {
  const binDir = pulumiBinDir();
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PATH: `${binDir}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
    ...env,
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, workDir },
    { pulumiCommand: await pulumiCommand(), envVars, secretsProvider: "passphrase" },
  );
  const projectName = readProjectName(workDir);
  const stackFilePath = path.join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`);
  return { stack, backendDir, stackFilePath, readStackFile: () => fs.readFileSync(stackFilePath, "utf8") };
}

function readProjectName(workDir: string): string {
  const text = fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8");
  const match = /^name:\s*(\S+)/m.exec(text);
  if (!match) throw new Error(`no project name in ${workDir}/Pulumi.yaml`);
  return match[1];
}

/** `pulumi version` of the CLI under test. */
export function pulumiVersion(): string {
  return execFileSync(path.join(pulumiBinDir(), "pulumi"), ["version"], { encoding: "utf8" }).trim();
}

/**
 * The plaintext IAM token of every ServiceAccountIamToken in a stack, by resource name, read
 * from `pulumi stack export` (which shows secrets in plaintext).
 */
export async function exportedTokensByName(stack: Stack): Promise<Map<string, string>> {
  const deployment = await stack.exportStack();
  const tokens = new Map<string, string>();
  for (const r of deployment.deployment.resources ?? []) {
    if (r.type !== SERVICE_ACCOUNT_IAM_TOKEN_TYPE || !r.outputs?.iamToken) continue;
    const value =
      r.outputs.iamToken.plaintext !== undefined
        ? JSON.parse(r.outputs.iamToken.plaintext)
        : r.outputs.iamToken;
    if (typeof value === "string") tokens.set(r.urn.split("::").pop(), value);
  }
  return tokens;
}
