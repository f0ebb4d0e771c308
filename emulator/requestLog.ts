import type { LoggedMethod } from "./faults";

/** One entry of `GET /_emulator/requests`. Holds no secrets: no tokens, JWTs or keys. */
export interface RequestLogEntry {
  /** 1-based sequence number since start or the last reset. */
  seq: number;
  /** IAM method, `whoami`, or `unknown` for paths that name no method. */
  method: LoggedMethod;
  /** HTTP method. */
  httpMethod: string;
  /** Request path without the query string. */
  path: string;
  /** HTTP status sent; 0 when the connection was dropped by a fault. */
  status: number;
  /** gRPC code of an error answer. */
  grpcCode?: number;
  /** Request id sent in X-Request-Id (and RequestInfo for errors). */
  requestId: string;
  /** Label of the injected fault, e.g. `status:429`. */
  fault?: string;
  /** Authenticated caller, or the subject a token was issued to. */
  subjectId?: string;
  /** `serviceAccountId` of a createForServiceAccount call. */
  targetServiceAccountId?: string;
  /** Emulator time of the answer, RFC 3339. */
  at: string;
}

/** Per-method call counts (`GET /_emulator/counts`). */
export interface RequestCounts {
  /** createForServiceAccount calls. */
  createForServiceAccount: number;
  /** create (OAuth or JWT exchange) calls. */
  create: number;
  /** revoke calls. */
  revoke: number;
  /** metadata-service token calls. */
  metadataToken: number;
  /** whoami calls (side API; not an IAM API call). */
  whoami: number;
}

/** Default number of entries kept; older ones are dropped so a long benchmark cannot exhaust memory. */
export const DEFAULT_REQUEST_LOG_LIMIT = 10_000;

const zeroCounts = (): RequestCounts => ({
  createForServiceAccount: 0,
  create: 0,
  revoke: 0,
  metadataToken: 0,
  whoami: 0,
});

/** Bounded request log plus counters (counters are exact even when the log wraps). */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private counts = zeroCounts();
  private seq = 0;

  /** @param limit most entries kept */
  constructor(private readonly limit = DEFAULT_REQUEST_LOG_LIMIT) {}

  /** Records an answered (or dropped) request. */
  record(entry: Omit<RequestLogEntry, "seq">): void {
    const full = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.limit * 2) this.entries = this.entries.slice(-this.limit);
    if (entry.method !== "unknown") this.counts[entry.method]++;
  }

  /** The kept entries, oldest first. */
  list(): RequestLogEntry[] {
    return this.entries.length > this.limit ? this.entries.slice(-this.limit) : [...this.entries];
  }

  /** A copy of the counters. */
  getCounts(): RequestCounts {
    return { ...this.counts };
  }

  /** Clears entries and counters. */
  reset(): void {
    this.entries = [];
    this.counts = zeroCounts();
    this.seq = 0;
  }
}
