import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { CLOCK_OFFSET_ENV } from "../../sdk/testing";
import { copyProgram, installPackedPackage } from "../support/packedPackage";
import { createTestStack, repoRoot, type TestStack } from "../support/pulumiCli";

/** The examples folder of the repository. */
export const examplesDir = path.join(repoRoot, "examples");

/**
 * Environment every example stack runs with. Type-checking of the programs is done once, with
 * the repository's TypeScript, by typecheck.test.ts; the stacks themselves skip it to stay fast.
 */
export const EXAMPLE_ENV: Record<string, string> = { PULUMI_NODEJS_TRANSPILE_ONLY: "true" };

/** Starts an emulator on a free port with the example's own seed file. */
export function startExampleEmulator(example: string): Promise<RunningEmulator> {
  return startEmulator({ port: 0, seed: path.join(examplesDir, example, "emulator-seed.json") });
}

/** Copies an example under the packed-and-installed package (as a user's project with it installed). */
export function installExample(example: string): string {
  return copyProgram(path.join(examplesDir, example), installPackedPackage(), `example-${example}`);
}

/** A stack of the example on a file backend in `backendDir`, with the given provider environment. */
export async function exampleStack(
  example: string,
  backendDir: string,
  env: Record<string, string>,
): Promise<TestStack> {
  return createTestStack(installExample(example), backendDir, "dev", { ...EXAMPLE_ENV, ...env });
}

/** Moves the emulator's clock and the provider's clock offset together; never sleeps. */
export class TimeMachine {
  private offsetSeconds = 0;

  constructor(
    private readonly emulator: RunningEmulator,
    private readonly testStack: TestStack,
  ) {}

  /** Moves both clocks forward by `seconds`. */
  async advance(seconds: number): Promise<void> {
    await this.emulator.admin.advanceClock(seconds);
    this.offsetSeconds += seconds;
    (this.testStack.stack.workspace as LocalWorkspace).envVars[CLOCK_OFFSET_ENV] = `PT${this.offsetSeconds}S`;
  }
}

/** The emulator-issued token shape, to check that none leaked into CLI output. */
export const TOKEN_PATTERN = /t1\.[A-Za-z0-9_-]{20,}/;
