/**
 * A local emulator of the Yandex Cloud IAM token API (see emulator/CONTRACT.md): a real HTTP(S)
 * server for tests, examples and the demo, plus a protected side API to set it up and observe it.
 * @packageDocumentation
 */
import { createServer as createHttpServer, Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { EmulatorAdminClient } from "./adminClient";
import { EmulatorClock, parseRfc3339Ms, realNowMs } from "./clock";
import { FaultQueue } from "./faults";
import { readStateFile, StatePersister } from "./persist";
import { DEFAULT_REQUEST_LOG_LIMIT, DEFAULT_REQUEST_LOG_MAX_BYTES, RequestLog } from "./requestLog";
import { applySeed, EmulatorSeed, loadSeedFile, validateSeed } from "./seed";
import { createRequestHandler, DEFAULT_BODY_LIMIT_BYTES } from "./server";
import { EmulatorStore } from "./store";
import { generateSelfSignedCertificate } from "./tls";
import { newAdminToken } from "./tokens";

export { EmulatorAdminClient, EmulatorAdminError } from "./adminClient";
export type { EmulatorAdminClientOptions, EmulatorStats, RoleBindingInput } from "./adminClient";
export { DEFAULT_ADMIN_TIMEOUT_MS } from "./adminClient";
export type { EmulatorSeed } from "./seed";
export { loadSeedFile, validateSeed } from "./seed";
export type { FaultKind, FaultSpec, IamMethod, LoggedMethod } from "./faults";
export type { RequestCounts, RequestLogEntry, RequestLogStats } from "./requestLog";
export {
  DEFAULT_REQUEST_LOG_LIMIT,
  DEFAULT_REQUEST_LOG_MAX_BYTES,
  MAX_LOGGED_PATH_CHARS,
} from "./requestLog";
export type { AuthorizedKeyFile } from "./sideApi";
export type { RoleBinding, ServiceAccount } from "./store";
export type {
  ExpiresAtFormat,
  MetadataSwitch,
  StoreSettings,
  TokenPadding,
  UnknownServiceAccountCode,
} from "./settings";
export { DEFAULT_JWT_IAT_SKEW_SECONDS } from "./settings";
export { EXACTLY_ONE_CREDENTIAL_MESSAGE, INVALID_TOKEN_MESSAGE } from "./errors";
export { DEFAULT_TOKEN_LIFETIME_SECONDS, TOKEN_CREATOR_ROLE } from "./store";
export { JWT_IAT_SKEW_SECONDS, JWT_MAX_LIFETIME_SECONDS, PUBLIC_IAM_AUDIENCE } from "./jwt";
export { DEFAULT_BODY_LIMIT_BYTES, ADMIN_TOKEN_HEADER } from "./server";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** Seed data, or the path of a seed JSON file. Ignored when `statePath` already holds state. */
  seed?: EmulatorSeed | string;
  /** Serve HTTPS with a freshly generated self-signed certificate (see `caCertPem`). Default false. */
  tls?: boolean;
  /** File that persists registrations, tokens and the clock across restarts (written atomically). */
  statePath?: string;
  /** Side-API secret; default: the seed's, else the state file's, else random. */
  adminToken?: string;
  /** Largest accepted request body, in bytes (default 64 KiB). */
  bodyLimitBytes?: number;
  /** Request-log entries kept (default 10,000; counts stay exact). */
  requestLogLimit?: number;
  /** Request-log size kept, in bytes of JSON (default 4 MiB); the oldest entries go first. */
  requestLogMaxBytes?: number;
  /**
   * Where a failed background write of the state file is reported (default: stderr). The message
   * names the file and the error code, never content; the write is retried.
   */
  onPersistError?: (message: string) => void;
}

/** A running emulator. */
export interface RunningEmulator {
  /** `http(s)://host:port`, no trailing slash. */
  baseUrl: string;
  /** Secret for the side API (header `X-Emulator-Admin-Token`). */
  adminToken: string;
  /** PEM of the self-signed certificate when `tls` is on; trust it as a CA. */
  caCertPem?: string;
  /** Typed side-API client bound to this emulator. */
  admin: EmulatorAdminClient;
  /** Port actually bound. */
  port: number;
  /** Stops the server (dropping open connections) and writes the state file one last time. */
  close(): Promise<void>;
}

/** How often expired tokens are dropped from memory, in real ms. */
const PRUNE_INTERVAL_MS = 60_000;

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts an emulator and resolves once it listens.
 * @throws Error for an invalid seed or state file, or when the port cannot be bound.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? "127.0.0.1";
  const state = options.statePath !== undefined ? readStateFile(options.statePath) : undefined;
  const seed =
    typeof options.seed === "string"
      ? loadSeedFile(options.seed)
      : options.seed !== undefined
        ? validateSeed(options.seed)
        : undefined;

  const clock =
    state !== undefined
      ? new EmulatorClock(state.clockOffsetMs)
      : seed?.clock !== undefined
        ? EmulatorClock.startingAt(parseRfc3339Ms(seed.clock) as number)
        : new EmulatorClock();
  const store = new EmulatorStore();
  if (state !== undefined) store.restore(state.store);
  else if (seed !== undefined) applySeed(store, seed, clock.nowMs());
  const adminToken = options.adminToken ?? seed?.adminToken ?? state?.adminToken ?? newAdminToken();

  const persister =
    options.statePath !== undefined
      ? new StatePersister(
          options.statePath,
          () => ({ store: store.snapshot(), clockOffsetMs: clock.getOffsetMs(), adminToken }),
          { onError: options.onPersistError },
        )
      : undefined;
  const schedulePersist = (): void => persister?.schedule();
  store.onChange = schedulePersist;

  let baseUrl = "";
  const handler = createRequestHandler({
    store,
    clock,
    faults: new FaultQueue(),
    log: new RequestLog(
      options.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT,
      options.requestLogMaxBytes ?? DEFAULT_REQUEST_LOG_MAX_BYTES,
    ),
    adminToken,
    baseUrl: () => baseUrl,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    onClockChange: schedulePersist,
  });

  let caCertPem: string | undefined;
  let server: Server;
  if (options.tls === true) {
    const certificate = generateSelfSignedCertificate(realNowMs());
    caCertPem = certificate.certPem;
    server = createHttpsServer({ key: certificate.keyPem, cert: certificate.certPem }, handler);
  } else {
    server = createHttpServer(handler);
  }
  // Tolerate clients that keep connections idle between test steps.
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${options.tls === true ? "https" : "http"}://${urlHost(host)}:${port}`;
  try {
    // At start a state file that cannot be written is a setup error: fail fast.
    persister?.flush();
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const code = (error as NodeJS.ErrnoException)?.code;
    throw new Error(`cannot write state file ${options.statePath}${code !== undefined ? ` (${code})` : ""}`, {
      cause: error,
    });
  }

  const pruneTimer = setInterval(() => store.pruneExpired(clock.nowMs()), PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  let closed: Promise<void> | undefined;
  return {
    baseUrl,
    adminToken,
    caCertPem,
    port,
    admin: new EmulatorAdminClient(baseUrl, adminToken, { caCertPem }),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(pruneTimer);
        // A last write; a failure is reported like any other, and closing goes on.
        persister?.tryFlush();
        persister?.cancel();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
