import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { FaultSpec } from "../../emulator";
import type { TestWorld } from "../support/emulatorFixture";
import { tempDir } from "../support/pulumiCli";
import { ledger, ReliabilityStack, startWorld } from "./support";

const OK = { name: "ok", serviceAccountId: "ajebadinputok0000001" };
const NEW = { name: "fresh", serviceAccountId: "ajebadinputnew000002" };

/** A bad input: `preview` must fail naming the property, before anything is created. */
interface BadInput {
  label: string;
  account: Record<string, unknown>;
  expect: RegExp[];
}

/** A bad configuration or API behaviour: the `up` that needs the API must fail with a clear error. */
interface BadConfig {
  label: string;
  /** Environment of the CLI (and the provider) for this case; `undefined` removes a variable. */
  env?: (ctx: Ctx) => Record<string, string | undefined>;
  /** Emulator faults for this case. */
  faults?: FaultSpec[];
  expect: RegExp[];
}

interface Ctx {
  world: TestWorld;
  files: string;
  closedPort: number;
}

// test/e2e/failures.test.ts covers empty, number, 51-character, dashed and missing ids, and
// renewBefore "1h", PT0S, -PT1H and PT12H (9 inputs), plus PERMISSION_DENIED, NOT_FOUND and a bad
// OAuth token; these add other inputs, configurations and API behaviours.
const BAD_INPUTS: BadInput[] = [
  {
    label: "renewBefore as a number",
    account: { serviceAccountId: NEW.serviceAccountId, renewBefore: 3600 },
    expect: [/renewBefore/, /ISO 8601 duration string/],
  },
  {
    label: "renewBefore of a day",
    account: { serviceAccountId: NEW.serviceAccountId, renewBefore: "P1D" },
    expect: [/renewBefore/, /shorter than the 12 h token lifetime/],
  },
  {
    label: "renewBefore with a unit missing",
    account: { serviceAccountId: NEW.serviceAccountId, renewBefore: "PT1H30" },
    expect: [/renewBefore/, /ISO 8601 duration/],
  },
  {
    label: "serviceAccountId with a space",
    account: { serviceAccountId: "aje bad id" },
    expect: [/serviceAccountId/, /only letters and digits/],
  },
];

const keyFile = (ctx: Ctx, name: string, content: unknown): string => {
  const file = path.join(ctx.files, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content), { mode: 0o600 });
  return file;
};

const BAD_CONFIGS: BadConfig[] = [
  {
    label: "unreachable endpoint (closed loopback port)",
    env: (ctx) => ({ YC_IAM_ENDPOINT: `http://127.0.0.1:${ctx.closedPort}` }),
    expect: [/UNAVAILABLE/, /exchanging the OAuth token/, /8 attempts/],
  },
  {
    label: "plain http endpoint that is not loopback",
    env: () => ({ YC_IAM_ENDPOINT: "http://iam.example.invalid" }),
    expect: [/YC_IAM_ENDPOINT/, /plain http:\/\/, which is accepted only for loopback hosts/],
  },
  {
    label: "endpoint that is not a URL",
    env: () => ({ YC_IAM_ENDPOINT: "iam endpoint" }),
    expect: [/YC_IAM_ENDPOINT/, /is not a URL/],
  },
  {
    label: "endpoint with credentials in it",
    env: (ctx) => ({ YC_IAM_ENDPOINT: ctx.world.emulator.baseUrl.replace("http://", "http://user:pw@") }),
    expect: [/YC_IAM_ENDPOINT/, /must not contain credentials/],
  },
  {
    label: "endpoint with a query",
    env: (ctx) => ({ YC_IAM_ENDPOINT: `${ctx.world.emulator.baseUrl}/?x=1` }),
    expect: [/YC_IAM_ENDPOINT/, /without query/],
  },
  {
    label: "endpoint with an ftp scheme",
    env: () => ({ YC_IAM_ENDPOINT: "ftp://127.0.0.1/" }),
    expect: [/YC_IAM_ENDPOINT/, /must use https:\/\//],
  },
  {
    label: "both a token and a key file set",
    env: (ctx) => ({ YC_SERVICE_ACCOUNT_KEY_FILE: keyFile(ctx, "unused.json", "{}") }),
    expect: [/YC_TOKEN and YC_SERVICE_ACCOUNT_KEY_FILE are both set/, /set only one of them/],
  },
  {
    label: "key file that does not exist",
    env: (ctx) => ({
      YC_TOKEN: undefined,
      YC_SERVICE_ACCOUNT_KEY_FILE: path.join(ctx.files, "missing.json"),
    }),
    expect: [
      /YC_SERVICE_ACCOUNT_KEY_FILE/,
      /missing\.json, which cannot be read as a key file: no such file exists/,
    ],
  },
  {
    label: "key file that is not JSON",
    env: (ctx) => ({
      YC_TOKEN: undefined,
      YC_SERVICE_ACCOUNT_KEY_FILE: keyFile(ctx, "text.json", "id: x\n"),
    }),
    expect: [/YC_SERVICE_ACCOUNT_KEY_FILE/, /is not valid JSON/],
  },
  {
    label: "key file without private_key",
    env: (ctx) => ({
      YC_TOKEN: undefined,
      YC_SERVICE_ACCOUNT_KEY_FILE: keyFile(ctx, "nokey.json", { id: "ajekey", service_account_id: "ajesa" }),
    }),
    expect: [/YC_SERVICE_ACCOUNT_KEY_FILE/, /lacks the field\(s\) private_key/],
  },
  {
    label: "key file with an unreadable PEM",
    env: (ctx) => ({
      YC_TOKEN: undefined,
      YC_SERVICE_ACCOUNT_KEY_FILE: keyFile(ctx, "badpem.json", {
        id: "ajekey",
        service_account_id: "ajesa",
        private_key: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
      }),
    }),
    expect: [/YC_SERVICE_ACCOUNT_KEY_FILE/, /private_key is not a readable PEM private key/],
  },
  {
    label: "key file whose key id the API does not know",
    env: (ctx) => ({
      YC_TOKEN: undefined,
      YC_SERVICE_ACCOUNT_KEY_FILE: path.join(ctx.files, "unknown-kid.json"),
    }),
    expect: [/UNAUTHENTICATED/, /exchanging the service account key's JWT/, /requestId [0-9a-f-]{36}/],
  },
  {
    label: "expired caller IAM token",
    env: (ctx) => ({ YC_TOKEN: fs.readFileSync(path.join(ctx.files, "expired-token"), "utf8") }),
    expect: [/UNAUTHENTICATED/, /createForServiceAccount/, /requestId [0-9a-f-]{36}/],
  },
  {
    label: "createForServiceAccount answers 200 with a body that is not JSON",
    faults: [{ method: "createForServiceAccount", kind: "malformed", malformed: "notJson" }],
    expect: [/did not have the documented shape/, /createForServiceAccount/, /1 attempt\b/],
  },
  {
    label: "createForServiceAccount answers 200 without iamToken/expiresAt",
    faults: [{ method: "createForServiceAccount", kind: "malformed", malformed: "missingFields" }],
    expect: [/did not have the documented shape/, /createForServiceAccount/],
  },
  {
    label: "the caller-token exchange answers 200 with a body that is not JSON",
    faults: [{ method: "create", kind: "malformed", malformed: "notJson" }],
    expect: [/did not have the documented shape/, /exchanging the OAuth token/],
  },
  {
    label: "an invalid provider clock offset",
    env: () => ({ PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET: "eleven hours" }),
    expect: [/PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET="eleven hours" is not an ISO 8601 duration/],
  },
  {
    label: "a CA certificate file that does not exist",
    env: (ctx) => ({ YC_IAM_CA_CERT_FILE: path.join(ctx.files, "missing-ca.pem") }),
    expect: [/YC_IAM_CA_CERT_FILE/, /missing-ca\.pem/],
  },
];

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Bad inputs fail preview, bad configurations fail the up that needs them; state never changes. */
export function badInputSuite(): void {
  describe("bad inputs and configurations: a clear error at the earliest step, and no state change", () => {
    const files = tempDir("pyit-rel-files-");
    let world: TestWorld;
    let stack: ReliabilityStack;
    let ctx: Ctx;

    before(async () => {
      world = await startWorld([OK, NEW]);
      ctx = { world, files: files.dir, closedPort: await closedPort() };
      stack = await ReliabilityStack.create("badinput", world, [OK]);
      assert.equal((await stack.up()).summary.result, "succeeded");

      // A real key of a real account, whose id the API does not know.
      const key = await world.emulator.admin.createKey(OK.serviceAccountId);
      ledger.addSecret(
        "a service account private key",
        key.private_key.slice(key.private_key.indexOf("-----BEGIN")),
      );
      keyFile(ctx, "unknown-kid.json", { ...key, id: "ajeunknownkey0000001" });
      // A caller IAM token that expires a minute after it is minted; the emulator's clock then
      // moves two minutes on (no waiting).
      const expired = await world.emulator.admin.mintIamToken(world.callerUserId, 60);
      ledger.addSecret("an expired caller IAM token", expired.iamToken);
      fs.writeFileSync(path.join(files.dir, "expired-token"), expired.iamToken, { mode: 0o600 });
      await world.emulator.admin.advanceClock(120);
    });
    after(async () => {
      await world?.emulator.close();
      files.cleanup();
    });

    for (const bad of BAD_INPUTS) {
      it(`input: ${bad.label} fails preview, naming the property; nothing changes`, async () => {
        const stateBefore = stack.readStackFile();
        const countsBefore = await world.emulator.admin.counts();
        await stack.setAccounts([OK, { name: "bad", ...bad.account }]);
        const message = await stack.failureOf("preview");
        for (const pattern of bad.expect) assert.match(message, pattern);
        assert.equal(stack.readStackFile(), stateBefore, "stack file bytes unchanged");
        assert.deepEqual(await world.emulator.admin.counts(), countsBefore, "no API call");
      });
    }

    for (const bad of BAD_CONFIGS) {
      it(`config: ${bad.label} fails the up that needs the API, clearly; state unchanged`, async () => {
        await stack.setAccounts([OK, NEW]);
        const stateBefore = await stack.resourceState();
        const env = bad.env?.(ctx) ?? {};
        const saved = Object.fromEntries(Object.keys(env).map((k) => [k, stack.workspace.envVars[k]]));
        for (const [k, v] of Object.entries(env)) stack.setEnv(k, v);
        for (const fault of bad.faults ?? []) await world.emulator.admin.addFault(fault);
        try {
          const message = await stack.failureOf("up");
          for (const pattern of bad.expect) assert.match(message, pattern);
          assert.match(message, new RegExp(`ServiceAccountIamToken ${NEW.name}|${NEW.serviceAccountId}`));
        } finally {
          for (const [k, v] of Object.entries(saved)) stack.setEnv(k, v);
          await world.emulator.admin.clearFaults();
        }
        // An up rewrites the checkpoint even when it changes nothing (new manifest time, secrets
        // re-encrypted with fresh nonces, the default provider's recorded config): compare the
        // resources, decrypted, instead of the bytes.
        assert.deepEqual(await stack.resourceState(), stateBefore, "resources unchanged");
        assert.deepEqual(
          stack.tokenResources().map((r) => r.name),
          [OK.name],
        );
      });
    }

    it("with the configuration fixed, the same up succeeds (the cases above failed for their own reason)", async () => {
      await stack.setAccounts([OK, NEW]);
      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { same: 2, create: 1 });
      await stack.exportedTokens();
    });
  });
}
