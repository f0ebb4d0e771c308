/**
 * Emulator fuzz run: a few thousand random and malformed requests over loopback (a fixed seed,
 * so every run sends the same inputs), then the emulator must still answer a normal request, and
 * its request log and heap must have stayed bounded. The emulator runs from its CLI in its own
 * process, so a crash shows as an exit, not as a failure inside the test runner.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TOKEN_CREATOR_ROLE } from "../../emulator";
import { mulberry32 } from "../../emulator/faults";
import { type CliEmulator, startCliEmulator } from "./support";

const ADMIN_TOKEN = "fuzz-admin-token";
const SERVICE_ACCOUNT = "ajefuzzsa00000000001";
const USER = "ajefuzzuser000000001";
const CALLER_TOKEN = "t1.fuzzcallertoken.fuzzcallertoken";
const OAUTH_TOKEN = "y0_fuzzOAuthToken000000000000000000";

/** Requests sent (HTTP ones and raw socket writes together). */
const REQUEST_COUNT = 3000;
/** Requests in flight at once. */
const CONCURRENCY = 8;
/** Bound of the emulator's request log for this run, in bytes. */
const LOG_MAX_BYTES = 256 * 1024;
/** Generous bound of the emulator's heap after the run: far above its needs, far below a leak's. */
const HEAP_BOUND_BYTES = 256 * 1024 * 1024;
/** A request still unanswered after this long is abandoned (a bound on the run, not an assertion). */
const REQUEST_GIVE_UP_MS = 15_000;

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, below: number): number => Math.floor(random() * below);

const PRINTABLE =
  " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const URL_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/%?=&";

function randomText(random: Random, length: number, alphabet = PRINTABLE): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[int(random, alphabet.length)];
  return out;
}

function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

const IAM_PATHS = [
  "/iam/v1/tokens",
  "/iam/v1/tokens:createForServiceAccount",
  "/iam/v1/tokens:revoke",
  "/computeMetadata/v1/instance/service-accounts/default/token",
];
/** Side-API paths fuzzed with the admin token: all but faults (a latency rule would stall the run) and keys (RSA generation is slow). */
const SIDE_PATHS = [
  "/_emulator/service-accounts",
  `/_emulator/service-accounts/${SERVICE_ACCOUNT}`,
  "/_emulator/service-accounts/%E0%A4%A",
  "/_emulator/users",
  "/_emulator/oauth-tokens",
  "/_emulator/iam-tokens",
  "/_emulator/role-bindings",
  "/_emulator/tokens/revoke-all",
  "/_emulator/requests",
  "/_emulator/counts",
  "/_emulator/requests/reset",
  "/_emulator/whoami",
  "/_emulator/clock",
  "/_emulator/settings",
  "/_emulator/stats",
];

function randomValue(random: Random, depth = 0): unknown {
  switch (int(random, depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, [0, -1, 1.5, 1e308, -1e308, 2 ** 53, 43_200, 1e10, -1e10, 0.5]);
    case 3:
      return randomText(random, int(random, 40));
    case 4:
      return pick(random, [
        SERVICE_ACCOUNT,
        USER,
        CALLER_TOKEN,
        OAUTH_TOKEN,
        "",
        "9999-12-31T23:59:59Z",
        "2026-11-28T00:00:00Z",
      ]);
    case 5:
      return "x".repeat(pick(random, [49, 50, 51, 4000, 4097, 8001]));
    case 6:
      return `${Buffer.from(JSON.stringify({ alg: pick(random, ["PS256", "RS256", "none"]), kid: randomText(random, 8) })).toString("base64url")}.${randomText(random, 20, "abcXYZ019_-")}.${randomText(random, 30, "abcXYZ019_-")}`;
    case 7:
      return Array.from({ length: int(random, 4) }, () => randomValue(random, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      const keys = [
        "serviceAccountId",
        "yandexPassportOauthToken",
        "jwt",
        "iamToken",
        "id",
        "subjectId",
        "role",
        "resourceId",
        "advanceSeconds",
        "set",
        "tokenLifetimeSeconds",
        "lifetimeSeconds",
        "expiresAtFormat",
        "tokenPadding",
        "reuseMinRemainingFraction",
        "metadataServiceAccountId",
        "metadataGceHttpToken",
        "__proto__",
        "constructor",
        randomText(random, 6),
      ];
      for (let i = int(random, 4); i >= 0; i--) obj[pick(random, keys)] = randomValue(random, depth + 1);
      return obj;
    }
  }
}

function randomBody(random: Random): Buffer | undefined {
  switch (int(random, 8)) {
    case 0:
      return undefined;
    case 1:
      return randomBytes(random, int(random, 300));
    case 2:
      return Buffer.from(JSON.stringify(randomValue(random)).slice(0, int(random, 60)));
    case 3:
      return Buffer.from("[".repeat(5000) + "]".repeat(5000));
    case 4:
      return Buffer.from(JSON.stringify({ jwt: "j".repeat(70_000) })); // over the body limit
    default:
      return Buffer.from(JSON.stringify(randomValue(random)));
  }
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function randomRequest(random: Random): FuzzRequest {
  const roll = random();
  let path: string;
  if (roll < 0.45) path = pick(random, IAM_PATHS);
  else if (roll < 0.7) path = pick(random, SIDE_PATHS);
  else if (roll < 0.8) path = `/${randomText(random, int(random, 8000), URL_SAFE)}`;
  else if (roll < 0.9)
    path = `${pick(random, IAM_PATHS)}${pick(random, ["?", "/", "%", "%00", ":x", "?a=%zz"])}${randomText(random, int(random, 30), URL_SAFE)}`;
  else path = `/_emulator/${pick(random, ["faults", "keys", "nothing", "service-accounts/a/b", ""])}`;
  const headers: Record<string, string> = {};
  if (random() < 0.7)
    headers["Content-Type"] = pick(random, [
      "application/json",
      "application/x-www-form-urlencoded",
      "text/plain",
      "multipart/form-data; boundary=x",
      randomText(random, 20),
    ]);
  if (random() < 0.6)
    headers.Authorization = pick(random, [
      `Bearer ${CALLER_TOKEN}`,
      "Bearer ",
      `Bearer ${randomText(random, 60, URL_SAFE)}`,
      `Basic ${randomText(random, 10, URL_SAFE)}`,
      `Bearer ${"t".repeat(6000)}`,
      randomText(random, 30),
    ]);
  if (random() < 0.4) headers["Metadata-Flavor"] = pick(random, ["Google", "google", randomText(random, 5)]);
  if (path.startsWith("/_emulator/") && random() < 0.7) {
    const authorised = SIDE_PATHS.some((p) => path === p);
    headers["X-Emulator-Admin-Token"] = authorised ? ADMIN_TOKEN : randomText(random, 16, URL_SAFE);
  }
  if (random() < 0.1)
    headers[`X-${randomText(random, 8, "abcdefgh")}`] = randomText(random, int(random, 2000));
  const body = randomBody(random);
  // Framed bodies only: Node's client sends GET/DELETE/OPTIONS bodies without a length, which is
  // not a body but garbage after the request (the raw-socket cases cover garbage).
  if (body !== undefined) headers["Content-Length"] = String(body.length);
  return {
    method: pick(random, ["GET", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path,
    headers,
    body,
  };
}

/** Sends one request; resolves with the status, or 0 when the connection closed without an answer. */
function send(port: number, fuzz: FuzzRequest): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port, method: fuzz.method, path: fuzz.path, headers: fuzz.headers, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(REQUEST_GIVE_UP_MS, () => req.destroy());
    req.on("error", () => resolve(0));
    req.end(fuzz.body);
  });
}

/** Writes raw bytes (often not HTTP at all), half-closes, and resolves once the server closed. */
function sendRaw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    let reply = "";
    socket.setTimeout(REQUEST_GIVE_UP_MS, () => socket.destroy());
    socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
    socket.on("close", () => resolve(reply));
    socket.on("error", () => resolve(reply));
  });
}

function randomRaw(random: Random): Buffer {
  switch (int(random, 4)) {
    case 0:
      return randomBytes(random, int(random, 500));
    case 1:
      return Buffer.from(
        `POST /iam/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: ${int(random, 1000)}\r\n\r\n{"jwt":`,
      );
    case 2:
      return Buffer.from(
        `GET /${randomText(random, 20, URL_SAFE)} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      );
    default:
      return Buffer.from(`${randomText(random, 10)} ${randomText(random, 10)} HTTP/9.9\r\n\r\n`);
  }
}

describe("emulator fuzz run", () => {
  let dir: string;
  let emu: CliEmulator;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "yc-iam-fuzz-"));
    const seedPath = join(dir, "seed.json");
    writeFileSync(
      seedPath,
      JSON.stringify({
        serviceAccounts: [{ id: SERVICE_ACCOUNT }],
        users: [{ id: USER }],
        oauthTokens: [{ token: OAUTH_TOKEN, subjectId: USER }],
        iamTokens: [{ token: CALLER_TOKEN, subjectId: USER, expiresAt: "9998-01-01T00:00:00Z" }],
        roleBindings: [{ subjectId: USER, role: TOKEN_CREATOR_ROLE, resourceId: SERVICE_ACCOUNT }],
        metadataServiceAccountId: SERVICE_ACCOUNT,
      }),
    );
    emu = await startCliEmulator(
      ["--seed", seedPath, "--request-log-max-bytes", String(LOG_MAX_BYTES)],
      ADMIN_TOKEN,
    );
  });

  after(async () => {
    if (emu.child.exitCode === null) await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${REQUEST_COUNT} random and malformed requests, then answers normally with bounded memory`, async () => {
    const port = Number(new URL(emu.baseUrl).port);
    const random = mulberry32(0xf022);
    type Input = { kind: "raw"; bytes: Buffer } | { kind: "http"; request: FuzzRequest };
    const inputs = Array.from({ length: REQUEST_COUNT }, (): Input =>
      random() < 0.05
        ? { kind: "raw", bytes: randomRaw(random) }
        : { kind: "http", request: randomRequest(random) },
    );
    const statuses = new Map<number, number>();
    let unanswered = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < inputs.length) {
        const input = inputs[next++];
        if (input.kind === "raw") {
          await sendRaw(port, input.bytes);
          continue;
        }
        const status = await send(port, input.request);
        if (status === 0) unanswered++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    assert.equal(emu.child.exitCode, null, `the emulator is still running; stderr: ${emu.stderr()}`);
    assert.equal(unanswered, 0, "every HTTP request got an answer");
    for (const status of statuses.keys()) assert.ok(status >= 200 && status < 600, String(status));
    assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, JSON.stringify([...statuses]));
    assert.doesNotMatch(emu.stderr(), /unhandled|uncaught|TypeError|ReferenceError/i);

    // Put the state the fuzzing may have changed back, then a normal request must work.
    await emu.admin.clearFaults();
    await emu.admin.setClock(new Date().toISOString());
    await emu.admin.updateSettings({
      reuseTokens: true,
      reuseMinRemainingFraction: 0.5,
      metadataGceHttpEndpoint: "enabled",
      metadataGceHttpToken: "enabled",
      unknownServiceAccountCode: "NOT_FOUND",
    });
    await emu.admin.createServiceAccount({ id: SERVICE_ACCOUNT });
    await emu.admin.addRoleBinding({
      subjectId: USER,
      role: TOKEN_CREATOR_ROLE,
      resourceId: SERVICE_ACCOUNT,
    });
    const caller = (await emu.admin.mintIamToken(USER)).iamToken;
    const normal = await fetch(`${emu.baseUrl}/iam/v1/tokens:createForServiceAccount`, {
      method: "POST",
      headers: { Authorization: `Bearer ${caller}`, "Content-Type": "application/json" },
      body: JSON.stringify({ serviceAccountId: SERVICE_ACCOUNT }),
    });
    assert.equal(normal.status, 200);
    const { iamToken } = (await normal.json()) as { iamToken: string };
    assert.equal((await emu.admin.whoami(iamToken)).subjectId, SERVICE_ACCOUNT);

    const stats = await emu.admin.stats();
    assert.equal(stats.requestLog.maxBytes, LOG_MAX_BYTES);
    assert.ok(stats.requestLog.bytes <= LOG_MAX_BYTES, `request log ${stats.requestLog.bytes} bytes`);
    assert.ok(stats.heapUsedBytes < HEAP_BOUND_BYTES, `heap ${stats.heapUsedBytes} bytes`);
    const log = await emu.admin.requests();
    assert.ok(
      log.every((e) => e.path.length <= 300),
      "long paths are cut in the log",
    );
  });
});
