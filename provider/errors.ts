/**
 * The provider's error types. No message may contain a token, a key or an OAuth secret: messages
 * are built only from non-secret facts (service account ids, code names, endpoints), and anything
 * foreign (server messages, errors from the HTTP stack) is redacted before it gets here.
 */
import { formatFailureMessage } from "./advice";
import type { IamCallFailure, IamFailureKind, IamOperation } from "./failure";
import { grpcCodeName } from "./grpcCodes";

/**
 * A failed IAM API call. One type for every operation so callers can branch on
 * {@link IamApiError.grpcCodeName} or {@link IamApiError.httpStatus}.
 */
export class IamApiError extends Error {
  override readonly name = "IamApiError";
  /** The operation that failed. */
  readonly operation: IamOperation;
  /** How it failed (`http`, `network`, `timeout`, `tls`, `redirect`, `oversized`, `malformed`). */
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

  constructor(init: IamCallFailure) {
    super(formatFailureMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
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
