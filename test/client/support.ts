/**
 * Shared fixtures of the client integration tests: an emulator with a known cast of accounts, a
 * session factory with recording hooks, and the leak collector that every test feeds.
 */
import { after, before, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { type RunningEmulator, type StoreSettings, startEmulator } from "../../emulator";
import { systemClock } from "../../provider/clock";
import { type IamSession, type IamSessionOptions, createIamSession } from "../../provider/session";

/** Ids of the emulator's cast. */
export const IDS = {
  folder: "b1gfolder00000000001",
  target: "ajetarget00000000001",
  noRole: "ajenorole00000000001",
  callerSa: "ajecallersa000000001",
  vmSa: "ajevmsa0000000000001",
  user: "ajeuser0000000000001",
} as const;

/** Secrets handed out during a test file (the leak check looks for each of them). */
export interface Fixture {
  emu: RunningEmulator;
  /** An OAuth token of the user (who may create tokens for `target`). */
  oauthToken: string;
  /** A caller IAM token of the user, minted directly. */
  userIamToken: string;
  /** Authorized key file (JSON text) of `callerSa` (tokenCreator on the folder). */
  keyFileJson: string;
  /** The key's private key, for the leak check. */
  privateKey: string;
}

/** Collects every log line and error text of a test file, and the secrets that must not be in them. */
export class LeakCollector {
  readonly secrets = new Set<string>();
  readonly texts: string[] = [];

  /** A logger for sessions that records what they log. */
  readonly logger = (message: string): void => {
    this.texts.push(message);
  };

  /** Remembers a secret (and, for multi-line ones, each long line of it). */
  secret(value: string): void {
    this.secrets.add(value);
    for (const line of value.split("\n"))
      if (line.length >= 20 && !line.startsWith("-----")) this.secrets.add(line);
  }

  /** Records an error's message, stack and every property (via util.inspect, including causes). */
  error(error: unknown): void {
    this.texts.push(
      String((error as Error)?.message),
      String((error as Error)?.stack),
      inspect(error, { depth: 5 }),
    );
  }

  /** Fails if any recorded text contains any secret. */
  assertNoLeaks(): void {
    assert.ok(this.secrets.size > 0, "secrets were registered");
    assert.ok(this.texts.length > 0, "texts were recorded");
    const hits: string[] = [];
    for (const text of this.texts) {
      for (const secret of this.secrets)
        if (text.includes(secret)) hits.push(`${secret.slice(0, 6)}... in ${text.slice(0, 80)}`);
    }
    assert.deepEqual(hits, [], "no secret in any log line or error");
  }
}

/** Starts an emulator with the cast and returns the fixture; secrets are registered with `leaks`. */
export async function startFixture(leaks: LeakCollector, options: { tls?: boolean } = {}): Promise<Fixture> {
  const emu = await startEmulator({
    port: 0,
    tls: options.tls ?? false,
    seed: {
      serviceAccounts: [
        { id: IDS.target, folderId: IDS.folder },
        { id: IDS.noRole, folderId: "b1gotherfolder000001" },
        { id: IDS.callerSa, folderId: "b1gotherfolder000001" },
        { id: IDS.vmSa, folderId: "b1gotherfolder000001" },
      ],
      users: [{ id: IDS.user }],
      roleBindings: [
        { subjectId: IDS.user, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.target },
        { subjectId: IDS.callerSa, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.folder },
        { subjectId: IDS.vmSa, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.target },
      ],
      metadataServiceAccountId: IDS.vmSa,
    },
  });
  const { token: oauthToken } = await emu.admin.createOAuthToken(IDS.user);
  const { iamToken: userIamToken } = await emu.admin.mintIamToken(IDS.user);
  const key = await emu.admin.createKey(IDS.callerSa);
  const keyFileJson = JSON.stringify(key, null, 2);
  for (const s of [oauthToken, userIamToken, key.private_key, emu.adminToken]) leaks.secret(s);
  return { emu, oauthToken, userIamToken, keyFileJson, privateKey: key.private_key };
}

/**
 * Registers the hooks every client test file shares: one emulator for the file, then before each
 * test an empty request log, no faults, the emulator's initial settings and a caller IAM token of
 * the user's own, so that a test that revokes tokens or changes a setting cannot affect the next.
 *
 * @param onStart - receives the fixture once the emulator is up
 */
export function useClientFixture(leaks: LeakCollector, onStart: (fixture: Fixture) => void): void {
  let fixture: Fixture | undefined;
  let initialSettings: StoreSettings | undefined;
  before(async () => {
    fixture = await startFixture(leaks);
    initialSettings = await fixture.emu.admin.settings();
    onStart(fixture);
  });
  after(async () => {
    await fixture?.emu.close();
  });
  beforeEach(async () => {
    const fx = fixture!;
    fx.userIamToken = (await fx.emu.admin.mintIamToken(IDS.user)).iamToken;
    leaks.secret(fx.userIamToken);
    await fx.emu.admin.resetRequests();
    await fx.emu.admin.clearFaults();
    const initial = initialSettings!;
    await fx.emu.admin.updateSettings({
      ...initial,
      metadataServiceAccountId: initial.metadataServiceAccountId ?? null,
      rateLimitRetryAfterSeconds: initial.rateLimitRetryAfterSeconds ?? null,
    });
  });
}

/** A fresh empty temporary directory (a HOME without yc config, a place for key files). */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "iam-client-test-"));
}

/** What {@link makeSession} records. */
export interface SessionProbe {
  session: IamSession;
  /** The waits the retry loop asked for, in ms (it does not really wait). */
  waits: number[];
}

/**
 * A session against the fixture's emulator: endpoint via YC_IAM_ENDPOINT unless overridden, an
 * empty HOME, immediate sleeps, tiny backoff, the leak collector as logger.
 */
export function makeSession(
  fx: Fixture,
  leaks: LeakCollector,
  over: Partial<IamSessionOptions> & { env?: NodeJS.ProcessEnv } = {},
): SessionProbe {
  const waits: number[] = [];
  const session = createIamSession({
    stackConfig: {},
    homeDir: tempDir(),
    clock: systemClock,
    logger: leaks.logger,
    retryPolicy: { baseDelayMs: 1, maxDelayMs: 5 },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...over,
    env: { YC_IAM_ENDPOINT: fx.emu.baseUrl, ...over.env },
  });
  return { session, waits };
}

/** Awaits a rejection, records it with the leak collector, and returns it for assertions. */
export async function rejection<E = Error>(promise: Promise<unknown>, leaks: LeakCollector): Promise<E> {
  try {
    await promise;
  } catch (error) {
    leaks.error(error);
    return error as E;
  }
  assert.fail("expected a rejection");
}

/** The emulator's counts of answered IAM requests since the last reset. */
export async function counts(fx: Fixture): Promise<Record<string, number>> {
  return (await fx.emu.admin.counts()) as unknown as Record<string, number>;
}
