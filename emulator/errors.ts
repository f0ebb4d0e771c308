import { randomUUID } from "node:crypto";

/** gRPC status codes the emulator answers with (a subset of google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** One of the {@link GrpcCode} values. */
export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

/** HTTP status the real API pairs with each gRPC code (the documented gRPC-to-HTTP table). */
export const httpStatusForCode: Readonly<Record<GrpcCodeValue, number>> = {
  0: 200,
  3: 400,
  4: 504,
  5: 404,
  7: 403,
  8: 429,
  9: 400,
  12: 501,
  13: 500,
  14: 503,
  16: 401,
};

/** The google.rpc.Status JSON body every error response carries. */
export interface StatusBody {
  /** gRPC code. */
  code: number;
  /** Human-readable message; never contains a secret. */
  message: string;
  /** Always exactly one RequestInfo detail. */
  details: [{ "@type": "type.googleapis.com/google.rpc.RequestInfo"; requestId: string }];
}

/**
 * An error that the server turns into a google.rpc.Status response.
 * Handlers throw it; the router catches it, so no handler writes error responses itself.
 */
export class ApiError extends Error {
  /** HTTP status sent; defaults to the usual pairing for the code. */
  readonly httpStatus: number;
  constructor(
    /** gRPC code of the Status body. */
    readonly grpcCode: GrpcCodeValue,
    message: string,
    httpStatus?: number,
    /** Extra response headers (e.g. Retry-After, Allow). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.httpStatus = httpStatus ?? httpStatusForCode[grpcCode];
  }
}

/** A fresh request id, as the real API puts in RequestInfo and X-Request-Id. */
export function newRequestId(): string {
  return randomUUID();
}

/** Builds the google.rpc.Status body for an error. */
export function statusBody(code: number, message: string, requestId: string): StatusBody {
  return {
    code,
    message,
    details: [{ "@type": "type.googleapis.com/google.rpc.RequestInfo", requestId }],
  };
}

/** The documented message for a caller IAM token that is unknown, revoked or expired. */
export const INVALID_TOKEN_MESSAGE = "Token is invalid or has expired.";

/** The documented message of `create` when both or neither of the credentials are given. */
export const EXACTLY_ONE_CREDENTIAL_MESSAGE =
  "Request validation error: Exactly one of 'yandexPassportOauthToken' and 'jwt' should be specified.";

/** Shorthands for the errors handlers raise most. */
export const errors = {
  invalidArgument: (message: string): ApiError => new ApiError(GrpcCode.INVALID_ARGUMENT, message),
  notFound: (message: string): ApiError => new ApiError(GrpcCode.NOT_FOUND, message),
  permissionDenied: (message: string): ApiError => new ApiError(GrpcCode.PERMISSION_DENIED, message),
  unauthenticated: (message = INVALID_TOKEN_MESSAGE): ApiError =>
    new ApiError(GrpcCode.UNAUTHENTICATED, message),
  internal: (message = "Internal error"): ApiError => new ApiError(GrpcCode.INTERNAL, message),
};
