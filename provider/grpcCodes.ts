/**
 * gRPC status codes (google.rpc.Code): named once, for the client, its retry policy and its
 * messages. The IAM API's REST errors carry these numbers in their `google.rpc.Status` bodies.
 */

/** gRPC status codes by name. */
export const GrpcCode = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);

/** A gRPC status code name, such as `"PERMISSION_DENIED"`. */
export type GrpcCodeName = keyof typeof GrpcCode;

/** gRPC status code names by number. */
export const GRPC_CODE_NAMES: Readonly<Record<number, GrpcCodeName>> = Object.freeze(
  Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name as GrpcCodeName])),
);

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
      return GrpcCode.INVALID_ARGUMENT;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.NOT_FOUND;
    case 409:
      return GrpcCode.ABORTED;
    case 429:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 499:
      return GrpcCode.CANCELLED;
    case 501:
      return GrpcCode.UNIMPLEMENTED;
    case 502:
    case 503:
      return GrpcCode.UNAVAILABLE;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
    default:
      return httpStatus >= 500 ? GrpcCode.INTERNAL : GrpcCode.UNKNOWN;
  }
}
