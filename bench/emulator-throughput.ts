/**
 * Throughput benchmark of the IAM emulator: starts the `yc-iam-emulator` CLI in a child process
 * (pinned to one CPU core when `taskset` exists) and drives createForServiceAccount from this
 * process over keep-alive connections for a fixed duration.
 *
 * Usage: node dist/bench/emulator-throughput.js [--seconds 5] [--connections 32] [--no-reuse]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    "no-reuse": { type: "boolean", default: false },
  },
});
const durationMs = Number(values.seconds) * 1000;
const connections = Number(values.connections);

const SERVICE_ACCOUNT = "ajebenchsa0000000001";
const CALLER_TOKEN = "t1.bench-caller-token.0000";

async function inProcessStartMs(): Promise<number> {
  const started = performance.now();
  const emu = await startEmulator({ port: 0 });
  const elapsed = performance.now() - started;
  await emu.close();
  return elapsed;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "yc-iam-bench-"));
  const seedPath = join(dir, "seed.json");
  writeFileSync(
    seedPath,
    JSON.stringify({
      reuseTokens: !values["no-reuse"],
      serviceAccounts: [{ id: SERVICE_ACCOUNT, folderId: "b1gbenchfolder000001" }],
      iamTokens: [
        { token: CALLER_TOKEN, subjectId: "ajebenchuser00000001", expiresAt: "2999-01-01T00:00:00Z" },
      ],
      roleBindings: [
        {
          subjectId: "ajebenchuser00000001",
          role: "iam.serviceAccounts.tokenCreator",
          resourceId: SERVICE_ACCOUNT,
        },
      ],
    }),
  );

  const cli = join(__dirname, "..", "emulator", "cli.js");
  const pin = spawnSync("taskset", ["--version"]).status === 0;
  const command = pin ? "taskset" : process.execPath;
  const args = [...(pin ? ["-c", "0", process.execPath] : []), cli, "--port", "0", "--seed", seedPath];
  const spawnedAt = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve(line.split(" ").pop() as string));
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const processStartMs = performance.now() - spawnedAt;
  const inProcessMs = await inProcessStartMs();

  const url = new URL(`${baseUrl}/iam/v1/tokens:createForServiceAccount`);
  const body = JSON.stringify({ serviceAccountId: SERVICE_ACCOUNT });
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const headers = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    Authorization: `Bearer ${CALLER_TOKEN}`,
  };
  let ok = 0;
  let failed = 0;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(url, { method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      req.on("error", () => {
        failed++;
        resolve();
      });
      req.end(body);
    });

  // Warm up the JIT and the connections before measuring.
  const warmupEnd = performance.now() + 500;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < warmupEnd) await once();
    }),
  );
  ok = 0;
  failed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });

  const rate = ok / elapsedS;
  process.stdout.write(
    [
      `emulator start: ${processStartMs.toFixed(0)} ms from spawn to listening (incl. Node start), ` +
        `${inProcessMs.toFixed(1)} ms for startEmulator() in-process`,
      `createForServiceAccount: ${rate.toFixed(0)} requests/s over ${elapsedS.toFixed(1)} s, ` +
        `${connections} keep-alive connections, reuseTokens=${!values["no-reuse"]}, ` +
        `emulator ${pin ? "pinned to CPU 0" : "not pinned"}; ${ok} ok, ${failed} failed`,
    ].join("\n") + "\n",
  );
  if (failed > 0 || rate < 2000) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exitCode = 1;
});
