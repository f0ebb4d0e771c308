import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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

/** Reads a state file; undefined when it does not exist yet. Throws a clear Error when it is corrupt. */
export function readStateFile(path: string): StateFile | undefined {
  if (!existsSync(path)) return undefined;
  let value: Partial<StateFile>;
  try {
    value = JSON.parse(readFileSync(path, "utf8")) as Partial<StateFile>;
  } catch (error) {
    throw new Error(`state file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
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
 * Writes the state file after changes. Writes are coalesced (at most one per `delayMs`) so a burst
 * of token mints costs one write, and atomic (temp file + rename) so a crash never leaves half a file.
 */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param path state file
   * @param collect builds the current state
   * @param delayMs coalescing window
   */
  constructor(
    private readonly path: string,
    private readonly collect: () => StateFile,
    private readonly delayMs = 50,
  ) {}

  /** Marks the state changed; it is written within `delayMs`. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Writes now (pending or not) and cancels a scheduled write. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.collect())}\n`, { mode: 0o600 });
    renameSync(temp, this.path);
  }
}
