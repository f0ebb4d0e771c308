/**
 * The IAM API client: the only module in the provider that opens network connections.
 *
 * It speaks the REST form of the IAM token API over node-fetch, with a
 * timeout on every attempt and the retry policy of ./retry. Failures become {@link IamApiError};
 * anything foreign (the HTTP stack's errors, server messages) is redacted before it is kept.
 */
import * as dns from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import type { Clock } from "./clock";
import {
  DEFAULT_IAM_ENDPOINT,
  METADATA_TOKEN_PATH,
  isLoopbackAddress,
  isLoopbackHost,
  validateIamBaseUrl,
} from "./endpoints";
import { IamApiError } from "./errors";
import type { IamCallFailure, IamOperation } from "./failure";
import { GrpcCode, grpcCodeFromHttpStatus, grpcCodeName } from "./grpcCodes";
import { formatInstant, parseInstantMs, parseRetryAfterMs } from "./instants";
import { acceptRequestId, describeForeignError, oneLine, redact } from "./redaction";
import { MAX_TOKEN_LIFETIME_MS } from "./renewal";
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type Sleep,
  isRetryable,
  realSleep,
  runWithRetry,
} from "./retry";

/** An IAM token as the API issued it. */
export interface IssuedToken {
  /** The token itself (a secret). */
  iamToken: string;
  /** The expiry exactly as received (RFC 3339, 0-9 fraction digits), or computed for metadata tokens. */
  expiresAt: string;
  /** The expiry in Unix milliseconds (fraction beyond ms truncated: the token looks 1 ms older, the safe side). */
  expiresAtMs: number;
}

/** Default timeout of one attempt (connect + answer + body), in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The largest answer body read, in bytes (after decompression): 1 MiB, far above any real answer
 * (a few hundred bytes), so a hostile endpoint cannot exhaust memory within the timeout.
 */
export const MAX_RESPONSE_BODY_BYTES = 1024 * 1024;

/**
 * Resolves a name like `dns.lookup` does, but fails unless every address is a loopback address:
 * plain http is allowed only to this machine, and a name is only as local as what it resolves to.
 */
const loopbackOnlyLookup: typeof dns.lookup = ((
  hostname: string,
  options: dns.LookupOptions,
  callback: (
    error: NodeJS.ErrnoException | null,
    address: string | dns.LookupAddress[],
    family?: number,
  ) => void,
) => {
  dns.lookup(hostname, { ...options }, (error, address: string | dns.LookupAddress[], family?: number) => {
    if (error) return callback(error, address, family);
    const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
    if (addresses.some((a) => !isLoopbackAddress(a))) {
      const refused: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to an address that is not a loopback address; plain http is refused`,
      );
      refused.code = "ERR_NOT_LOOPBACK";
      return callback(refused, address, family);
    }
    callback(null, address, family);
  });
}) as typeof dns.lookup;

/** Options of {@link IamApiClient}. */
export interface IamApiClientOptions {
  /** Where time comes from (Retry-After dates, total retry budget, metadata expiry). */
  clock: Clock;
  /** IAM base URL (default `https://iam.api.cloud.yandex.net`); `http://` only for loopback hosts. */
  baseUrl?: string;
  /**
   * PEM CA certificate(s) to trust for `https` (for an emulator with a self-signed certificate).
   * It replaces the default trust store for this client's requests.
   */
  caCertPem?: string;
  /** Timeout of each attempt in milliseconds (default {@link DEFAULT_REQUEST_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Overrides of {@link DEFAULT_RETRY_POLICY}. */
  retryPolicy?: Partial<RetryPolicy>;
  /** How waits between attempts happen (default: setTimeout). */
  sleep?: Sleep;
  /** Random numbers in [0, 1) for jitter (default Math.random). */
  random?: () => number;
  /** Receives one line per retry (never containing a secret). */
  logger?: (message: string) => void;
}

/** Per-call overrides (used for the metadata probe, which must fail fast off a VM). */
export interface CallOverrides {
  /** Maximum attempts for this call. */
  maxAttempts?: number;
  /** Timeout of each attempt in milliseconds for this call. */
  timeoutMs?: number;
}

/** A 2xx body that is not the documented shape: what is wrong with it (never the body itself). */
class Malformed {
  constructor(readonly reason: string) {}
}

/** An attempt's failure before the retry loop has counted the attempts. */
class AttemptError extends Error {
  constructor(
    readonly init: Omit<IamCallFailure, "attempts" | "retryable">,
    readonly retryable: boolean,
    readonly retryAfterMs: number | undefined,
    readonly attemptNumber: number,
  ) {
    super(init.serverMessage);
  }
}

type NodeFetch = typeof import("node-fetch", { with: { "resolution-mode": "import" } }).default;

interface RequestSpec<T> {
  operation: IamOperation;
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: unknown;
  /** Secrets involved in this call, removed from anything kept from the answer or the error. */
  secrets: (string | undefined)[];
  serviceAccountId?: string;
  endpointForErrors: string;
  /** Turns a 2xx JSON body into the result, or returns a description of what is wrong with it. */
  parse: (json: unknown) => T | Malformed;
  overrides?: CallOverrides;
}

/**
 * Client of the IAM token API. Stateless apart from its options; safe to share between
 * concurrent callers.
 */
export class IamApiClient {
  /** The validated IAM base URL, without trailing slash. */
  readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly caCertPem: string | undefined;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly logger: ((message: string) => void) | undefined;
  private httpsAgent: https.Agent | undefined;
  private loopbackAgent: http.Agent | undefined;
  private fetchModule: Promise<NodeFetch> | undefined;

  /** @throws CredentialsError when the base URL is unusable */
  constructor(options: IamApiClientOptions) {
    this.clock = options.clock;
    this.baseUrl = validateIamBaseUrl(options.baseUrl ?? DEFAULT_IAM_ENDPOINT);
    this.caCertPem = options.caCertPem;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
  }

  /**
   * `POST /iam/v1/tokens:createForServiceAccount`: an IAM token for `serviceAccountId`, with the
   * caller's IAM token as bearer. The caller needs iam.serviceAccounts.tokenCreator.
   */
  createForServiceAccount(callerIamToken: string, serviceAccountId: string): Promise<IssuedToken> {
    return this.request({
      operation: "createForServiceAccount",
      url: `${this.baseUrl}/iam/v1/tokens:createForServiceAccount`,
      method: "POST",
      headers: { Authorization: `Bearer ${callerIamToken}` },
      body: { serviceAccountId },
      secrets: [callerIamToken],
      serviceAccountId,
      endpointForErrors: this.baseUrl,
      parse: (json) => parseIssuedToken(json, this.clock.now().toMillis()),
    });
  }

  /** `POST /iam/v1/tokens` with `yandexPassportOauthToken`: exchanges an OAuth token for an IAM token. */
  createFromOAuthToken(oauthToken: string): Promise<IssuedToken> {
    return this.request({
      operation: "createFromOAuthToken",
      url: `${this.baseUrl}/iam/v1/tokens`,
      method: "POST",
      headers: {},
      body: { yandexPassportOauthToken: oauthToken },
      secrets: [oauthToken],
      endpointForErrors: this.baseUrl,
      parse: (json) => parseIssuedToken(json, this.clock.now().toMillis()),
    });
  }

  /** `POST /iam/v1/tokens` with `jwt`: exchanges a signed authorized-key JWT for an IAM token. */
  createFromJwt(jwt: string): Promise<IssuedToken> {
    return this.request({
      operation: "createFromJwt",
      url: `${this.baseUrl}/iam/v1/tokens`,
      method: "POST",
      headers: {},
      body: { jwt },
      secrets: [jwt],
      endpointForErrors: this.baseUrl,
      parse: (json) => parseIssuedToken(json, this.clock.now().toMillis()),
    });
  }

  /** `POST /iam/v1/tokens:revoke`: revokes `iamToken`, with the caller's IAM token as bearer. */
  revoke(callerIamToken: string, iamToken: string): Promise<{ subjectId?: string }> {
    return this.request({
      operation: "revoke",
      url: `${this.baseUrl}/iam/v1/tokens:revoke`,
      method: "POST",
      headers: { Authorization: `Bearer ${callerIamToken}` },
      body: { iamToken },
      secrets: [callerIamToken, iamToken],
      endpointForErrors: this.baseUrl,
      // The answer's subjectId is informational; a 2xx is what matters.
      parse: (json) => {
        const subjectId = (json as { subjectId?: unknown } | null)?.subjectId;
        return typeof subjectId === "string" ? { subjectId } : {};
      },
    });
  }

  /**
   * The VM's service account token from the instance metadata service
   * (`GET <metadataBaseUrl>/computeMetadata/v1/instance/service-accounts/default/token`).
   * `expires_in` is turned into an absolute instant with the clock as soon as it arrives.
   * Plain http is expected here: the metadata service is link-local and only speaks http.
   */
  metadataToken(metadataBaseUrl: string, overrides?: CallOverrides): Promise<IssuedToken> {
    const base = metadataBaseUrl.replace(/\/+$/, "");
    return this.request({
      operation: "metadataToken",
      url: `${base}${METADATA_TOKEN_PATH}`,
      method: "GET",
      headers: { "Metadata-Flavor": "Google" },
      secrets: [],
      endpointForErrors: base,
      overrides,
      parse: (json): IssuedToken | Malformed => {
        const record = json as { access_token?: unknown; expires_in?: unknown } | null;
        const token = record?.access_token;
        const expiresInSeconds = record?.expires_in;
        if (typeof token !== "string" || token === "")
          return new Malformed("access_token is missing or empty");
        if (
          typeof expiresInSeconds !== "number" ||
          !Number.isFinite(expiresInSeconds) ||
          expiresInSeconds <= 0
        ) {
          return new Malformed("expires_in is missing or not a positive number");
        }
        // No IAM token lives longer than 12 hours: a larger answer is not trusted for caching.
        const lifetimeMs = Math.min(expiresInSeconds * 1000, MAX_TOKEN_LIFETIME_MS);
        const expiresAtMs = this.clock.now().toMillis() + lifetimeMs;
        return {
          iamToken: token,
          expiresAt: formatInstant(expiresAtMs),
          expiresAtMs,
        };
      },
    });
  }

  private loadFetch(): Promise<NodeFetch> {
    // node-fetch 3 is ESM-only; import() is kept as-is in the CommonJS output (module node16).
    this.fetchModule ??= import("node-fetch").then((m) => m.default);
    return this.fetchModule;
  }

  private agentFor(url: URL): http.Agent | undefined {
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) {
      // Keep-alive as Node's global agent has it: one connection per provider process, not per call.
      this.loopbackAgent ??= new http.Agent({ lookup: loopbackOnlyLookup, keepAlive: true });
      return this.loopbackAgent;
    }
    if (url.protocol !== "https:" || this.caCertPem === undefined) return undefined;
    this.httpsAgent ??= new https.Agent({ ca: this.caCertPem, keepAlive: false });
    return this.httpsAgent;
  }

  private async request<T>(spec: RequestSpec<T>): Promise<T> {
    const fetch = await this.loadFetch();
    const maxAttempts = spec.overrides?.maxAttempts ?? this.policy.maxAttempts;
    const policy = { ...this.policy, maxAttempts };
    try {
      return await runWithRetry((attemptNumber) => this.attempt(fetch, spec, attemptNumber), {
        policy,
        clock: this.clock,
        sleep: this.sleep,
        random: this.random,
        classify: (error) =>
          error instanceof AttemptError
            ? { retryable: error.retryable, retryAfterMs: error.retryAfterMs }
            : undefined,
        onRetry: ({ attemptsMade, delayMs, error }) => {
          if (!(error instanceof AttemptError) || !this.logger) return;
          const status =
            error.init.httpStatus === undefined ? error.init.kind : `HTTP ${error.init.httpStatus}`;
          this.logger(
            `IAM ${spec.operation}: attempt ${attemptsMade}/${maxAttempts} failed with ${grpcCodeName(error.init.grpcCode)} (${status}${error.init.requestId ? `, requestId ${error.init.requestId}` : ""}); retrying in ${delayMs} ms`,
          );
        },
      });
    } catch (error) {
      if (error instanceof AttemptError) {
        throw new IamApiError({ ...error.init, attempts: error.attemptNumber, retryable: error.retryable });
      }
      throw error;
    }
  }

  private async attempt<T>(fetch: NodeFetch, spec: RequestSpec<T>, attemptNumber: number): Promise<T> {
    const url = new URL(spec.url);
    const timeoutMs = spec.overrides?.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const base = {
      operation: spec.operation,
      serviceAccountId: spec.serviceAccountId,
      endpoint: spec.endpointForErrors,
    };
    let status: number;
    let text: string;
    let requestIdHeader: string | undefined;
    let retryAfterHeader: string | null;
    let locationHeader: string | null;
    try {
      const response = await fetch(url, {
        method: spec.method,
        headers: {
          Accept: "application/json",
          ...(spec.body === undefined ? {} : { "Content-Type": "application/json" }),
          ...spec.headers,
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: controller.signal,
        agent: this.agentFor(url),
        // Never followed (see the redirect check below); "manual" hands the 3xx to us.
        redirect: "manual",
        size: MAX_RESPONSE_BODY_BYTES,
      });
      status = response.status;
      requestIdHeader = acceptRequestId(response.headers.get("x-request-id"));
      retryAfterHeader = response.headers.get("retry-after");
      locationHeader = response.headers.get("location");
      text = status >= 300 && status <= 399 ? "" : await response.text();
    } catch (error) {
      const timedOut = controller.signal.aborted;
      if (!timedOut && (error as { type?: unknown }).type === "max-size") {
        throw new AttemptError(
          {
            ...base,
            kind: "oversized",
            grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
            serverMessage: `the answer is larger than ${MAX_RESPONSE_BODY_BYTES} bytes`,
          },
          false,
          undefined,
          attemptNumber,
        );
      }
      const kind = timedOut ? "timeout" : isTlsTrustError(error) ? "tls" : "network";
      throw new AttemptError(
        {
          ...base,
          kind,
          grpcCode: timedOut ? GrpcCode.DEADLINE_EXCEEDED : GrpcCode.UNAVAILABLE,
          serverMessage: timedOut
            ? `no complete answer within ${timeoutMs} ms`
            : describeForeignError(error, spec.secrets),
          timeoutMs,
          cause: timedOut ? undefined : describeForeignError(error, spec.secrets),
        },
        isRetryable({ kind }),
        undefined,
        attemptNumber,
      );
    } finally {
      clearTimeout(timer);
    }

    let json: unknown;
    let jsonOk = true;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      jsonOk = false;
    }

    if (status >= 300 && status <= 399) {
      throw new AttemptError(
        {
          ...base,
          kind: "redirect",
          httpStatus: status,
          grpcCode: GrpcCode.UNKNOWN,
          serverMessage: `HTTP ${status} redirect${describeLocation(locationHeader)}, not followed`,
        },
        false,
        undefined,
        attemptNumber,
      );
    }

    if (status < 200 || status > 299) {
      const rpc = readRpcStatus(json);
      // A body claiming OK on an error status says nothing: the status decides.
      const grpcCode =
        rpc.code !== undefined && rpc.code !== GrpcCode.OK ? rpc.code : grpcCodeFromHttpStatus(status);
      const failure = { kind: "http" as const, httpStatus: status, grpcCode };
      throw new AttemptError(
        {
          ...base,
          ...failure,
          serverMessage: oneLine(
            redact(rpc.message ?? `HTTP ${status} without a google.rpc.Status body`, spec.secrets),
          ),
          requestId: rpc.requestId ?? requestIdHeader,
        },
        isRetryable(failure),
        parseRetryAfterMs(retryAfterHeader, this.clock.now().toMillis()),
        attemptNumber,
      );
    }

    const result = jsonOk ? spec.parse(json) : new Malformed("the body is not JSON");
    if (result instanceof Malformed) {
      throw new AttemptError(
        {
          ...base,
          kind: "malformed",
          httpStatus: status,
          grpcCode: GrpcCode.INTERNAL,
          serverMessage: `malformed response (HTTP ${status}): ${result.reason}`,
          requestId: readRpcStatus(json).requestId ?? requestIdHeader,
        },
        false,
        undefined,
        attemptNumber,
      );
    }
    return result;
  }
}

/** Certificate verification failures (OpenSSL / Node codes), which retrying cannot fix. */
const TLS_TRUST_ERROR_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function isTlsTrustError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TLS_TRUST_ERROR_CODES.has(code)) return true;
  }
  return false;
}

/**
 * A token answer: a non-empty `iamToken` and an `expiresAt` that is an RFC 3339 instant after
 * `nowMs` (a token that arrives expired is of no use, and its holder would fail at once).
 */
function parseIssuedToken(json: unknown, nowMs: number): IssuedToken | Malformed {
  const record = json as { iamToken?: unknown; expiresAt?: unknown } | null | undefined;
  const iamToken = record?.iamToken;
  const expiresAt = record?.expiresAt;
  if (typeof iamToken !== "string" || iamToken === "") return new Malformed("iamToken is missing or empty");
  if (typeof expiresAt !== "string") return new Malformed("expiresAt is missing");
  const expiresAtMs = parseInstantMs(expiresAt);
  if (expiresAtMs === undefined) return new Malformed("expiresAt is not an RFC 3339 instant");
  if (expiresAtMs <= nowMs) {
    return new Malformed(
      `expiresAt ${formatInstant(expiresAtMs)} is not in the future (now ${formatInstant(nowMs)}): the token arrived expired; check this machine's clock`,
    );
  }
  return { iamToken, expiresAt, expiresAtMs };
}

/** ` to <origin>` for a redirect's Location, when it is an absolute URL; never its path or query. */
function describeLocation(location: string | null): string {
  if (location === null) return "";
  try {
    return ` to ${oneLine(new URL(location).origin, 200)}`;
  } catch {
    return "";
  }
}

/** Reads a google.rpc.Status body: code, message and the RequestInfo's requestId. */
function readRpcStatus(json: unknown): { code?: number; message?: string; requestId?: string } {
  if (typeof json !== "object" || json === null) return {};
  const record = json as { code?: unknown; message?: unknown; details?: unknown };
  const code = typeof record.code === "number" && Number.isInteger(record.code) ? record.code : undefined;
  const message = typeof record.message === "string" ? record.message : undefined;
  let requestId: string | undefined;
  if (Array.isArray(record.details)) {
    for (const detail of record.details) {
      const id = acceptRequestId((detail as { requestId?: unknown } | null)?.requestId);
      if (id !== undefined) {
        requestId = id;
        break;
      }
    }
  }
  return { code, message, requestId };
}
