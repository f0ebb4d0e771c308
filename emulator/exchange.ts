import type { IncomingMessage } from "node:http";
import { ApiError, errors } from "./errors";
import type { LoggedMethod } from "./faults";
import { asObject, JsonObject } from "./validate";

/** One request as the handlers see it: the body is already read (and size-checked). */
export interface Exchange {
  /** The raw request (headers, method). */
  readonly req: IncomingMessage;
  /** Path without the query string. */
  readonly path: string;
  /** Fresh id for X-Request-Id and error details. */
  readonly requestId: string;
  /** Request body. */
  readonly body: Buffer;
  /** Facts for the request log that handlers fill in (never secrets). */
  readonly log: { method: LoggedMethod; subjectId?: string; targetServiceAccountId?: string; fault?: string };
}

/** What a handler answers. `raw` bodies are sent as they are (malformed-body faults). */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** JSON-serialisable body, or a raw string. */
  body: unknown;
  /** Send `body` verbatim instead of as JSON. */
  raw?: boolean;
  /** Content-Type of a raw body (default JSON). */
  contentType?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** A 200 JSON reply. */
export const ok = (body: unknown): Reply => ({ status: 200, body });

/**
 * Parses the body as a JSON object, whatever the Content-Type header says: the documentation's
 * own recipes send JSON with `curl -d`, i.e. as `application/x-www-form-urlencoded`, and the real
 * gateway answers them. A body that is not a JSON object is a 400. An empty body counts as `{}`,
 * so missing fields are reported by field validation.
 */
export function jsonBody(exchange: Exchange): JsonObject {
  if (exchange.body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(exchange.body.toString("utf8"));
  } catch {
    // Never quote the body: it may hold a token or a key.
    throw errors.invalidArgument("Request body is not valid JSON");
  }
  return asObject(value, "Request body", (m) => errors.invalidArgument(m));
}

/** The Bearer token of the Authorization header; 401 when absent or not a Bearer credential. */
export function bearerToken(exchange: Exchange): string {
  const header = exchange.req.headers.authorization;
  if (header === undefined || header === "") {
    throw errors.unauthenticated("Authorization header with a Bearer IAM token is required.");
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw errors.unauthenticated("Authorization header must be 'Bearer <IAM token>'.");
  return match[1];
}

/** A 400 INVALID_ARGUMENT error factory for field validation. */
export const badField = (message: string): ApiError => errors.invalidArgument(message);
