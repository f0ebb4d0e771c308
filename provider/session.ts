/**
 * The facade the resource provider uses: resolve the credential chain once (lazily), keep the
 * caller token, and call createForServiceAccount / revoke with one re-authentication after a 401
 * when the caller token came from an exchange.
 */
import { type CallOverrides, IamApiClient, type IssuedToken } from "./apiClient";
import { type CallerTokenSource, CallerTokenCache, StaticCallerToken } from "./callerToken";
import type { Clock } from "./clock";
import { type ResolvedChain, hasYandexIamTokenShape, resolveCredentialChain } from "./credentials";
import { CredentialsError, IamApiError } from "./errors";
import type { IamOperation } from "./failure";
import { createKeyJwt } from "./jwt";
import { describeForeignError } from "./redaction";
import type { RetryPolicy, Sleep } from "./retry";
import type { ReadFile } from "./settingFiles";

/**
 * Timeout of the first metadata-service request when the metadata service is only the chain's
 * last resort, in milliseconds: off a VM the address does not answer, and that should turn into
 * the "no credentials found" error quickly, not after the full retry budget.
 */
export const METADATA_PROBE_TIMEOUT_MS = 2_000;

/** Options of {@link createIamSession}. */
export interface IamSessionOptions {
  /** Stack config as a plain object keyed `yandex:token`, `yandex:endpoint`, `yandex-iam-token:iamEndpoint`, ... */
  stackConfig: Record<string, string | undefined>;
  /** The environment (normally `process.env`). */
  env: NodeJS.ProcessEnv;
  /** Home directory holding the yc CLI config (normally `os.homedir()`). */
  homeDir: string;
  /** Where time comes from. */
  clock: Clock;
  /** Receives diagnostic lines (credential source, retries, re-authentication); never a secret. */
  logger?: (message: string) => void;
  /** Timeout of each HTTP attempt in ms (default 10 000). */
  requestTimeoutMs?: number;
  /** Overrides of the retry policy (see retry.ts). */
  retryPolicy?: Partial<RetryPolicy>;
  /** How waits between retries happen (tests inject a recorder). */
  sleep?: Sleep;
  /** Random numbers in [0, 1) for jitter. */
  random?: () => number;
  /** Reads a UTF-8 file (default: from the disk). */
  readFile?: ReadFile;
  /** Timeout of the fallback metadata probe in ms (default {@link METADATA_PROBE_TIMEOUT_MS}). */
  metadataProbeTimeoutMs?: number;
  /** Caller-token renewal margin in ms (default CALLER_TOKEN_RENEW_BEFORE_MS). */
  callerTokenRenewBeforeMs?: number;
}

/** What the resource provider needs from IAM. */
export interface IamSession {
  /**
   * The IAM base URL in use. Reading it resolves the credential chain.
   * @throws CredentialsError
   */
  readonly endpoint: string;
  /**
   * Where the caller credentials come from, e.g. `"environment YC_TOKEN (OAuth token)"`; never a
   * secret. Reading it resolves the credential chain.
   * @throws CredentialsError
   */
  readonly credentialSource: string;
  /**
   * An IAM token for `serviceAccountId` (tokens:createForServiceAccount).
   * @throws IamApiError | CredentialsError
   */
  createTokenForServiceAccount(serviceAccountId: string): Promise<IssuedToken>;
  /**
   * Revokes `iamToken` (tokens:revoke).
   * @throws IamApiError | CredentialsError
   */
  revokeToken(iamToken: string): Promise<void>;
}

interface ResolvedSession {
  chain: ResolvedChain;
  client: IamApiClient;
  caller: CallerTokenSource;
  /** Secrets of the credential, for the redaction safety net. */
  secrets: string[];
}

/**
 * Creates a session. Nothing is read or called until the first use (or until `endpoint` /
 * `credentialSource` is read); the environment object and stack config are read then.
 */
export function createIamSession(options: IamSessionOptions): IamSession {
  return new Session(options);
}

class Session implements IamSession {
  private resolved: ResolvedSession | undefined;

  constructor(private readonly options: IamSessionOptions) {}

  get endpoint(): string {
    return this.resolve().chain.endpoint;
  }

  get credentialSource(): string {
    return this.resolve().chain.credential.source;
  }

  createTokenForServiceAccount(serviceAccountId: string): Promise<IssuedToken> {
    return this.withCaller(
      (client, callerToken) => client.createForServiceAccount(callerToken, serviceAccountId),
      [],
      "createForServiceAccount",
    );
  }

  async revokeToken(iamToken: string): Promise<void> {
    await this.withCaller(
      (client, callerToken) => client.revoke(callerToken, iamToken),
      [iamToken],
      "revoke",
    );
  }

  /**
   * Runs `call` with the caller token; after a 401 re-authenticates exactly once when the token
   * came from an exchange. A fixed IAM token is never "re-authenticated": the same token would be
   * rejected again.
   */
  private async withCaller<T>(
    call: (client: IamApiClient, callerToken: string) => Promise<T>,
    extraSecrets: string[],
    operation: IamOperation,
  ): Promise<T> {
    let session: ResolvedSession | undefined;
    try {
      session = this.resolve();
      const callerToken = await session.caller.get();
      try {
        return await call(session.client, callerToken);
      } catch (error) {
        if (!(error instanceof IamApiError) || error.httpStatus !== 401 || !session.caller.exchanged)
          throw error;
        session.caller.invalidate(callerToken);
        this.options.logger?.(
          `IAM ${operation}: the caller token was rejected (UNAUTHENTICATED${error.requestId ? `, requestId ${error.requestId}` : ""}); re-authenticating once from ${session.chain.credential.source}.`,
        );
        const renewed = await session.caller.get();
        return await call(session.client, renewed);
      }
    } catch (error) {
      throw this.safeError(error, [...(session?.secrets ?? []), ...extraSecrets]);
    }
  }

  /** Our own errors are built without secrets; anything else is replaced by a redacted summary. */
  private safeError(error: unknown, secrets: string[]): Error {
    if (error instanceof IamApiError || error instanceof CredentialsError) return error;
    return new Error(`IAM session failed unexpectedly: ${describeForeignError(error, secrets)}`);
  }

  private resolve(): ResolvedSession {
    if (this.resolved) return this.resolved;
    const o = this.options;
    const chain = resolveCredentialChain({
      stackConfig: o.stackConfig,
      env: o.env,
      homeDir: o.homeDir,
      readFile: o.readFile,
    });
    const client = new IamApiClient({
      clock: o.clock,
      baseUrl: chain.endpoint,
      caCertPem: chain.caCertPem,
      timeoutMs: o.requestTimeoutMs,
      retryPolicy: o.retryPolicy,
      sleep: o.sleep,
      random: o.random,
      logger: o.logger,
    });
    const credential = chain.credential;
    let caller: CallerTokenSource;
    let secrets: string[];
    const cache = (exchange: () => Promise<IssuedToken>) =>
      new CallerTokenCache({
        clock: o.clock,
        exchange,
        renewBeforeMs: o.callerTokenRenewBeforeMs,
        logger: o.logger,
      });
    switch (credential.kind) {
      case "iamToken":
        caller = new StaticCallerToken(credential.iamToken);
        secrets = [credential.iamToken];
        break;
      case "oauthToken": {
        const oauthToken = credential.oauthToken;
        caller = cache(() => client.createFromOAuthToken(oauthToken));
        secrets = [oauthToken];
        break;
      }
      case "serviceAccountKey": {
        const key = credential.key;
        caller = cache(() =>
          client.createFromJwt(createKeyJwt(key, { clock: o.clock, iamEndpoint: chain.endpoint })),
        );
        secrets = [key.privateKeyPem];
        break;
      }
      case "metadata": {
        const url = credential.metadataBaseUrl;
        if (!credential.fallback) {
          caller = cache(() => client.metadataToken(url));
        } else {
          let answered = false;
          caller = cache(async () => {
            const token = await this.probeMetadata(client, url, chain, answered);
            answered = true;
            return token;
          });
        }
        secrets = [];
        break;
      }
    }
    o.logger?.(
      `Yandex Cloud IAM: caller credentials from ${credential.source}; IAM endpoint ${chain.endpoint} (${chain.endpointSource}).`,
    );
    for (const warning of chain.warnings) o.logger?.(`warning: ${warning}`);
    this.resolved = { chain, client, caller, secrets };
    return this.resolved;
  }

  /**
   * The metadata service when nothing else was configured. The first contact is one quick
   * attempt: no answer means "not on a VM". A token that does not have the shape of a Yandex
   * IAM token means another cloud's metadata service answered (Google Cloud's uses the same
   * address and header); it is never used. Both are reported as the chain's "nothing found"
   * error listing every place that was tried, without the token.
   */
  private async probeMetadata(
    client: IamApiClient,
    url: string,
    chain: ResolvedChain,
    answeredBefore: boolean,
  ): Promise<IssuedToken> {
    const overrides: CallOverrides | undefined = answeredBefore
      ? undefined
      : { maxAttempts: 1, timeoutMs: this.options.metadataProbeTimeoutMs ?? METADATA_PROBE_TIMEOUT_MS };
    let token: IssuedToken;
    try {
      token = await client.metadataToken(url, overrides);
    } catch (error) {
      if (
        !answeredBefore &&
        error instanceof IamApiError &&
        (error.kind === "network" || error.kind === "timeout")
      ) {
        throw noCredentialsFound(chain, `no answer (${error.grpcCodeName})`);
      }
      throw error;
    }
    if (!hasYandexIamTokenShape(token.iamToken)) {
      throw noCredentialsFound(
        chain,
        "answered with a token that does not have the shape of a Yandex Cloud IAM token (another cloud's metadata service, such as Google Cloud's, answers at this address); it was not used",
      );
    }
    return token;
  }
}

/** The chain's "nothing found" error, with what the metadata fallback found as its last line. */
function noCredentialsFound(chain: ResolvedChain, metadataOutcome: string): CredentialsError {
  const tried = [...chain.tried, `${chain.credential.source}: ${metadataOutcome}`];
  return new CredentialsError(
    `No Yandex Cloud credentials found. Tried, in order: ${tried.map((t, i) => `(${i + 1}) ${t}`).join("; ")}. ` +
      "Set stack config yandex:token or yandex:serviceAccountKeyFile (`pulumi config set --secret yandex:token ...`), " +
      "or the environment variable YC_TOKEN or YC_SERVICE_ACCOUNT_KEY_FILE, or run `yc init`, or run on a Yandex Compute VM with a service account attached.",
    tried,
  );
}
