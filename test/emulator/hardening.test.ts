import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorAdminClient, loadSeedFile, startEmulator, type RunningEmulator } from "../../emulator";
import {
  readStateFile,
  StatePersister,
  writeFileAtomicPrivate,
  type StateFile,
} from "../../emulator/persist";
import { call, IDS } from "./support";

const SECRET = "y0_THIS_IS_A_SECRET_OAUTH_TOKEN_0123456789";

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe("the request log is bounded in bytes as well as entries", () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ requestLogMaxBytes: 20_000 });
  });
  after(() => emu.close());

  it("keeps at most requestLogMaxBytes of entries and cuts long paths, counting exactly", async () => {
    const longPath = `/${"a".repeat(12_000)}`;
    for (let i = 0; i < 200; i++) assert.equal((await call(emu.baseUrl, `${longPath}${i}`)).status, 404);
    const stats = await emu.admin.stats();
    assert.equal(stats.requestLog.maxBytes, 20_000);
    assert.ok(stats.requestLog.bytes <= 20_000, `${stats.requestLog.bytes} bytes kept`);
    assert.ok(
      stats.requestLog.entries > 0 && stats.requestLog.entries < 200,
      String(stats.requestLog.entries),
    );
    const log = await emu.admin.requests();
    assert.equal(log.length, stats.requestLog.entries);
    assert.equal(
      Buffer.byteLength(JSON.stringify(log)) <= 20_000 + log.length + 1,
      true,
      "the measure is the JSON size",
    );
    for (const entry of log) {
      assert.ok(entry.path.length < 300, "paths are cut");
      assert.match(entry.path, /\.\.\.\[120\d{2} chars\]$/);
    }
    assert.equal(log[log.length - 1].seq, 200, "the newest entry is kept, the oldest dropped");
    assert.ok(stats.heapUsedBytes > 0);
  });
});

describe("every request path answers and never crashes", () => {
  it("refuses to move the clock past what Date can format (400), and keeps answering", async () => {
    const emu = await startEmulator();
    try {
      const headers = { "X-Emulator-Admin-Token": emu.adminToken };
      const refused = async (body: unknown): Promise<void> => {
        const answer = await call(emu.baseUrl, "/_emulator/clock", { body, headers });
        assert.deepEqual([answer.status, answer.json?.code], [400, 3], JSON.stringify(body));
        assert.match(answer.json?.message as string, /clock must stay between/);
      };
      for (const body of [
        { advanceSeconds: -1e10 },
        { set: "9999-12-31T23:59:59Z" },
        { set: "1969-12-31T23:59:59Z" },
      ]) {
        await refused(body);
      }
      assert.match(await emu.admin.setClock("9998-06-01T00:00:00Z"), /^9998-06-01T00:00:00/);
      for (let i = 0; i < 3; i++) await refused({ advanceSeconds: 1e10 });
      const { iamToken, expiresAt } = await emu.admin.mintIamToken(IDS.caller);
      assert.match(
        expiresAt,
        /^9998-06-01T12:00:00/,
        "a token minted at the edge still has an RFC 3339 expiry",
      );
      assert.equal((await emu.admin.whoami(iamToken)).subjectId, IDS.caller);
    } finally {
      await emu.close();
    }
  });

  it("a clock already out of range (a hand-edited state file) gets 500 answers, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yc-iam-range-"));
    try {
      const statePath = join(dir, "state.json");
      const emu = await startEmulator({ statePath, adminToken: "a" });
      await emu.close();
      const state = JSON.parse(readFileSync(statePath, "utf8")) as StateFile;
      state.clockOffsetMs = 9e15; // beyond Date's range (8.64e15 ms)
      writeFileSync(statePath, JSON.stringify(state));
      const broken = await startEmulator({ statePath, onPersistError: () => {} });
      try {
        const headers = { "X-Emulator-Admin-Token": "a" };
        const clock = await call(broken.baseUrl, "/_emulator/clock", { headers });
        assert.deepEqual([clock.status, clock.json?.code], [500, 13], "side API answered, not crashed");
        const minted = await call(broken.baseUrl, "/_emulator/iam-tokens", {
          body: { subjectId: IDS.caller },
          headers,
        });
        assert.equal(minted.status, 500);
        const exchange = await call(broken.baseUrl, "/iam/v1/tokens", {
          body: { yandexPassportOauthToken: "y0_x" },
        });
        assert.equal(exchange.status, 401, "IAM paths answer too");
        const log = await broken.admin.requests();
        assert.equal(log[log.length - 1].at, "invalid-time");
        const fixed = await call(broken.baseUrl, "/_emulator/clock", {
          body: { set: "2026-11-28T00:00:00Z" },
          headers,
        });
        assert.equal(fixed.status, 200, "and the clock can be put right");
      } finally {
        await broken.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the state file is written safely", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "yc-iam-state-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("mode 0600 on every write, even over a file that was readable by others; no temp files left", () => {
    const path = join(dir, "mode.json");
    writeFileSync(path, "{}", { mode: 0o644 });
    writeFileAtomicPrivate(path, '{"a":1}\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, "utf8"), '{"a":1}\n');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  it("replaces a symlink at the path instead of writing through it", () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "untouched");
    const path = join(dir, "link.json");
    symlinkSync(victim, path);
    writeFileAtomicPrivate(path, "{}\n");
    assert.equal(readFileSync(victim, "utf8"), "untouched");
    assert.ok(statSync(path).isFile());
  });

  it("a failed background write is reported without content, retried, and succeeds once possible", async () => {
    const sub = join(dir, "gone");
    mkdirSync(sub);
    const path = join(sub, "state.json");
    const errors: string[] = [];
    let firstError!: () => void;
    const failed = new Promise<void>((resolve) => (firstError = resolve));
    let written!: () => void;
    const succeeded = new Promise<void>((resolve) => (written = resolve));
    const persister = new StatePersister(
      path,
      () => ({
        store: { secret: SECRET } as unknown as StateFile["store"],
        clockOffsetMs: 0,
        adminToken: SECRET,
      }),
      {
        delayMs: 1,
        retryDelayMs: 5,
        onError: (message) => {
          errors.push(message);
          firstError();
        },
        onWritten: () => written(),
      },
    );
    rmSync(sub, { recursive: true });
    persister.schedule();
    await failed;
    assert.equal(persister.failedWrites >= 1, true);
    assert.match(
      errors[0],
      /cannot write state file .*state\.json \(ENOENT\); still serving, retrying in 5 ms/,
    );
    assert.ok(errors.every((m) => !m.includes(SECRET)));
    mkdirSync(sub);
    await succeeded;
    assert.equal(persister.failedWrites, 0);
    assert.match(readFileSync(path, "utf8"), /"adminToken"/);
    persister.cancel();
  });

  it("an emulator whose state file cannot be written keeps serving and reports it", async () => {
    const sub = join(dir, "serving");
    mkdirSync(sub);
    const reports: string[] = [];
    let reported!: () => void;
    const report = new Promise<void>((resolve) => (reported = resolve));
    const emu = await startEmulator({
      statePath: join(sub, "state.json"),
      onPersistError: (message) => {
        reports.push(message);
        reported();
      },
    });
    try {
      rmSync(sub, { recursive: true });
      const { iamToken } = await emu.admin.mintIamToken(IDS.caller); // schedules a write that fails
      await report;
      assert.equal((await emu.admin.whoami(iamToken)).subjectId, IDS.caller, "still serving");
      assert.ok(reports.every((m) => !m.includes(iamToken)));
    } finally {
      await emu.close();
    }
  });

  it("JSON errors in seed and state files never quote the content", () => {
    const seedPath = join(dir, "seed.json");
    writeFileSync(seedPath, `{"oauthTokens": [{"token": "${SECRET}", oops}]}`);
    assert.throws(
      () => loadSeedFile(seedPath),
      (error: Error) =>
        /seed file .* is not valid JSON$/.test(error.message) && !error.message.includes(SECRET),
    );
    const statePath = join(dir, "bad-state.json");
    writeFileSync(statePath, `{"adminToken": "${SECRET}" oops`);
    assert.throws(
      () => readStateFile(statePath),
      (error: Error) =>
        /state file .* is not valid JSON$/.test(error.message) && !error.message.includes(SECRET),
    );
    assert.throws(() => readStateFile(dir), /is not a regular file/);
  });
});

describe("the admin client", () => {
  it("does not follow a redirect with the admin header", async () => {
    const seen: (string | undefined)[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers["x-emulator-admin-token"] as string | undefined);
      res.end("{}");
    });
    const elsewhereUrl = await listen(elsewhere);
    const redirector = createServer((req, res) => {
      res.writeHead(307, { Location: `${elsewhereUrl}${req.url}` });
      res.end();
    });
    const redirectorUrl = await listen(redirector);
    try {
      const client = new EmulatorAdminClient(redirectorUrl, "admin-secret");
      await assert.rejects(client.counts(), (error: Error & { status?: number }) => {
        assert.equal(error.name, "EmulatorAdminError");
        assert.equal(error.status, 307);
        assert.match(error.message, /redirect .* not followed/);
        assert.ok(!error.message.includes("admin-secret"));
        return true;
      });
      assert.deepEqual(seen, [], "the other host never saw a request, let alone the admin token");
    } finally {
      redirector.close();
      elsewhere.close();
    }
  });

  it("gives up after its timeout", async () => {
    const silent = createServer(() => {
      // Never answers.
    });
    const url = await listen(silent);
    try {
      const client = new EmulatorAdminClient(url, "admin-secret", { timeoutMs: 200 });
      await assert.rejects(client.counts(), /did not answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe("state file leftovers", () => {
  it("a state path in a missing directory fails the start clearly", async () => {
    const missing = join(tmpdir(), `yc-iam-missing-${process.pid}`, "state.json");
    assert.equal(existsSync(missing), false);
    await assert.rejects(startEmulator({ statePath: missing }), /cannot write state file .* \(ENOENT\)/);
  });
});
