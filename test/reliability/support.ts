/**
 * Shared machinery of the reliability suite: stacks of the `tokens` fixture driven through the
 * real CLI (the packed package installed as users install it), with every artifact the suite
 * produces recorded for the final secrets scan: CLI output of every operation (engine diagnostics
 * and the provider's stderr included), engine logs (`-v` with `--logflow`, sent to stderr), the
 * backend directories and the CLI's home directory.
 */
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { SERVICE_ACCOUNT_IAM_TOKEN_TYPE } from "../../sdk/testing";
import { startTestWorld, type TestAccount, type TestWorld } from "../support/emulatorFixture";
import { copyProgram, installPackedPackage } from "../support/packedPackage";
import {
  createTestStack,
  exportedTokensByName,
  pulumiBinDir,
  repoRoot,
  tempDir,
  TEST_PASSPHRASE,
  type TestStack,
} from "../support/pulumiCli";

/** Type token of the resource under test. */
/** The resource type token, as the CLI and exported stacks show it. */
export const TOKEN_TYPE = SERVICE_ACCOUNT_IAM_TOKEN_TYPE;

/** Engine log verbosity of every operation of the suite (its logs go to stderr and are scanned). */
export const ENGINE_LOG_VERBOSITY = 9;

/** Everything the suite wrote or printed, and every secret it used; scanned at the end. */
export class ArtifactLedger {
  private readonly secrets = new Map<string, string>();
  private readonly texts: { label: string; text: string }[] = [];
  private readonly dirs = new Set<string>();

  /** Records a secret (a token, an OAuth token, a private key) that must never appear anywhere. */
  addSecret(label: string, value: string | undefined): void {
    if (typeof value === "string" && value.length >= 8) this.secrets.set(value, label);
  }

  /** Records a piece of output (CLI stdout/stderr, an error message, a log). */
  addText(label: string, text: string): void {
    this.texts.push({ label, text });
  }

  /** Records a directory whose files are scanned at the end (backend, CLI home). */
  addDir(dir: string): void {
    this.dirs.add(dir);
  }

  get secretCount(): number {
    return this.secrets.size;
  }

  /** Reads every recorded directory now (before cleanup removes it); returns how many files. */
  snapshotDirs(): number {
    let files = 0;
    for (const dir of this.dirs) {
      for (const file of listFiles(dir)) {
        this.addText(`file ${file}`, fs.readFileSync(file, "latin1"));
        files++;
      }
    }
    this.dirs.clear();
    return files;
  }

  /** Total characters of recorded output. */
  get textBytes(): number {
    return this.texts.reduce((sum, t) => sum + t.text.length, 0);
  }

  /**
   * Every place a secret appears: `<where>: <which secret> in "<log line start>"` (never the
   * secret itself). Occurrences inside the Node.js SDK's own debug lines `RegisterResource RPC
   * finished: ...; resp: ...` / `ReadResource RPC finished` (@pulumi/pulumi runtime/resource.js
   * logs the engine's whole answer, secret outputs in plaintext, at engine log level 3) are
   * returned apart, in `upstream`: that leak is Pulumi's, in every program with a secret output.
   */
  findLeaks(): { leaks: string[]; upstream: string[] } {
    const leaks: string[] = [];
    const upstream: string[] = [];
    for (const { label, text } of this.texts) {
      for (const [secret, secretLabel] of this.secrets) {
        for (const form of secretForms(secret)) {
          for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + form.length)) {
            const lineStart = text.lastIndexOf("\n", at) + 1;
            const context = text.slice(lineStart, Math.min(at, lineStart + 160)).replace(/\s+/g, " ");
            const hit = `${label}: ${secretLabel} in "${context}"`;
            if (
              /^\{"time":[^}]*"msg":"(eventSink::Debug\(<\{%reset%\}>)?(RegisterResource|ReadResource) RPC finished: /.test(
                context,
              )
            )
              upstream.push(hit);
            else leaks.push(hit);
          }
        }
      }
    }
    return { leaks, upstream };
  }
}

/** A secret as it may appear: raw, JSON-escaped, base64, and for PEM keys the base64 body lines. */
function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString("base64"),
  ]);
  if (secret.includes("PRIVATE KEY")) {
    for (const line of secret.split("\n")) {
      if (/^[A-Za-z0-9+/=]{40,}$/.test(line.trim())) forms.add(line.trim());
    }
  }
  return [...forms];
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The one ledger of the suite's process. */
export const ledger = new ArtifactLedger();

/** `count` service accounts named `<prefix>NNN`, valid ids (letters and digits). */
export function accountsFor(prefix: string, count: number, grant = true): TestAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const serviceAccountId = `aje${prefix}${String(i).padStart(20 - 3 - prefix.length, "0")}`;
    return { name: `${prefix}${i}`, serviceAccountId, grant };
  });
}

/** Starts an emulator world and records its OAuth token as a secret. */
export async function startWorld(accounts: TestAccount[]): Promise<TestWorld> {
  const world = await startTestWorld(accounts);
  ledger.addSecret("the caller's OAuth token", world.oauthToken);
  return world;
}

/** The CLI home of the whole suite (workspace settings, plugin state, logs): scanned at the end. */
let suiteHome: string | undefined;
function cliHome(): string {
  if (!suiteHome) {
    const home = tempDir("pyit-rel-home-");
    suiteHome = home.dir;
    ledger.addDir(suiteHome);
    process.on("exit", () => home.cleanup());
  }
  return suiteHome;
}

/** Options every engine operation of the suite runs with: logs on, all output recorded. */
interface OpOptions {
  logToStdErr: boolean;
  logFlow: boolean;
  logVerbosity: number;
  onOutput: (out: string) => void;
  onError: (err: string) => void;
}

/** One stack of the `tokens` fixture with recording helpers. */
export class ReliabilityStack {
  private constructor(
    readonly name: string,
    readonly testStack: TestStack,
    readonly programDir: string,
    readonly env: Record<string, string>,
  ) {}

  /** Creates the stack (fresh backend) for `world`, with `accounts` as its program's config. */
  static async create(name: string, world: TestWorld, accounts: TestAccount[]): Promise<ReliabilityStack> {
    const appDir = installPackedPackage();
    const programDir = copyProgram(
      path.join(repoRoot, "test", "e2e", "fixtures", "tokens"),
      appDir,
      `rel-${name}`,
    );
    const backend = tempDir(`pyit-rel-${name}-`);
    ledger.addDir(backend.dir);
    process.on("exit", () => {
      backend.cleanup();
      fs.rmSync(programDir, { recursive: true, force: true });
    });
    const env = { ...world.providerEnv, PULUMI_HOME: cliHome() };
    const testStack = await createTestStack(programDir, backend.dir, "dev", env);
    const stack = new ReliabilityStack(name, testStack, programDir, env);
    await stack.setAccounts(accounts);
    return stack;
  }

  get workspace(): LocalWorkspace {
    return this.testStack.stack.workspace as LocalWorkspace;
  }

  get backendDir(): string {
    return this.testStack.backendDir;
  }

  /** Sets (or, with `undefined`, removes) an environment variable of the CLI and so of the provider. */
  setEnv(name: string, value: string | undefined): void {
    if (value === undefined) delete this.workspace.envVars[name];
    else this.workspace.envVars[name] = value;
  }

  setAccounts(accounts: readonly object[]): Promise<void> {
    return this.testStack.stack.setConfig("accounts", {
      value: JSON.stringify(
        accounts.map((a) => ({ ...a, grant: undefined, tokenLifetimeSeconds: undefined })),
      ),
    });
  }

  readStackFile(): string {
    return this.testStack.readStackFile();
  }

  /** The token resources in the stack file: urn, id and the name. */
  tokenResources(): { urn: string; id: string; name: string }[] {
    const state = JSON.parse(this.readStackFile());
    return (state.checkpoint.latest?.resources ?? [])
      .filter((r: { type: string }) => r.type === TOKEN_TYPE)
      .map((r: { urn: string; id: string }) => ({
        urn: r.urn,
        id: r.id,
        name: r.urn.split("::").pop() as string,
      }));
  }

  /** The resources in state, secrets decrypted, without the default provider (it records the program's config). */
  async resourceState(): Promise<unknown[]> {
    const deployment = await this.testStack.stack.exportStack();
    return (deployment.deployment.resources ?? []).filter(
      (r: { type: string }) => !r.type.startsWith("pulumi:providers:"),
    );
  }

  /** Plaintext tokens per resource name, from `pulumi stack export` (recorded as secrets). */
  async exportedTokens(): Promise<Map<string, string>> {
    const tokens = await exportedTokensByName(this.testStack.stack);
    for (const value of tokens.values()) ledger.addSecret(`an issued token (${this.name})`, value);
    return tokens;
  }

  /** Runs an operation with engine logs on; records its output whether it succeeds or fails. */
  private async run<T extends { stdout: string; stderr: string }>(
    label: string,
    action: (options: OpOptions) => Promise<T>,
  ): Promise<T> {
    let out = "";
    let err = "";
    const options: OpOptions = {
      logToStdErr: true,
      logFlow: true,
      logVerbosity: ENGINE_LOG_VERBOSITY,
      onOutput: (s) => (out += s),
      onError: (s) => (err += s),
    };
    try {
      return await action(options);
    } catch (error) {
      ledger.addText(`${this.name} ${label} error`, String((error as Error)?.message ?? error));
      throw error;
    } finally {
      ledger.addText(`${this.name} ${label} stdout`, out);
      ledger.addText(`${this.name} ${label} stderr`, err);
    }
  }

  async up(
    extra: { parallel?: number; continueOnError?: boolean } = {},
  ): Promise<Awaited<ReturnType<TestStack["stack"]["up"]>>> {
    const result = await this.run("up", (o) => this.testStack.stack.up({ ...o, ...extra }));
    for (const [key, output] of Object.entries(result.outputs)) {
      if (output.secret && typeof output.value === "string") ledger.addSecret(`output ${key}`, output.value);
    }
    return result;
  }

  preview(): ReturnType<TestStack["stack"]["preview"]> {
    return this.run("preview", (o) => this.testStack.stack.preview(o));
  }

  refresh(extra: { clearPendingCreates?: boolean } = {}): ReturnType<TestStack["stack"]["refresh"]> {
    return this.run("refresh", (o) => this.testStack.stack.refresh({ ...o, ...extra }));
  }

  /** The message of a failing operation (recorded like any output); fails when it succeeds. */
  async failureOf(
    operation: "up" | "preview" | "refresh",
    extra: { continueOnError?: boolean } = {},
  ): Promise<string> {
    try {
      await (operation === "up" ? this.up(extra) : this[operation]());
    } catch (error) {
      return String((error as Error)?.message ?? error);
    }
    assert.fail(`${this.name}: ${operation} was expected to fail`);
  }

  /**
   * Starts `pulumi up` as a child process of its own (process group leader), so the test has
   * the engine's pid. Output and the engine log are recorded when it exits.
   */
  spawnUp(): { pid: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
    const child = spawn(
      path.join(pulumiBinDir(), "pulumi"),
      [
        "up",
        "--yes",
        "--skip-preview",
        "--non-interactive",
        "--stack",
        "dev",
        "--logtostderr",
        "--logflow",
        `-v=${ENGINE_LOG_VERBOSITY}`,
      ],
      {
        cwd: this.programDir,
        env: { ...process.env, ...this.workspace.envVars, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("close", (code, signal) => {
        ledger.addText(`${this.name} spawned up stdout`, out);
        ledger.addText(`${this.name} spawned up stderr`, err);
        resolve({ code, signal });
      }),
    );
    assert.ok(child.pid, "pulumi up started");
    return { pid: child.pid, exited };
  }
}

/** Polls `condition` (an emulator query) until it holds; fails after `attempts` polls. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  attempts = 600,
  intervalMs = 50,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  assert.fail(`timed out waiting for ${what}`);
}
