/**
 * Error types and the catalogue of user-facing messages.
 *
 * Every message says what failed, the likely cause and what to do, and carries the gRPC code
 * name, the server's message and the requestId (what Yandex support asks for). No message may
 * contain a token, a key or an OAuth secret: messages are built only from non-secret facts
 * (service account ids, code names, endpoints), and anything foreign (server messages, errors
 * from the HTTP stack) goes through {@link redact} first.
 */

/** The IAM API operations the client performs, named as in the API reference. */
export type IamOperation =
  "createForServiceAccount" | "createFromOAuthToken" | "createFromJwt" | "revoke" | "metadataToken";

/**
 * How a call failed:
 * - `http`: the server answered with an error status;
 * - `network`: no answer (connection refused, reset, dropped, DNS);
 * - `timeout`: no complete answer within the per-attempt timeout;
 * - `tls`: the endpoint's TLS certificate is not trusted (not retried: it would not change);
 * - `malformed`: a success status with a body that is not the documented shape.
 */
export type IamFailureKind = "http" | "network" | "timeout" | "tls" | "malformed";

/** gRPC status code names by number (google.rpc.Code). */
export const GRPC_CODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: "OK",
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
});

/** The gRPC code name for a numeric code (`"CODE_<n>"` for numbers outside google.rpc.Code). */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? `CODE_${code}`;
}

/**
 * The gRPC code an HTTP status conventionally maps to (grpc-gateway's mapping), used when an error
 * body carries no code of its own (for example an HTML page from a proxy).
 */
export function grpcCodeFromHttpStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 3;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 5;
    case 409:
      return 10;
    case 429:
      return 8;
    case 499:
      return 1;
    case 501:
      return 12;
    case 502:
    case 503:
      return 14;
    case 504:
      return 4;
    default:
      return httpStatus >= 500 ? 13 : 2;
  }
}

/** What the API client knows about a failed call; the input of {@link IamApiError}. */
export interface IamApiErrorInit {
  /** The operation that failed. */
  operation: IamOperation;
  /** How it failed. */
  kind: IamFailureKind;
  /** The HTTP status, when the server answered. */
  httpStatus?: number;
  /** The gRPC code (from the body, else derived from the HTTP status or the failure kind). */
  grpcCode: number;
  /** The server's (or the network stack's) message, already redacted. */
  serverMessage: string;
  /** The requestId from the error body or the `x-request-id` header, when there was one. */
  requestId?: string;
  /** How many attempts were made in total (1 = not retried). */
  attempts: number;
  /** Whether the retry policy considers this failure transient. */
  retryable: boolean;
  /** The target service account, for createForServiceAccount. */
  serviceAccountId?: string;
  /** The base URL that was called (never contains a secret). */
  endpoint?: string;
  /** The per-attempt timeout, for `timeout` failures. */
  timeoutMs?: number;
  /** The original error (already redacted), for debugging. */
  cause?: unknown;
}

/**
 * A failed IAM API call. One type for every operation so callers can branch on
 * {@link IamApiError.grpcCodeName} or {@link IamApiError.httpStatus}.
 */
export class IamApiError extends Error {
  override readonly name = "IamApiError";
  /** The operation that failed. */
  readonly operation: IamOperation;
  /** How it failed (`http`, `network`, `timeout`, `malformed`). */
  readonly kind: IamFailureKind;
  /** The HTTP status, or `undefined` when the server did not answer. */
  readonly httpStatus: number | undefined;
  /** The gRPC code number (UNAVAILABLE for network failures, DEADLINE_EXCEEDED for timeouts). */
  readonly grpcCode: number;
  /** The gRPC code name, e.g. `"PERMISSION_DENIED"`. */
  readonly grpcCodeName: string;
  /** The server's own message (redacted), without the guidance this class adds. */
  readonly serverMessage: string;
  /** The server's requestId, when it sent one. */
  readonly requestId: string | undefined;
  /** Total number of attempts made, including the first (1 = not retried). */
  readonly attempts: number;
  /** Whether the call was retried at all (`attempts > 1`). */
  readonly retried: boolean;
  /** Whether the failure is transient by the retry policy (it may still have exhausted its budget). */
  readonly retryable: boolean;
  /** The target service account, for createForServiceAccount. */
  readonly serviceAccountId: string | undefined;

  constructor(init: IamApiErrorInit) {
    super(formatIamApiErrorMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.operation = init.operation;
    this.kind = init.kind;
    this.httpStatus = init.httpStatus;
    this.grpcCode = init.grpcCode;
    this.grpcCodeName = grpcCodeName(init.grpcCode);
    this.serverMessage = init.serverMessage;
    this.requestId = init.requestId;
    this.attempts = init.attempts;
    this.retried = init.attempts > 1;
    this.retryable = init.retryable;
    this.serviceAccountId = init.serviceAccountId;
  }
}

/**
 * The credential chain (or the endpoint configuration) cannot produce a caller: nothing found,
 * conflicting settings, an unreadable key file, an unusable endpoint.
 */
export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
  /** Every place that was looked at, in order, with what was found there (no secrets). */
  readonly tried: readonly string[];

  constructor(message: string, tried: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.tried = tried;
  }
}

const OPERATION_TEXT: Record<IamOperation, string> = {
  createForServiceAccount: "creating an IAM token for a service account (tokens:createForServiceAccount)",
  createFromOAuthToken: "exchanging the OAuth token for an IAM token (POST /iam/v1/tokens)",
  createFromJwt: "exchanging the service account key's JWT for an IAM token (POST /iam/v1/tokens)",
  revoke: "revoking an IAM token (tokens:revoke)",
  metadataToken: "getting the VM service account's token from the instance metadata service",
};

/** The likely cause and the remedy for one failure; the catalogue's entry. */
export interface FailureAdvice {
  /** Why this most likely happened. */
  cause: string;
  /** What the user should do. */
  action: string;
}

/**
 * The catalogue: likely cause and remedy for a failure, by gRPC code and operation.
 * Exported so the resource provider can reuse the same wording.
 */
export function adviceFor(
  init: Pick<
    IamApiErrorInit,
    "operation" | "kind" | "grpcCode" | "serviceAccountId" | "attempts" | "timeoutMs" | "endpoint"
  >,
): FailureAdvice {
  const sa = init.serviceAccountId ? `service account ${init.serviceAccountId}` : "the service account";
  const op = init.operation;
  if (init.kind === "malformed") {
    return {
      cause: `the answer did not have the documented shape; the endpoint${init.endpoint ? ` ${init.endpoint}` : ""} may not be a Yandex Cloud IAM API (a proxy or a wrong YC_IAM_ENDPOINT / yandex:iamEndpoint)`,
      action: "check the IAM endpoint setting; retrying will not help if the endpoint is wrong",
    };
  }
  if (init.kind === "tls") {
    return {
      cause: `the TLS certificate of ${init.endpoint ?? "the endpoint"} is not trusted (self-signed, expired, or for another host)`,
      action:
        "for an emulator with a self-signed certificate set YC_IAM_CA_CERT_FILE (or stack config yandex:iamCaCertFile) to its CA certificate; otherwise check the endpoint and any TLS-intercepting proxy",
    };
  }
  if (init.kind === "timeout") {
    return {
      cause: `no complete answer within ${init.timeoutMs ?? "the"} ms per attempt (${init.attempts} attempt(s)); the network or the IAM API is slow or unreachable`,
      action: "check connectivity to the IAM endpoint and try again; the per-attempt timeout can be raised",
    };
  }
  if (init.kind === "network") {
    return op === "metadataToken"
      ? {
          cause:
            "the instance metadata service did not answer; this code is probably not running on a Yandex Compute VM",
          action:
            "outside a VM, configure credentials (yandex:token, yandex:serviceAccountKeyFile, YC_TOKEN, YC_SERVICE_ACCOUNT_KEY_FILE or a yc CLI profile)",
        }
      : {
          cause: `the IAM API could not be reached (${init.attempts} attempt(s)): connection refused, reset or dropped`,
          action: "check network access and proxy settings for the IAM endpoint, then try again",
        };
  }
  switch (grpcCodeName(init.grpcCode)) {
    case "PERMISSION_DENIED":
      if (op === "createForServiceAccount") {
        return {
          cause: `the caller lacks the role iam.serviceAccounts.tokenCreator on ${sa} or on its folder (some deployments also answer PERMISSION_DENIED for a service account that does not exist)`,
          action: `check the service account id, then grant the caller the role, e.g. \`yc iam service-account add-access-binding ${init.serviceAccountId ?? "<id>"} --role iam.serviceAccounts.tokenCreator --subject <userAccount|serviceAccount>:<caller id>\``,
        };
      }
      if (op === "revoke") {
        return {
          cause:
            "the caller is not allowed to revoke this token (it belongs to a subject the caller has no rights on)",
          action: "revoke with the same credentials that created the token, or let the token expire",
        };
      }
      return {
        cause:
          "the credentials were recognised but are not allowed to obtain an IAM token (a disabled account or key)",
        action: "check that the account and its key are active",
      };
    case "NOT_FOUND":
      if (op === "createForServiceAccount") {
        return {
          cause: `${sa} does not exist (or is in a cloud the caller cannot see)`,
          action: "check the service account id (`yc iam service-account list`)",
        };
      }
      if (op === "createFromJwt") {
        return {
          cause:
            "the authorized key (the JWT's kid) or its service account does not exist; the key may have been deleted",
          action: "create a new key with `yc iam key create` and point the key file setting at it",
        };
      }
      return { cause: "the requested object does not exist", action: "check the identifiers in the request" };
    case "UNAUTHENTICATED":
      if (op === "createFromOAuthToken") {
        return {
          cause: "the OAuth token is invalid, expired or revoked",
          action:
            "get a new OAuth token (https://oauth.yandex.com/authorize?response_type=token&client_id=1a6990aa636648e9b2ef855fa7bec2fb) and set it again",
        };
      }
      if (op === "createFromJwt") {
        return {
          cause:
            "the JWT was rejected: the key was revoked or replaced, or this machine's clock is far off (iat/exp)",
          action: "check the key file is current and the system clock is correct",
        };
      }
      return {
        cause: "the caller's IAM token is invalid, expired or revoked",
        action:
          "renew the credentials; a fixed IAM token (YC_TOKEN / yandex:token starting with t1.) lives at most 12 hours: get a new one with `yc iam create-token`, or configure an OAuth token or a key file that can be exchanged automatically",
      };
    case "INVALID_ARGUMENT":
    case "FAILED_PRECONDITION":
      return {
        cause:
          op === "createForServiceAccount"
            ? `the request was rejected as invalid; the service account id may be malformed (at most 50 characters)`
            : "the request was rejected as invalid",
        action: "check the values sent (ids, key file contents); retrying will not help",
      };
    case "RESOURCE_EXHAUSTED":
      return {
        cause: `the IAM API is throttling requests (${init.attempts} attempt(s) made)`,
        action: "wait and try again, or reduce parallelism (`pulumi up --parallel`)",
      };
    case "UNAVAILABLE":
    case "INTERNAL":
    case "DEADLINE_EXCEEDED":
    case "UNKNOWN":
      return {
        cause: `the IAM API had a transient failure (${init.attempts} attempt(s) made)`,
        action: "try again later; if it persists, contact support with the requestId",
      };
    default:
      return { cause: "the IAM API refused the request", action: "see the server's message" };
  }
}

function formatIamApiErrorMessage(init: IamApiErrorInit): string {
  const advice = adviceFor(init);
  const target = init.serviceAccountId ? ` for service account ${init.serviceAccountId}` : "";
  const status = init.httpStatus === undefined ? "" : `, HTTP ${init.httpStatus}`;
  const request = init.requestId ? `; requestId ${init.requestId}` : "";
  const attempts = `; ${init.attempts} attempt${init.attempts === 1 ? "" : "s"}`;
  const server = init.serverMessage ? `: ${init.serverMessage}` : "";
  return (
    `Failed ${OPERATION_TEXT[init.operation]}${target}: ${grpcCodeName(init.grpcCode)} (gRPC ${init.grpcCode}${status}${request}${attempts})${server}. ` +
    `Likely cause: ${advice.cause}. What to do: ${advice.action}.`
  );
}

/** Placeholder that replaces a secret in redacted text. */
export const REDACTED = "[REDACTED]";

/*
 * Shapes that look like secrets even when we were not told about them: the safety net behind the
 * explicit list. PEM private keys, IAM tokens (t1.x.y), OAuth tokens (y0_..), JWTs, bearer headers.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
  /\by[0-3]_[A-Za-z0-9_-]{16,}/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
  /(Bearer\s+)[^\s"',;]+/gi,
];

/**
 * Removes secrets from text before it reaches a message, a log line or an exception: first every
 * given secret (exact occurrences, including JSON-escaped forms), then anything shaped like a
 * private key, IAM token, OAuth token, JWT or bearer header.
 *
 * @param text - foreign text (a server message, an error from the HTTP stack)
 * @param secrets - values known to be secret in this context; empty/undefined entries are ignored
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  const known = secrets
    .filter((s): s is string => typeof s === "string" && s.length >= 4)
    // Longest first, so a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);
  for (const secret of known) {
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) =>
      typeof prefix === "string" && /^Bearer/i.test(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/**
 * A short, redacted description of a foreign error (its name, code and message), for wrapping
 * errors from the HTTP stack or the file system without carrying their payloads along.
 */
export function describeForeignError(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const causeCode = (error as { cause?: { code?: unknown } }).cause?.code;
    const codeText = typeof code === "string" ? code : typeof causeCode === "string" ? causeCode : undefined;
    return redact(`${error.name}${codeText ? ` ${codeText}` : ""}: ${error.message}`, secrets);
  }
  return redact(String(error), secrets);
}
