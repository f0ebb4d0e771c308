#!/usr/bin/env node
/**
 * `yc-iam-emulator`: runs the IAM API emulator as a command.
 * Prints `yc-iam-emulator listening on <baseUrl>` once it accepts connections.
 * @packageDocumentation
 */
import { parseArgs } from "node:util";
import { startEmulator } from "./index";

/** Environment variable holding the side-API secret; preferred over `--admin-token`. */
const ADMIN_TOKEN_ENV = "YC_IAM_EMULATOR_ADMIN_TOKEN";

const USAGE = `Usage: yc-iam-emulator [options]

A local emulator of the Yandex Cloud IAM token API.

Options:
  --port <n>                   TCP port (default 0: a free port)
  --host <addr>                interface to bind (default 127.0.0.1)
  --seed <file>                seed JSON: service accounts, users, keys, tokens, role bindings, settings
  --state <file>               persist registrations, tokens and the clock in <file> across restarts
  --tls                        serve HTTPS with a generated self-signed certificate
  --admin-token <t>            side-API secret (header X-Emulator-Admin-Token); default random.
                               Visible to every user in the process list: prefer the
                               ${ADMIN_TOKEN_ENV} environment variable
  --request-log-max-bytes <n>  bound of the request log, in bytes (default 4194304)
  --print-json                 also print {"baseUrl", "adminToken", "caCertPem"?} as one JSON line
  --help                       show this help

Environment:
  ${ADMIN_TOKEN_ENV}  side-API secret (used when --admin-token is not given)
`;

/** Parses argv; returns the options or throws an Error with a user-facing message. */
function parseCli(argv: string[]): { values: Record<string, unknown> } {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      state: { type: "string" },
      tls: { type: "boolean" },
      "admin-token": { type: "string" },
      "request-log-max-bytes": { type: "string" },
      "print-json": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function main(): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseCli(process.argv.slice(2)).values;
  } catch (error) {
    process.stderr.write(`yc-iam-emulator: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(String(values.port)) || port > 65535) {
      process.stderr.write(`yc-iam-emulator: --port must be an integer from 0 to 65535\n`);
      return 2;
    }
  }
  let requestLogMaxBytes: number | undefined;
  if (values["request-log-max-bytes"] !== undefined) {
    requestLogMaxBytes = Number(values["request-log-max-bytes"]);
    if (!/^\d+$/.test(String(values["request-log-max-bytes"])) || requestLogMaxBytes < 1) {
      process.stderr.write(`yc-iam-emulator: --request-log-max-bytes must be a positive integer\n`);
      return 2;
    }
  }
  const envAdminToken = process.env[ADMIN_TOKEN_ENV];
  const emulator = await startEmulator({
    requestLogMaxBytes,
    port,
    host: values.host as string | undefined,
    seed: values.seed as string | undefined,
    statePath: values.state as string | undefined,
    tls: values.tls === true,
    adminToken:
      (values["admin-token"] as string | undefined) ??
      (envAdminToken !== undefined && envAdminToken !== "" ? envAdminToken : undefined),
  });
  // Handle signals before announcing readiness: a caller that stops the emulator as soon as it
  // read the line must get a clean shutdown, not the default signal death.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void emulator.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stdout.write(`yc-iam-emulator listening on ${emulator.baseUrl}\n`);
  if (values["print-json"] === true) {
    process.stdout.write(
      `${JSON.stringify({ baseUrl: emulator.baseUrl, adminToken: emulator.adminToken, caCertPem: emulator.caCertPem })}\n`,
    );
  }
  await stopped;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`yc-iam-emulator: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
