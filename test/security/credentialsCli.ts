/**
 * Hostile and mistaken settings through the real CLI: key-file settings that are not a key file
 * (the common CI mistakes, special files, wrong keys), the emulator's clock hook against a real
 * endpoint, and credentials pasted into resource inputs. Each failing case fails the operation
 * that needs the setting with the provider's message, changes no state, makes no API call, and
 * prints neither the key, nor the key file in any encoding, nor any token.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAX_SETTING_FILE_BYTES } from "../../provider/settingFiles";
import { startTestWorld, type TestWorld } from "../support/emulatorFixture";
import { tempDir } from "../support/pulumiCli";
import { type AccountEntry, CliStack } from "./cliStack";
import { assertNoSecrets, hostileCase, oauthToken, secret, yandexIamToken } from "./support";

/** The group of the key-file setting cases, in the final count. */
export const KEY_FILE_GROUP = "key-file settings (CLI)";
/** The group of the clock hook and pasted-secret cases, in the final count. */
export const SETTINGS_GROUP = "clock hook and pasted secrets (CLI)";

const OK: AccountEntry = { name: "ok", serviceAccountId: "ajesecok000000000001" };
/** Created only by the key that works: every failing case leaves it pending. */
const FRESH: AccountEntry = { name: "fresh", serviceAccountId: "ajesecfresh000000002" };
/** Created by a key file other users can read (used, with a warning). */
const SHARED: AccountEntry = { name: "shared", serviceAccountId: "ajesecshared00000003" };
/** The service account whose authorized keys the cases use: tokenCreator on FRESH and SHARED. */
const KEY_SERVICE_ACCOUNT_ID = "ajeseckeysa000000004";

const KEY_ENV = "YC_SERVICE_ACCOUNT_KEY_FILE";
const CLOCK_ENV = "PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET";
/** A guard against a hang (the FIFO case would block forever in a naive reader), not a threshold. */
const CLI_CASE_TIMEOUT_MS = 10 * 60_000;

/** What the key cases share. */
interface KeyContext {
  files: string;
  keyPath: string;
  keyJson: string;
  compactKeyJson: string;
  privateKey: string;
  /** An EC P-256 private key (PEM), for the wrong-algorithm case. */
  ecPrivateKey: string;
}

/** A key-file setting that must fail `up` with the provider's message. */
interface BadKeySetting {
  label: string;
  /** The setting's value; `stackConfig` puts it in secret stack config yandex:serviceAccountKeyFile instead. */
  value: (ctx: KeyContext) => string;
  stackConfig?: boolean;
  /** Whether the value itself is secret (the key in some form); a path is not, and is shown. */
  valueIsSecret?: boolean;
  expect: RegExp[];
  /** Secrets of this case beyond the key and the tokens. */
  secrets?: (ctx: KeyContext) => string[];
}

const writeFile = (ctx: KeyContext, name: string, content: string | Buffer, mode = 0o600): string => {
  const file = path.join(ctx.files, name);
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  return file;
};

const ecPrivateKey = (): string =>
  generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();

const NOT_A_PATH = /is set to a value of \d+ characters that is not a file path/;

const BAD_KEY_SETTINGS: BadKeySetting[] = [
  {
    label: "base64 of a real key file",
    valueIsSecret: true,
    value: (ctx) => Buffer.from(ctx.keyJson).toString("base64"),
    expect: [
      new RegExp(`environment ${KEY_ENV}`),
      NOT_A_PATH,
      /it looks like base64 of JSON: decode it \(`base64 -d`\) or set the JSON itself/,
    ],
  },
  {
    label: "the key JSON wrapped in double quotes (JSON-encoded twice)",
    valueIsSecret: true,
    value: (ctx) => JSON.stringify(ctx.compactKeyJson),
    expect: [
      new RegExp(`environment ${KEY_ENV}`),
      NOT_A_PATH,
      /it looks like JSON wrapped in quotes: remove the quotes/,
    ],
  },
  {
    label: "the key JSON wrapped in single quotes",
    valueIsSecret: true,
    value: (ctx) => `'${ctx.keyJson}'`,
    expect: [
      new RegExp(`environment ${KEY_ENV}`),
      NOT_A_PATH,
      /it looks like JSON wrapped in quotes: remove the quotes/,
    ],
  },
  {
    label: "only the private key (PEM) instead of the key file",
    valueIsSecret: true,
    value: (ctx) => ctx.privateKey,
    expect: [
      NOT_A_PATH,
      /it looks like a PEM key: set the whole key file \(its JSON\), not only the private key/,
    ],
  },
  {
    label: "a directory",
    value: (ctx) => ctx.files,
    expect: [/which cannot be read as a key file: it is a directory, not a regular file/],
  },
  {
    label: "a named pipe (FIFO) that nobody writes: refused, no hang",
    value: (ctx) => {
      const fifo = path.join(ctx.files, "key.fifo");
      if (!fs.existsSync(fifo)) execFileSync("mkfifo", [fifo]);
      return fifo;
    },
    expect: [/key\.fifo, which cannot be read as a key file: it is a named pipe, not a regular file/],
  },
  {
    label: "/dev/zero",
    value: () => "/dev/zero",
    expect: [/is set to \/dev\/zero, which cannot be read as a key file: it is a device, not a regular file/],
  },
  {
    label: "a 10 MB file",
    value: (ctx) => writeFile(ctx, "big.json", Buffer.alloc(10 * 1024 * 1024, 0x20)),
    expect: [
      new RegExp(
        `it is ${10 * 1024 * 1024} bytes, more than the ${MAX_SETTING_FILE_BYTES} a setting file may be`,
      ),
    ],
  },
  {
    label: "a key of the wrong algorithm (EC P-256 in the key JSON)",
    value: (ctx) =>
      writeFile(
        ctx,
        "ec.json",
        JSON.stringify({ ...JSON.parse(ctx.keyJson), private_key: ctx.ecPrivateKey }),
      ),
    secrets: (ctx) => [ctx.ecPrivateKey],
    expect: [
      /ec\.json\): private_key is not an RSA private key \(it is ec\)/,
      /the JWT exchange signs with PS256, which needs the RSA_2048 or RSA_4096 key/,
    ],
  },
  {
    label: "a truncated PEM",
    value: (ctx) =>
      writeFile(
        ctx,
        "truncated.json",
        JSON.stringify({
          ...JSON.parse(ctx.keyJson),
          private_key: ctx.privateKey.slice(0, ctx.privateKey.length / 2),
        }),
      ),
    expect: [/truncated\.json\): private_key is not a readable PEM private key/],
  },
  {
    label: "base64 of a real key file in secret stack config yandex:serviceAccountKeyFile",
    valueIsSecret: true,
    value: (ctx) => Buffer.from(ctx.compactKeyJson).toString("base64"),
    stackConfig: true,
    expect: [
      /stack config yandex:serviceAccountKeyFile is set to a value of \d+ characters/,
      /looks like base64 of JSON/,
    ],
  },
];

/** Key-file settings, the clock hook and pasted secrets through the real CLI. */
export function credentialsCliSuite(): void {
  describe("hostile settings through the real CLI: the provider's message, no state change, nothing leaked", () => {
    const files = tempDir("pyit-sec-files-");
    let world: TestWorld;
    let stack: CliStack;
    let ctx: KeyContext;
    /** Every secret a case's output must not contain. */
    let caseSecrets: string[];

    before(async () => {
      world = await startTestWorld([OK, FRESH, SHARED]);
      secret("the caller's OAuth token", world.oauthToken);
      await world.emulator.admin.createServiceAccount({
        id: KEY_SERVICE_ACCOUNT_ID,
        folderId: "b1gsecurityfolder001",
      });
      for (const target of [FRESH, SHARED]) {
        await world.emulator.admin.addRoleBinding({
          subjectId: KEY_SERVICE_ACCOUNT_ID,
          role: "iam.serviceAccounts.tokenCreator",
          resourceId: target.serviceAccountId,
        });
      }
      const key = await world.emulator.admin.createKey(KEY_SERVICE_ACCOUNT_ID);
      const keyJson = JSON.stringify(key, null, 2);
      ctx = {
        files: files.dir,
        keyPath: "",
        keyJson: secret("the key file (JSON)", keyJson),
        compactKeyJson: secret("the key file (compact JSON)", JSON.stringify(key)),
        privateKey: secret("the private key", key.private_key),
        ecPrivateKey: secret("an EC private key", ecPrivateKey()),
      };
      ctx.keyPath = writeFile(ctx, "key.json", keyJson);
      for (const form of [ctx.keyJson, ctx.compactKeyJson]) {
        secret("base64 of the key file", Buffer.from(form).toString("base64"));
      }

      stack = await CliStack.create("settings", world);
      await stack.setAccounts([OK]);
      const up = await stack.run("up", "setup", { engineLog: false });
      assert.equal(up.failed, false, up.message);
      caseSecrets = [ctx.keyJson, ctx.compactKeyJson, ctx.privateKey, world.oauthToken];
      caseSecrets.push(...(await stack.exportedTokens()));
    });
    after(async () => {
      await world?.emulator.close();
      files.cleanup();
    });

    /** Runs `operation` expecting it to fail; asserts state, API calls and output; returns the output. */
    async function expectRefused(
      label: string,
      operation: "up" | "preview",
      expect: RegExp[],
      extraSecrets: string[],
      options: { engineLog: boolean },
    ): Promise<string> {
      const stateBefore = await stack.resourceState();
      const countsBefore = await world.emulator.admin.counts();
      const run = await stack.run(operation, label, options);
      assert.ok(run.failed, `${label}: ${operation} was expected to fail`);
      for (const pattern of expect) assert.match(run.message, pattern, `${label}: the provider's message`);
      assert.deepEqual(await stack.resourceState(), stateBefore, `${label}: resources unchanged`);
      assert.deepEqual(await world.emulator.admin.counts(), countsBefore, `${label}: no IAM API call`);
      assertNoSecrets(label, [run.message, run.stdout, run.stderr], [...caseSecrets, ...extraSecrets], {
        alreadyRecorded: true,
      });
      return run.all;
    }

    for (const bad of BAD_KEY_SETTINGS) {
      hostileCase(
        KEY_FILE_GROUP,
        `${bad.stackConfig ? "yandex:serviceAccountKeyFile" : KEY_ENV} = ${bad.label}: up fails with the provider's message, state unchanged, nothing leaked`,
        async () => {
          await stack.setAccounts([OK, FRESH]);
          const value = bad.value(ctx);
          const token = stack.env("YC_TOKEN");
          stack.setEnv("YC_TOKEN", undefined);
          if (bad.stackConfig) await stack.setConfig("yandex:serviceAccountKeyFile", value, true);
          else stack.setEnv(KEY_ENV, value);
          try {
            const secrets = [...(bad.valueIsSecret ? [value] : []), ...(bad.secrets?.(ctx) ?? [])];
            await expectRefused(bad.label, "up", bad.expect, secrets, {
              engineLog: true,
            });
          } finally {
            stack.setEnv("YC_TOKEN", token);
            if (bad.stackConfig) await stack.setConfig("yandex:serviceAccountKeyFile", undefined);
            else stack.setEnv(KEY_ENV, undefined);
          }
          assert.deepEqual(await stack.tokenNames(), [OK.name]);
        },
        { timeoutMs: CLI_CASE_TIMEOUT_MS },
      );
    }

    for (const [label, setEndpoint] of [
      ["stack config yandex:endpoint = api.cloud.yandex.net:443", "config"],
      ["YC_ENDPOINT = api.cloud.yandex.net:443", "env"],
    ] as const) {
      hostileCase(
        SETTINGS_GROUP,
        `${CLOCK_ENV} with ${label} (no IAM endpoint override): preview refuses the test hook`,
        async () => {
          await stack.setAccounts([OK]);
          const iamEndpoint = stack.env("YC_IAM_ENDPOINT");
          stack.setEnv("YC_IAM_ENDPOINT", undefined);
          stack.setEnv(CLOCK_ENV, "PT1H");
          if (setEndpoint === "config") await stack.setConfig("yandex:endpoint", "api.cloud.yandex.net:443");
          else stack.setEnv("YC_ENDPOINT", "api.cloud.yandex.net:443");
          try {
            const source =
              setEndpoint === "config"
                ? String.raw`stack config yandex:endpoint \(API gateway api\.cloud\.yandex\.net:443\)`
                : String.raw`environment YC_ENDPOINT \(API gateway api\.cloud\.yandex\.net:443\)`;
            await expectRefused(
              `clock hook (${setEndpoint})`,
              "preview",
              [
                new RegExp(
                  String.raw`${CLOCK_ENV} is set, but the IAM endpoint https://iam\.api\.cloud\.yandex\.net \(${source}\) is not on this machine`,
                ),
                /The clock offset is a test hook for the IAM emulator and is refused against any other endpoint: unset PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET/,
              ],
              [],
              { engineLog: true },
            );
          } finally {
            stack.setEnv("YC_IAM_ENDPOINT", iamEndpoint);
            stack.setEnv(CLOCK_ENV, undefined);
            if (setEndpoint === "config") await stack.setConfig("yandex:endpoint", undefined);
            else stack.setEnv("YC_ENDPOINT", undefined);
          }
        },
        { timeoutMs: CLI_CASE_TIMEOUT_MS },
      );
    }

    const pasted: {
      label: string;
      account: (value: string) => AccountEntry;
      value: () => string;
      expect: RegExp;
    }[] = [
      {
        label: "an IAM token pasted into renewBefore",
        account: (value) => ({ name: "bad", serviceAccountId: FRESH.serviceAccountId, renewBefore: value }),
        value: () => yandexIamToken("an IAM token pasted into renewBefore"),
        expect:
          /renewBefore must be an ISO 8601 duration such as "PT1H" or "PT30M", got a string of \d+ characters \(not shown: it could be a credential\)/,
      },
      {
        label: "an OAuth token pasted into renewBefore",
        account: (value) => ({ name: "bad", serviceAccountId: FRESH.serviceAccountId, renewBefore: value }),
        value: () => oauthToken("an OAuth token pasted into renewBefore"),
        expect: /renewBefore must be an ISO 8601 duration .*got a string of \d+ characters \(not shown/,
      },
      {
        label: "a short OAuth-looking secret pasted into serviceAccountId",
        account: (value) => ({ name: "bad", serviceAccountId: value }),
        value: () => secret("a short secret pasted into serviceAccountId", `AQAAAAAA-${"k".repeat(30)}`),
        expect:
          /serviceAccountId must contain only letters and digits .*got a string of 39 characters \(not shown/,
      },
    ];
    for (const paste of pasted) {
      hostileCase(
        SETTINGS_GROUP,
        `${paste.label}: preview fails naming the property, without the value`,
        async () => {
          const value = paste.value();
          await stack.setAccounts([OK, paste.account(value)]);
          try {
            // No engine log here: the engine logs a resource's inputs verbatim, and the value is
            // an input. What the user sees (stdout, stderr, the error) must not show it.
            await expectRefused(paste.label, "preview", [paste.expect], [value], { engineLog: false });
          } finally {
            await stack.setAccounts([OK]);
          }
        },
        { timeoutMs: CLI_CASE_TIMEOUT_MS },
      );
    }

    hostileCase(
      KEY_FILE_GROUP,
      `${KEY_ENV} = a symlink to a valid key file: up creates the token with the key's identity`,
      async () => {
        const link = path.join(ctx.files, "link-to-key.json");
        fs.symlinkSync(ctx.keyPath, link);
        await stack.setAccounts([OK, FRESH]);
        const token = stack.env("YC_TOKEN");
        stack.setEnv("YC_TOKEN", undefined);
        stack.setEnv(KEY_ENV, link);
        await world.emulator.admin.resetRequests();
        let output: string;
        try {
          const run = await stack.run("up", "symlink", { engineLog: false });
          assert.equal(run.failed, false, run.message);
          assert.doesNotMatch(run.all, /can be read by other users/, "a 0600 key file draws no warning");
          output = run.all;
        } finally {
          stack.setEnv("YC_TOKEN", token);
          stack.setEnv(KEY_ENV, undefined);
        }
        assert.deepEqual((await stack.tokenNames()).sort(), [FRESH.name, OK.name]);
        const requests = await world.emulator.admin.requests();
        assert.deepEqual(
          requests.map((r) => [r.method, r.subjectId]),
          [
            ["create", KEY_SERVICE_ACCOUNT_ID],
            ["createForServiceAccount", KEY_SERVICE_ACCOUNT_ID],
          ],
          "one JWT exchange, then the token, as the key's service account",
        );
        caseSecrets.push(...(await stack.exportedTokens()));
        assertNoSecrets("symlink", [output], caseSecrets, { alreadyRecorded: true });
      },
      { timeoutMs: CLI_CASE_TIMEOUT_MS },
    );

    hostileCase(
      KEY_FILE_GROUP,
      `${KEY_ENV} = a key file other users can read: used, and the CLI output says to chmod 600 it`,
      async () => {
        const shared = writeFile(ctx, "shared-key.json", ctx.keyJson, 0o644);
        await stack.setAccounts([OK, FRESH, SHARED]);
        const token = stack.env("YC_TOKEN");
        stack.setEnv("YC_TOKEN", undefined);
        stack.setEnv(KEY_ENV, shared);
        let output: string;
        try {
          const run = await stack.run("up", "shared key", { engineLog: false });
          assert.equal(run.failed, false, run.message);
          output = run.all;
        } finally {
          stack.setEnv("YC_TOKEN", token);
          stack.setEnv(KEY_ENV, undefined);
        }
        assert.match(
          output,
          /the key file \/\S+shared-key\.json \(environment YC_SERVICE_ACCOUNT_KEY_FILE\) can be read by other users of this machine; restrict it: chmod 600/,
        );
        caseSecrets.push(...(await stack.exportedTokens()));
        assertNoSecrets("shared key", [output], caseSecrets, { alreadyRecorded: true });
        assert.deepEqual((await stack.tokenNames()).sort(), [FRESH.name, OK.name, SHARED.name]);
      },
      { timeoutMs: CLI_CASE_TIMEOUT_MS },
    );
  });
}
