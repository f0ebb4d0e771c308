import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { EmulatorAdminClient } from "../../emulator";

const CLI = join(__dirname, "..", "..", "emulator", "cli.js");

/** An emulator started from its CLI, as a user starts it. */
export interface CliEmulator {
  /** Base URL the CLI printed. */
  baseUrl: string;
  /** Side-API client (the admin token came from the environment). */
  admin: EmulatorAdminClient;
  /** The process. */
  child: ChildProcessWithoutNullStreams;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** Stops it with SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node dist/emulator/cli.js --port 0 ...args` with the admin token in
 * `YC_IAM_EMULATOR_ADMIN_TOKEN` (as the CLI help recommends) and resolves once it printed its URL.
 */
export function startCliEmulator(args: string[], adminToken: string): Promise<CliEmulator> {
  const child = spawn(process.execPath, [CLI, "--port", "0", ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, YC_IAM_EMULATOR_ADMIN_TOKEN: adminToken },
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", (line) => {
      const match = /^yc-iam-emulator listening on (\S+)$/.exec(line);
      if (match === null) {
        reject(new Error(`unexpected first line: ${line}`));
        return;
      }
      resolve({
        baseUrl: match[1],
        admin: new EmulatorAdminClient(match[1], adminToken),
        child,
        stderr: () => stderr,
        stop: () => {
          child.kill("SIGTERM");
          return exit;
        },
      });
    });
    void exit.then((code) => reject(new Error(`CLI exited with ${code}: ${stderr}`)));
  });
}

/** What a curl run printed. */
export interface CurlResult {
  /** HTTP status curl reported (`%{http_code}`). */
  status: number;
  /** Response body. */
  body: string;
  /** Parsed JSON body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

const STATUS_MARK = "\n__curl_http_status__:";

/**
 * Runs a curl command line as the documentation writes it, through bash. Only output options are
 * added (`-sS` and a `--write-out` that reports the status); the request itself is the recipe's.
 * Proxy variables are removed so the loopback request goes straight to the emulator.
 */
export function curl(commandLine: string): Promise<CurlResult> {
  if (!commandLine.startsWith("curl ")) throw new Error("not a curl command");
  const withOutput = `curl -sS --write-out '${STATUS_MARK.replace("\n", "\\n")}%{http_code}' ${commandLine.slice(5)}`;
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/_proxy$/i.test(key)) delete env[key];
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", withOutput], { env, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`curl failed (${error.code}): ${stderr}`));
        return;
      }
      const at = stdout.lastIndexOf(STATUS_MARK);
      if (at < 0) {
        reject(new Error("curl printed no status"));
        return;
      }
      const body = stdout.slice(0, at);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ status: Number(stdout.slice(at + STATUS_MARK.length)), body, json });
    });
  });
}

/** The documented IAM token pattern, anchored. */
export const DOCUMENTED_TOKEN_PATTERN = /^t1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}$/;

/** RFC 3339 UTC with 0 to 9 fraction digits. */
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
