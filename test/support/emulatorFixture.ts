import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { copyProgram, installPackedPackage } from "./packedPackage";
import { createTestStack, repoRoot, type TestStack } from "./pulumiCli";

/** A service account of the test world. */
export interface TestAccount {
  name: string;
  serviceAccountId: string;
  tokenLifetimeSeconds?: number;
  /** Whether the caller holds iam.serviceAccounts.tokenCreator on it (default true). */
  grant?: boolean;
}

/** An emulator with a user whose OAuth token is the provider's credential. */
export interface TestWorld {
  emulator: RunningEmulator;
  callerUserId: string;
  oauthToken: string;
  /** Environment for the Pulumi CLI, and so for the provider: credentials and endpoint. */
  providerEnv: Record<string, string>;
}

/** Starts an emulator on a free port with the given accounts and a caller holding the role on them. */
export async function startTestWorld(accounts: TestAccount[]): Promise<TestWorld> {
  const emulator = await startEmulator({ port: 0 });
  const callerUserId = "ajecalleruser0000001";
  await emulator.admin.createUser(callerUserId);
  const { token: oauthToken } = await emulator.admin.createOAuthToken(callerUserId);
  for (const account of accounts) {
    await emulator.admin.createServiceAccount({
      id: account.serviceAccountId,
      folderId: "b1gtestfolder0000001",
      tokenLifetimeSeconds: account.tokenLifetimeSeconds,
    });
    if (account.grant !== false) {
      await emulator.admin.addRoleBinding({
        subjectId: callerUserId,
        role: "iam.serviceAccounts.tokenCreator",
        resourceId: account.serviceAccountId,
      });
    }
  }
  return {
    emulator,
    callerUserId,
    oauthToken,
    providerEnv: { YC_TOKEN: oauthToken, YC_IAM_ENDPOINT: emulator.baseUrl },
  };
}

/**
 * A stack of the e2e "tokens" program (test/e2e/fixtures/tokens), installed against the packed
 * package, whose provider authenticates against the world's emulator.
 */
export async function createTokensProgramStack(
  world: TestWorld,
  backendDir: string,
  prefix: string,
): Promise<TestStack> {
  const programDir = copyProgram(
    path.join(repoRoot, "test", "e2e", "fixtures", "tokens"),
    installPackedPackage(),
    prefix,
  );
  return createTestStack(programDir, backendDir, "dev", world.providerEnv);
}
