import { request as httpsRequest } from "node:https";
import type { FaultSpec } from "./faults";
import type { RequestCounts, RequestLogEntry, RequestLogStats } from "./requestLog";
import type { StoreSettings } from "./settings";
import type { AuthorizedKeyFile } from "./sideApi";
import type { ServiceAccount } from "./store";

/** Error thrown by {@link EmulatorAdminClient} for a non-2xx answer; carries the parsed Status. */
export class EmulatorAdminError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Parsed response body (a google.rpc.Status for emulator errors). */
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = "EmulatorAdminError";
  }
}

/** Default time a side-API call may take, in ms. */
export const DEFAULT_ADMIN_TIMEOUT_MS = 30_000;

/** Options of {@link EmulatorAdminClient}. */
export interface EmulatorAdminClientOptions {
  /** CA certificate (PEM) to trust when the emulator uses TLS with its self-signed certificate. */
  caCertPem?: string;
  /** Longest a call may take, in ms, before it fails (default {@link DEFAULT_ADMIN_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** What `GET /_emulator/stats` answers. */
export interface EmulatorStats {
  /** Request-log size and bounds. */
  requestLog: RequestLogStats;
  /** The emulator process's used heap, in bytes. */
  heapUsedBytes: number;
}

/** A role binding as the side API takes it. */
export interface RoleBindingInput {
  /** Who gets the role. */
  subjectId: string;
  /** Role id, e.g. `iam.serviceAccounts.tokenCreator`. */
  role: string;
  /** Service account id or folder id. */
  resourceId: string;
}

/**
 * Typed helper over the emulator's side API (`/_emulator/...`), for tests, examples and scripts.
 * Uses global fetch, or node:https when a CA certificate must be trusted. Not the product's client.
 * It never follows a redirect (the admin token goes to the emulator only) and every call has a
 * time limit.
 */
export class EmulatorAdminClient {
  private readonly baseUrl: string;

  /**
   * @param baseUrl emulator base URL, e.g. `http://127.0.0.1:PORT` (a trailing slash is ignored)
   * @param adminToken side-API secret
   * @param options TLS trust
   */
  constructor(
    baseUrl: string,
    private readonly adminToken: string,
    private readonly options: EmulatorAdminClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** Registers (or updates) a service account. */
  createServiceAccount(account: {
    /** Service account id; registering an existing id updates that account. */
    id: string;
    /** Folder holding the account; a tokenCreator binding on the folder covers the account. */
    folderId?: string;
    /** IAM token lifetime in seconds, 1..43200 (default: unchanged for an existing account, else 43200). */
    tokenLifetimeSeconds?: number;
  }): Promise<ServiceAccount> {
    return this.call("POST", "/_emulator/service-accounts", account);
  }

  /** Changes a service account's token lifetime (seconds). */
  updateServiceAccount(
    id: string,
    patch: {
      /** New lifetime of IAM tokens issued for the account, in seconds (1..43200). */
      tokenLifetimeSeconds?: number;
      /** New folder holding the account. */
      folderId?: string;
    },
  ): Promise<ServiceAccount> {
    return this.call("PATCH", `/_emulator/service-accounts/${encodeURIComponent(id)}`, patch);
  }

  /** Registers a user account. */
  createUser(id: string): Promise<{
    /** Id of the registered user. */
    id: string;
  }> {
    return this.call("POST", "/_emulator/users", { id });
  }

  /** Registers an OAuth token for a subject (generated when `token` is absent). */
  createOAuthToken(
    subjectId: string,
    token?: string,
  ): Promise<{
    /** The registered OAuth token: the one passed in, or a generated `y0_...` string. */
    token: string;
  }> {
    return this.call("POST", "/_emulator/oauth-tokens", { subjectId, token });
  }

  /** Mints a caller IAM token directly (never reused by create calls). */
  mintIamToken(
    subjectId: string,
    lifetimeSeconds?: number,
  ): Promise<{
    /** The minted IAM token, usable as a Bearer token. */
    iamToken: string;
    /** Expiry in emulator time, RFC 3339, in the configured `expiresAtFormat`. */
    expiresAt: string;
  }> {
    return this.call("POST", "/_emulator/iam-tokens", { subjectId, lifetimeSeconds });
  }

  /** Creates an authorized key; returns the key file as `yc iam key create` writes it. */
  createKey(serviceAccountId: string, keyAlgorithm?: "RSA_2048" | "RSA_4096"): Promise<AuthorizedKeyFile> {
    return this.call("POST", "/_emulator/keys", { serviceAccountId, keyAlgorithm });
  }

  /** Grants a role. */
  addRoleBinding(binding: RoleBindingInput): Promise<Record<string, never>> {
    return this.call("POST", "/_emulator/role-bindings", binding);
  }

  /** Removes a role. */
  removeRoleBinding(binding: RoleBindingInput): Promise<Record<string, never>> {
    return this.call("DELETE", "/_emulator/role-bindings", binding);
  }

  /** Revokes all tokens, or all of one subject. */
  revokeAllTokens(subjectId?: string): Promise<{
    /** Number of IAM tokens revoked. */
    revoked: number;
  }> {
    return this.call("POST", "/_emulator/tokens/revoke-all", { subjectId });
  }

  /** The request log (no secrets in it). */
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.call<{ requests: RequestLogEntry[] }>("GET", "/_emulator/requests")).requests;
  }

  /** Call counts per method. */
  counts(): Promise<RequestCounts> {
    return this.call("GET", "/_emulator/counts");
  }

  /** Clears the log and counts. */
  resetRequests(): Promise<Record<string, never>> {
    return this.call("POST", "/_emulator/requests/reset", {});
  }

  /** Validates an IAM token; returns its subject and expiry (rejects with 401 when invalid). */
  whoami(iamToken: string): Promise<{
    /** Subject (service account or user) the token authenticates. */
    subjectId: string;
    /** The token's expiry in emulator time, RFC 3339, exactly as issued. */
    expiresAt: string;
  }> {
    return this.call("GET", "/_emulator/whoami", undefined, { Authorization: `Bearer ${iamToken}` });
  }

  /** Adds a fault rule. */
  addFault(fault: FaultSpec): Promise<{
    /** Id of the added fault rule. */
    id: string;
  }> {
    return this.call("POST", "/_emulator/faults", fault);
  }

  /** Removes all fault rules. */
  clearFaults(): Promise<Record<string, never>> {
    return this.call("DELETE", "/_emulator/faults");
  }

  /** The emulator's current time (RFC 3339). */
  async now(): Promise<string> {
    return (await this.call<{ now: string }>("GET", "/_emulator/clock")).now;
  }

  /** Moves the emulator's clock forward (or back, with a negative value); returns the new time. */
  async advanceClock(seconds: number): Promise<string> {
    return (await this.call<{ now: string }>("POST", "/_emulator/clock", { advanceSeconds: seconds })).now;
  }

  /** Sets the emulator's clock; returns the new time. */
  async setClock(rfc3339: string): Promise<string> {
    return (await this.call<{ now: string }>("POST", "/_emulator/clock", { set: rfc3339 })).now;
  }

  /**
   * Changes behaviour switches (see {@link StoreSettings}). `null` for `metadataServiceAccountId`
   * detaches the VM's service account; for `rateLimitRetryAfterSeconds` it stops adding Retry-After.
   */
  updateSettings(
    patch: Partial<
      Omit<StoreSettings, "metadataServiceAccountId" | "rateLimitRetryAfterSeconds"> & {
        /** Service account attached to the emulated VM; `null` detaches it. */
        metadataServiceAccountId: string | null;
        /** Retry-After (s) on 429 faults without their own; `null` for none. */
        rateLimitRetryAfterSeconds: number | null;
      }
    >,
  ): Promise<StoreSettings> {
    return this.call("PATCH", "/_emulator/settings", patch);
  }

  /** The current behaviour switches. */
  settings(): Promise<StoreSettings> {
    return this.call("GET", "/_emulator/settings");
  }

  /** Request-log size and bounds, and the emulator's heap use. */
  stats(): Promise<EmulatorStats> {
    return this.call("GET", "/_emulator/stats");
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { "X-Emulator-Admin-Token": this.adminToken, ...extraHeaders };
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (text !== undefined) headers["Content-Type"] = "application/json";
    const url = `${this.baseUrl}${path}`;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
    let answer: { status: number; responseText: string };
    try {
      answer =
        this.options.caCertPem !== undefined && url.startsWith("https:")
          ? await httpsCall(url, method, headers, text, this.options.caCertPem, timeoutMs)
          : await fetch(url, {
              method,
              headers,
              body: text,
              redirect: "manual",
              signal: AbortSignal.timeout(timeoutMs),
            }).then(async (r) => ({ status: r.status, responseText: await r.text() }));
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new Error(`emulator side API ${method} ${path} did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    }
    const { status, responseText } = answer;
    if (status >= 300 && status < 400) {
      throw new EmulatorAdminError(
        status,
        undefined,
        `emulator side API ${method} ${path} answered a redirect (HTTP ${status}); ` +
          "it is not followed, so the admin token only ever goes to the emulator's own address",
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(responseText);
    } catch {
      parsed = responseText;
    }
    if (status < 200 || status >= 300) {
      const message = (parsed as { message?: unknown })?.message;
      throw new EmulatorAdminError(
        status,
        parsed,
        `emulator side API ${method} ${path} failed with HTTP ${status}${typeof message === "string" ? `: ${message}` : ""}`,
      );
    }
    return parsed as T;
  }
}

function httpsCall(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  ca: string,
  timeoutMs: number,
): Promise<{ status: number; responseText: string }> {
  return new Promise((resolve, reject) => {
    // node:https never follows redirects; a 3xx reaches the caller's check as it is.
    const req = httpsRequest(url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, responseText: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => {
      const error = new Error("timed out");
      error.name = "TimeoutError";
      req.destroy(error);
    }, timeoutMs);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}
