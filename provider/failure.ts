/**
 * The facts of a failed IAM call, as the API client records them: which operation, how it failed,
 * and what the server said. Shared by the error type and the advice catalogue.
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
 * - `redirect`: the endpoint answered with a redirect, which is never followed (credentials
 *   would travel to wherever it points);
 * - `oversized`: the answer is larger than any real answer (a hostile or broken endpoint);
 * - `malformed`: a success status with a body that is not the documented shape.
 */
export type IamFailureKind = "http" | "network" | "timeout" | "tls" | "redirect" | "oversized" | "malformed";

/** What the API client knows about a failed call (already redacted: it holds no secret). */
export interface IamCallFailure {
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
