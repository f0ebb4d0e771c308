/**
 * A stack of the e2e `tokens` program driven through the real CLI (the packed package installed
 * as users install it) for the security suite: every operation's whole output is returned to the
 * case and recorded for the final scan, with the backend and the CLI's home directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { ENGINE_LOG_VERBOSITY, TOKEN_TYPE } from "../reliability/support";
import type { TestWorld } from "../support/emulatorFixture";
import { copyProgram, installPackedPackage } from "../support/packedPackage";
import {
  createTestStack,
  exportedTokensByName,
  repoRoot,
  tempDir,
  type TestStack,
} from "../support/pulumiCli";
import { recordText, secret, securityLedger } from "./support";

/** What one CLI operation printed, and how it ended. */
export interface CliRun {
  /** Whether the operation failed. */
  failed: boolean;
  /** The Automation API's error message (it quotes the command's output), or "" on success. */
  message: string;
  stdout: string;
  stderr: string;
  /** Everything above, joined: what a user or a CI log sees. */
  all: string;
}

/** An account entry of the program's `accounts` config. */
export interface AccountEntry {
  name: string;
  serviceAccountId: string;
  renewBefore?: unknown;
}

/** One stack of the `tokens` fixture, with its own backend and CLI home. */
export class CliStack {
  private constructor(
    private readonly testStack: TestStack,
    private readonly label: string,
  ) {}

  /** Creates the stack for `world`: credentials and endpoint from the world's environment. */
  static async create(label: string, world: TestWorld): Promise<CliStack> {
    const programDir = copyProgram(
      path.join(repoRoot, "test", "e2e", "fixtures", "tokens"),
      installPackedPackage(),
      `sec-${label}`,
    );
    const backend = tempDir(`pyit-sec-${label}-`);
    const home = tempDir(`pyit-sec-home-${label}-`);
    securityLedger.addDir(backend.dir);
    securityLedger.addDir(home.dir);
    process.on("exit", () => {
      backend.cleanup();
      home.cleanup();
      fs.rmSync(programDir, { recursive: true, force: true });
    });
    const testStack = await createTestStack(programDir, backend.dir, "dev", {
      ...world.providerEnv,
      PULUMI_HOME: home.dir,
    });
    return new CliStack(testStack, label);
  }

  private get workspace(): LocalWorkspace {
    return this.testStack.stack.workspace as LocalWorkspace;
  }

  /** Sets (or, with `undefined`, removes) an environment variable of the CLI and so of the provider. */
  setEnv(name: string, value: string | undefined): void {
    if (value === undefined) delete this.workspace.envVars[name];
    else this.workspace.envVars[name] = value;
  }

  /** The current value of an environment variable of the CLI. */
  env(name: string): string | undefined {
    return this.workspace.envVars[name];
  }

  /** Sets the program's accounts. */
  setAccounts(accounts: readonly AccountEntry[]): Promise<void> {
    return this.testStack.stack.setConfig("accounts", { value: JSON.stringify(accounts) });
  }

  /** Sets (secret) or removes a stack config key. */
  async setConfig(key: string, value: string | undefined, isSecret = false): Promise<void> {
    if (value === undefined) await this.testStack.stack.removeConfig(key);
    else await this.testStack.stack.setConfig(key, { value, secret: isSecret });
  }

  /**
   * Runs `up` or `preview` and returns what it printed, whether it failed or not. With
   * `engineLog`, the engine's own log (`-v=9 --logflow`) goes to stderr too and is scanned with
   * the rest; without it, stdout and stderr are what a user sees.
   */
  async run(operation: "up" | "preview", label: string, options: { engineLog: boolean }): Promise<CliRun> {
    let stdout = "";
    let stderr = "";
    const opts = {
      onOutput: (s: string) => (stdout += s),
      onError: (s: string) => (stderr += s),
      ...(options.engineLog
        ? { logToStdErr: true, logFlow: true, logVerbosity: ENGINE_LOG_VERBOSITY }
        : { color: "never" as const }),
    };
    let message = "";
    let failed = false;
    try {
      if (operation === "up") {
        const result = await this.testStack.stack.up(opts);
        for (const [key, output] of Object.entries(result.outputs)) {
          if (output.secret && typeof output.value === "string") secret(`output ${key}`, output.value);
        }
      } else {
        await this.testStack.stack.preview(opts);
      }
    } catch (error) {
      failed = true;
      message = String((error as Error)?.message ?? error);
    }
    const run = { failed, message, stdout, stderr, all: [message, stdout, stderr].join("\n") };
    recordText(`${this.label} ${label} ${operation} message`, message);
    recordText(`${this.label} ${label} ${operation} stdout`, stdout);
    recordText(`${this.label} ${label} ${operation} stderr`, stderr);
    return run;
  }

  /** The resources in state, secrets decrypted, without the default provider. */
  async resourceState(): Promise<unknown[]> {
    const deployment = await this.testStack.stack.exportStack();
    return (deployment.deployment.resources ?? []).filter(
      (r: { type: string }) => !r.type.startsWith("pulumi:providers:"),
    );
  }

  /** Names of the token resources in state. */
  async tokenNames(): Promise<string[]> {
    const deployment = await this.testStack.stack.exportStack();
    return (deployment.deployment.resources ?? [])
      .filter((r: { type: string }) => r.type === TOKEN_TYPE)
      .map((r: { urn: string }) => r.urn.split("::").pop() as string);
  }

  /** Plaintext tokens in state (from `pulumi stack export`), each recorded as a secret. */
  async exportedTokens(): Promise<string[]> {
    const tokens = await exportedTokensByName(this.testStack.stack);
    return [...tokens.values()].map((value) => secret(`an issued token (${this.label})`, value));
  }
}
