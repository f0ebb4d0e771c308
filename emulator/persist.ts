import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import type { StoreSnapshot } from "./store";

/** Contents of a `--state` file. */
export interface StateFile {
  /** The store. */
  store: StoreSnapshot;
  /** Emulated minus real time, ms, so the emulator's time line survives restarts. */
  clockOffsetMs: number;
  /** Side-API secret, kept so clients of a restarted CLI emulator need no new one. */
  adminToken: string;
}

/** Largest state file read, in bytes: far above any real state, small enough to never exhaust memory. */
export const MAX_STATE_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Reads a state file; undefined when it does not exist yet. Throws a clear Error when it is corrupt.
 * Errors never quote the file's content: it holds tokens.
 */
export function readStateFile(path: string): StateFile | undefined {
  if (!existsSync(path)) return undefined;
  const stats = statSync(path);
  if (!stats.isFile()) throw new Error(`state file ${path} is not a regular file`);
  if (stats.size > MAX_STATE_FILE_BYTES) {
    throw new Error(`state file ${path} is larger than ${MAX_STATE_FILE_BYTES} bytes`);
  }
  let value: Partial<StateFile>;
  try {
    value = JSON.parse(readFileSync(path, "utf8")) as Partial<StateFile>;
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a token.
    throw new Error(`state file ${path} is not valid JSON`);
  }
  if (
    typeof value !== "object" ||
    value === null ||
    value.store?.version !== 1 ||
    typeof value.clockOffsetMs !== "number" ||
    typeof value.adminToken !== "string"
  ) {
    throw new Error(`state file ${path} is not an emulator state file (version 1)`);
  }
  return value as StateFile;
}

/**
 * Writes `text` to `path` atomically and privately: into a temp file beside it with an
 * unpredictable name, created exclusively (`wx`, so a planted file or symlink is never written
 * through) with mode 0600 set explicitly (whatever the umask), synced, then renamed over `path`.
 * The temp file is removed when any step fails.
 */
export function writeFileAtomicPrivate(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(12).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  let renamed = false;
  try {
    try {
      fchmodSync(fd, 0o600);
      const data = Buffer.from(text, "utf8");
      let offset = 0;
      while (offset < data.length) offset += writeSync(fd, data, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    renamed = true;
  } finally {
    if (!renamed) rmSync(temp, { force: true });
  }
}

/** Options of {@link StatePersister}. */
export interface StatePersisterOptions {
  /** Coalescing window: changes are written at most once per this many ms (default 50). */
  delayMs?: number;
  /** First wait before retrying a failed write, in ms (default 1000); doubles per failure. */
  retryDelayMs?: number;
  /** Longest wait between retries, in ms (default 30,000). */
  maxRetryDelayMs?: number;
  /** Where failures are reported (default: a line on stderr). Never given file content. */
  onError?: (message: string) => void;
  /** Called after each successful write (lets tests wait for a retry instead of sleeping). */
  onWritten?: () => void;
}

/**
 * Writes the state file after changes. Writes are coalesced (at most one per `delayMs`) so a burst
 * of token mints costs one write, and atomic (see {@link writeFileAtomicPrivate}) so a crash never
 * leaves half a file. A failed write in the background is reported and retried with backoff; the
 * server keeps serving meanwhile.
 */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly delayMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly onError: (message: string) => void;
  private readonly onWritten: () => void;

  /**
   * @param path state file
   * @param collect builds the current state
   * @param options timing and error reporting
   */
  constructor(
    private readonly path: string,
    private readonly collect: () => StateFile,
    options: StatePersisterOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 50;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.onError = options.onError ?? ((message) => process.stderr.write(`${message}\n`));
    this.onWritten = options.onWritten ?? (() => {});
  }

  /** Consecutive failed writes since the last successful one. */
  get failedWrites(): number {
    return this.failures;
  }

  /** Marks the state changed; it is written within `delayMs` (or at the pending retry). */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.arm(this.delayMs);
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tryFlush();
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Writes now (pending or not) and cancels a scheduled write.
   * @throws Error when the write fails (used at start, where failing fast is right).
   */
  flush(): void {
    this.cancel();
    writeFileAtomicPrivate(this.path, `${JSON.stringify(this.collect())}\n`);
    this.failures = 0;
    this.onWritten();
  }

  /**
   * Writes now; on failure reports it and schedules a retry instead of throwing.
   * @returns whether the state file was written
   */
  tryFlush(): boolean {
    try {
      this.flush();
      return true;
    } catch (error) {
      this.failures++;
      const delayMs = Math.min(
        this.maxRetryDelayMs,
        this.retryDelayMs * 2 ** Math.min(this.failures - 1, 20),
      );
      const code = (error as NodeJS.ErrnoException)?.code;
      this.onError(
        `yc-iam-emulator: cannot write state file ${this.path}` +
          `${code !== undefined ? ` (${code})` : ""}; still serving, retrying in ${delayMs} ms`,
      );
      this.arm(delayMs);
      return false;
    }
  }

  /** Cancels a scheduled write or retry. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
