import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { EmulatorAdminClient } from "../../emulator";
import { call, IDS } from "./support";

const CLI = join(__dirname, "..", "..", "emulator", "cli.js");

interface Started {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  exit: Promise<number | null>;
}

/** Spawns the CLI and resolves once it printed `count` stdout lines. */
function startCli(args: string[], count = 1, env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"], env });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      lines.push(line);
      if (lines.length === count) resolve({ child, lines, exit });
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d.toString()));
    void exit.then((code) => reject(new Error(`CLI exited with ${code}: ${stderr}`)));
  });
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d.toString()));
  child.stderr.on("data", (d) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("yc-iam-emulator CLI", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "yc-iam-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("starts, prints its URL (and JSON), serves, and exits cleanly on SIGTERM", async () => {
    const seedPath = join(dir, "seed.json");
    writeFileSync(
      seedPath,
      JSON.stringify({
        serviceAccounts: [{ id: IDS.serviceAccount }],
        iamTokens: [{ token: "t1.cli.caller", subjectId: IDS.caller, expiresAt: "2999-01-01T00:00:00Z" }],
        roleBindings: [
          { subjectId: IDS.caller, role: "iam.serviceAccounts.tokenCreator", resourceId: IDS.serviceAccount },
        ],
      }),
    );
    const started = performance.now();
    const { child, lines, exit } = await startCli(
      ["--port", "0", "--seed", seedPath, "--admin-token", "cli-admin", "--print-json"],
      2,
    );
    const startupMs = performance.now() - started;
    try {
      const match = /^yc-iam-emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0]);
      assert.ok(match, lines[0]);
      assert.deepEqual(JSON.parse(lines[1]), { baseUrl: match[1], adminToken: "cli-admin" });
      assert.ok(startupMs < 3000, `started in ${startupMs} ms (includes node start)`);
      const answer = await call(match[1], "/iam/v1/tokens:createForServiceAccount", {
        token: "t1.cli.caller",
        body: { serviceAccountId: IDS.serviceAccount },
      });
      assert.equal(answer.status, 200);
      const admin = new EmulatorAdminClient(match[1], "cli-admin");
      assert.equal((await admin.counts()).createForServiceAccount, 1);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exit, 0);
  });

  it("keeps issued tokens across restarts with --state", async () => {
    const statePath = join(dir, "state.json");
    const first = await startCli(["--state", statePath, "--admin-token", "a1"]);
    const base1 = first.lines[0].split(" ").pop() as string;
    const { iamToken } = await new EmulatorAdminClient(base1, "a1").mintIamToken(IDS.caller);
    first.child.kill("SIGINT");
    assert.equal(await first.exit, 0);

    const second = await startCli(["--state", statePath]);
    try {
      const base2 = second.lines[0].split(" ").pop() as string;
      assert.equal((await new EmulatorAdminClient(base2, "a1").whoami(iamToken)).subjectId, IDS.caller);
    } finally {
      second.child.kill("SIGTERM");
    }
    assert.equal(await second.exit, 0);
  });

  it("takes the admin token from YC_IAM_EMULATOR_ADMIN_TOKEN (kept out of the process list); the flag wins", async () => {
    const env = { ...process.env, YC_IAM_EMULATOR_ADMIN_TOKEN: "env-admin-secret" };
    const fromEnv = await startCli(["--print-json"], 2, env);
    try {
      const { baseUrl, adminToken } = JSON.parse(fromEnv.lines[1]) as { baseUrl: string; adminToken: string };
      assert.equal(adminToken, "env-admin-secret");
      assert.equal((await new EmulatorAdminClient(baseUrl, "env-admin-secret").settings()).reuseTokens, true);
      await assert.rejects(new EmulatorAdminClient(baseUrl, "other").counts(), { status: 401 });
    } finally {
      fromEnv.child.kill("SIGTERM");
    }
    assert.equal(await fromEnv.exit, 0);
    const flagWins = await startCli(["--print-json", "--admin-token", "flag-admin"], 2, env);
    try {
      assert.equal((JSON.parse(flagWins.lines[1]) as { adminToken: string }).adminToken, "flag-admin");
    } finally {
      flagWins.child.kill("SIGTERM");
    }
    assert.equal(await flagWins.exit, 0);
  });

  it("exits cleanly when signalled right after printing its URL (signals are handled before it)", async () => {
    for (let i = 0; i < 5; i++) {
      const started = await startCli(["--admin-token", "a"]);
      started.child.kill(i % 2 === 0 ? "SIGTERM" : "SIGINT");
      assert.equal(await started.exit, 0, `run ${i}`);
    }
  });

  it("bounds the request log with --request-log-max-bytes", async () => {
    const started = await startCli(["--admin-token", "a", "--request-log-max-bytes", "5000"]);
    try {
      const base = started.lines[0].split(" ").pop() as string;
      for (let i = 0; i < 50; i++) await call(base, `/nowhere/${"x".repeat(500)}${i}`);
      const stats = await new EmulatorAdminClient(base, "a").stats();
      assert.equal(stats.requestLog.maxBytes, 5000);
      assert.ok(stats.requestLog.bytes <= 5000 && stats.requestLog.entries < 50, JSON.stringify(stats));
    } finally {
      started.child.kill("SIGTERM");
    }
    assert.equal(await started.exit, 0);
  });

  it("prints help, and fails clearly on bad flags and bad seed files", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: yc-iam-emulator/);
    assert.match(help.stdout, /YC_IAM_EMULATOR_ADMIN_TOKEN/, "the help recommends the environment variable");
    const badLimit = await runCli(["--request-log-max-bytes", "lots"]);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /--request-log-max-bytes must be a positive integer/);
    const badJson = join(dir, "bad-json.json");
    writeFileSync(badJson, '{"oauthTokens": [{"token": "y0_SECRET_IN_A_BROKEN_SEED"');
    const broken = await runCli(["--seed", badJson]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /is not valid JSON/);
    assert.ok(!broken.stderr.includes("y0_SECRET"), "the file content is never quoted");
    const bad = await runCli(["--frobnicate"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--frobnicate'/);
    const port = await runCli(["--port", "http"]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be an integer/);
    const missing = await runCli(["--seed", join(dir, "missing.json")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read seed file .*missing\.json/);
    const badSeed = join(dir, "bad-seed.json");
    writeFileSync(badSeed, JSON.stringify({ users: [{}] }));
    const invalid = await runCli(["--seed", badSeed]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /users\[0\]\.id is required/);
  });
});
