/**
 * Files that settings name: the service account key file, the CA certificate and the yc CLI
 * config. One place expands `~/` and reads them, so every such file is read the same way.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Reads a UTF-8 file; injectable so tests need no real files. */
export type ReadFile = (filePath: string) => string;

/** Reads a file from the disk. */
export const readFileFromDisk: ReadFile = (filePath) => fs.readFileSync(filePath, "utf8");

/** A path from a setting, with a leading `~/` expanded to `homeDir` as shells do. */
export function expandHome(settingValue: string, homeDir: string): string {
  return settingValue.startsWith("~/") ? path.join(homeDir, settingValue.slice(2)) : settingValue;
}

/** Whether a file error means the file does not exist. */
export function isMissingFile(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}
