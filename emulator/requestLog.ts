import type { LoggedMethod } from "./faults";

/** One entry of `GET /_emulator/requests`. Holds no secrets: no tokens, JWTs or keys. */
export interface RequestLogEntry {
  /** 1-based sequence number since start or the last reset. */
  seq: number;
  /** IAM method, `whoami`, or `unknown` for paths that name no method. */
  method: LoggedMethod;
  /** HTTP method. */
  httpMethod: string;
  /** Request path without the query string, cut to 256 characters (then marked `...[N chars]`). */
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

/**
 * Default bound of the kept entries' size, in bytes (as JSON). Together with
 * {@link MAX_LOGGED_PATH_CHARS} it bounds what anyone who can reach the port can make the log hold.
 */
export const DEFAULT_REQUEST_LOG_MAX_BYTES = 4 * 1024 * 1024;

/** Longest path kept in a log entry; longer ones are cut and marked with their full length. */
export const MAX_LOGGED_PATH_CHARS = 256;

/** Size figures of the request log (`GET /_emulator/stats`). */
export interface RequestLogStats {
  /** Entries kept. */
  entries: number;
  /** Their size as JSON, in bytes. */
  bytes: number;
  /** Most entries kept. */
  maxEntries: number;
  /** Most bytes kept. */
  maxBytes: number;
}

const zeroCounts = (): RequestCounts => ({
  createForServiceAccount: 0,
  create: 0,
  revoke: 0,
  metadataToken: 0,
  whoami: 0,
});

/** A path as logged: cut to {@link MAX_LOGGED_PATH_CHARS}, with the full length noted when cut. */
export function loggedPath(path: string): string {
  return path.length <= MAX_LOGGED_PATH_CHARS
    ? path
    : `${path.slice(0, MAX_LOGGED_PATH_CHARS)}...[${path.length} chars]`;
}

/**
 * Request log plus counters, bounded in entries and in bytes (counters stay exact when entries are
 * dropped). Oldest entries go first.
 */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private counts = zeroCounts();
  private seq = 0;

  /**
   * @param limit most entries kept
   * @param maxBytes most bytes (entries as JSON) kept
   */
  constructor(
    private readonly limit = DEFAULT_REQUEST_LOG_LIMIT,
    private readonly maxBytes = DEFAULT_REQUEST_LOG_MAX_BYTES,
  ) {}

  /** Records an answered (or dropped) request; its path is cut by {@link loggedPath}. */
  record(entry: Omit<RequestLogEntry, "seq">): void {
    const full = { seq: ++this.seq, ...entry, path: loggedPath(entry.path) };
    const size = Buffer.byteLength(JSON.stringify(full));
    this.entries.push(full);
    this.sizes.push(size);
    this.bytes += size;
    while (this.entries.length - this.head > 0 && (this.length > this.limit || this.bytes > this.maxBytes)) {
      this.bytes -= this.sizes[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    if (entry.method !== "unknown") this.counts[entry.method]++;
  }

  private get length(): number {
    return this.entries.length - this.head;
  }

  /** The kept entries, oldest first. */
  list(): RequestLogEntry[] {
    return this.entries.slice(this.head);
  }

  /** A copy of the counters. */
  getCounts(): RequestCounts {
    return { ...this.counts };
  }

  /** How much the log holds and may hold. */
  stats(): RequestLogStats {
    return { entries: this.length, bytes: this.bytes, maxEntries: this.limit, maxBytes: this.maxBytes };
  }

  /** Clears entries and counters. */
  reset(): void {
    this.entries = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    this.counts = zeroCounts();
    this.seq = 0;
  }
}
