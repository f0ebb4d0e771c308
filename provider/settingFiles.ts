/**
 * Files that settings name: the service account key file, the CA certificate and the yc CLI
 * config. One place expands `~/`, reads them within bounds, and describes a setting's value in
 * messages without echoing it (a value meant as a path is often a key pasted in by mistake).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Reads a UTF-8 file; injectable so tests need no real files. */
export type ReadFile = (filePath: string) => string;

/** The largest file a setting may name, in bytes: key files and configs are a few kilobytes. */
export const MAX_SETTING_FILE_BYTES = 1024 * 1024;

/** A file a setting names that cannot be used as one (its message never quotes the content). */
export class SettingFileError extends Error {
  override readonly name = "SettingFileError";
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Reads a regular file of at most {@link MAX_SETTING_FILE_BYTES} from the disk. Anything else is
 * refused before its content is read: a named pipe would block forever (the file is opened
 * non-blocking and checked first), a device such as `/dev/zero` would never end.
 *
 * @throws SettingFileError, or the file system's error (ENOENT and the like)
 */
export const readFileFromDisk: ReadFile = (filePath) => {
  const fd = fs.openSync(filePath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SettingFileError(`it is ${kindOf(stat)}, not a regular file`);
    if (stat.size > MAX_SETTING_FILE_BYTES) {
      throw new SettingFileError(
        `it is ${stat.size} bytes, more than the ${MAX_SETTING_FILE_BYTES} a setting file may be`,
      );
    }
    // One byte more than the size: a file that grew while being read is refused, not cut.
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = fs.readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > stat.size) throw new SettingFileError("it changed while it was read");
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
};

/** Whether a file on the disk can be read by users other than its owner (group or others). */
export function isReadableByOthers(filePath: string): boolean {
  try {
    return (fs.statSync(filePath).mode & 0o044) !== 0;
  } catch {
    return false;
  }
}

/** A path from a setting, with a leading `~/` expanded to `homeDir` as shells do. */
export function expandHome(settingValue: string, homeDir: string): string {
  return settingValue.startsWith("~/") ? path.join(homeDir, settingValue.slice(2)) : settingValue;
}

/**
 * Why a file could not be read, without the path or any content: the file system's messages
 * quote the path, which may be a secret pasted into the wrong setting.
 */
export function describeFileError(error: unknown): string {
  if (error instanceof SettingFileError) return error.message;
  if (isMissingFile(error)) return "no such file exists";
  const code = (error as { code?: unknown } | null)?.code;
  return `the file system refused it (${typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : "unknown error"})`;
}

/** Whether a file error means the file does not exist. */
export function isMissingFile(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

/** Whether a setting's value looks like a file path, and nothing that could be a secret. */
function looksLikePath(value: string): boolean {
  return (
    value.length <= 256 &&
    /^[A-Za-z0-9_~./\\:@+-]+$/.test(value) &&
    (value.includes("/") || value.includes("\\") || /\.(json|pem|crt|yaml)$/i.test(value))
  );
}

/**
 * How a setting's value is named in a message. A value that looks like a path is quoted (users
 * need to see the typo); anything else is described, never echoed: a value meant as a path is
 * often the key itself, base64-encoded or quoted, pasted into the wrong setting.
 */
export function describeSettingValue(value: string): string {
  if (looksLikePath(value)) return value;
  const shape = [`a value of ${value.length} characters that is not a file path`];
  const trimmed = value.trim();
  if (/^["']\s*\{/.test(trimmed)) shape.push("it looks like JSON wrapped in quotes: remove the quotes");
  else if (trimmed.includes("-----BEGIN")) {
    shape.push("it looks like a PEM key: set the whole key file (its JSON), not only the private key");
  } else if (/^[A-Za-z0-9+/=\s_-]{16,}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, "base64").toString("utf8").trimStart();
    if (decoded.startsWith("{"))
      shape.push("it looks like base64 of JSON: decode it (`base64 -d`) or set the JSON itself");
  }
  return shape.join("; ");
}
