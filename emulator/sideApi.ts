import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { EmulatorClock, formatRfc3339, isClockInRange, MAX_CLOCK_MS, parseRfc3339Ms } from "./clock";
import { ApiError, errors, GrpcCode } from "./errors";
import { badField, bearerToken, Exchange, jsonBody, ok, Reply } from "./exchange";
import { FAULT_STATUSES, FaultQueue, FaultSpec } from "./faults";
import type { RequestLog } from "./requestLog";
import {
  EmulatorStore,
  MAX_TOKEN_LIFETIME_SECONDS,
  RoleBinding,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
} from "./store";
import { newResourceId, randomSubMsNanos } from "./tokens";
import { applySettingsPatch, parseSettingsPatch } from "./settings";
import { JsonObject, optionalEnum, optionalNumber, optionalString, requiredString } from "./validate";

const generateKeyPairAsync = promisify(generateKeyPair);

/** What the side API works on. */
export interface SideApiContext {
  /** State. */
  store: EmulatorStore;
  /** Time. */
  clock: EmulatorClock;
  /** Fault rules. */
  faults: FaultQueue;
  /** Request log and counts. */
  log: RequestLog;
  /** Called after clock changes so the state file keeps the offset. */
  onClockChange(): void;
}

/** The authorized key object `yc iam key create` writes, as returned by `POST /_emulator/keys`. */
export interface AuthorizedKeyFile {
  /** Key id (JWT `kid`). */
  id: string;
  /** Owning service account. */
  service_account_id: string;
  /** Creation time, RFC 3339 with nanoseconds. */
  created_at: string;
  /** `RSA_2048` or `RSA_4096`. */
  key_algorithm: "RSA_2048" | "RSA_4096";
  /** SPKI PEM. */
  public_key: string;
  /** PKCS#8 PEM preceded by Yandex's `PLEASE DO NOT REMOVE THIS LINE!` line. */
  private_key: string;
}

type Handler = (ctx: SideApiContext, exchange: Exchange, param?: string) => Reply | Promise<Reply>;

function ensureSubject(store: EmulatorStore, subjectId: string): void {
  // Subjects named only in side-API calls become users, so tests need not register them first.
  if (!store.subjectExists(subjectId)) store.addUser(subjectId);
}

function accountView(store: EmulatorStore, id: string): unknown {
  return { ...store.getServiceAccount(id) };
}

function roleBinding(body: JsonObject): RoleBinding {
  return {
    subjectId: requiredString(body, "subjectId", badField, 100),
    role: requiredString(body, "role", badField, 100),
    resourceId: requiredString(body, "resourceId", badField, 100),
  };
}

function nowView(clock: EmulatorClock): { now: string } {
  return { now: formatRfc3339(clock.nowMs(), 3) };
}

const handlers: Record<string, Handler> = {
  "POST service-accounts": (ctx, ex) => {
    const body = jsonBody(ex);
    const id = requiredString(body, "id", badField, 50);
    const existing = ctx.store.getServiceAccount(id);
    const folderId = optionalString(body, "folderId", badField, 50) ?? existing?.folderId;
    const tokenLifetimeSeconds =
      optionalNumber(body, "tokenLifetimeSeconds", badField, 1, MAX_TOKEN_LIFETIME_SECONDS, true) ??
      existing?.tokenLifetimeSeconds ??
      DEFAULT_TOKEN_LIFETIME_SECONDS;
    return ok(ctx.store.upsertServiceAccount({ id, folderId, tokenLifetimeSeconds }));
  },
  "PATCH service-accounts/": (ctx, ex, id = "") => {
    const body = jsonBody(ex);
    const account = ctx.store.getServiceAccount(id);
    if (account === undefined) throw errors.notFound(`Service account ${id} not found`);
    const tokenLifetimeSeconds = optionalNumber(
      body,
      "tokenLifetimeSeconds",
      badField,
      1,
      MAX_TOKEN_LIFETIME_SECONDS,
      true,
    );
    const folderId = optionalString(body, "folderId", badField, 50);
    ctx.store.upsertServiceAccount({
      ...account,
      ...(tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds } : {}),
      ...(folderId !== undefined ? { folderId } : {}),
    });
    return ok(accountView(ctx.store, id));
  },
  "POST users": (ctx, ex) => {
    const id = requiredString(jsonBody(ex), "id", badField, 50);
    ctx.store.addUser(id);
    return ok({ id });
  },
  "POST oauth-tokens": (ctx, ex) => {
    const body = jsonBody(ex);
    const subjectId = requiredString(body, "subjectId", badField, 50);
    const token = optionalString(body, "token", badField, 4000);
    ensureSubject(ctx.store, subjectId);
    return ok({ token: ctx.store.addOAuthToken(subjectId, token) });
  },
  "POST iam-tokens": (ctx, ex) => {
    const body = jsonBody(ex);
    const subjectId = requiredString(body, "subjectId", badField, 50);
    const lifetimeSeconds =
      optionalNumber(body, "lifetimeSeconds", badField, 1, MAX_TOKEN_LIFETIME_SECONDS, true) ??
      ctx.store.lifetimeSecondsFor(subjectId);
    ensureSubject(ctx.store, subjectId);
    const record = ctx.store.mintDirect(subjectId, ctx.clock.nowMs(), lifetimeSeconds);
    return ok({ iamToken: record.token, expiresAt: record.expiresAt });
  },
  "POST keys": async (ctx, ex) => {
    const body = jsonBody(ex);
    const serviceAccountId = requiredString(body, "serviceAccountId", badField, 50);
    const keyAlgorithm =
      optionalEnum(body, "keyAlgorithm", ["RSA_2048", "RSA_4096"] as const, badField) ?? "RSA_2048";
    if (ctx.store.getServiceAccount(serviceAccountId) === undefined) {
      throw errors.notFound(`Service account ${serviceAccountId} not found`);
    }
    const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
      modulusLength: keyAlgorithm === "RSA_4096" ? 4096 : 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const id = newResourceId("aje");
    const createdAt = formatRfc3339(ctx.clock.nowMs(), 9, randomSubMsNanos());
    ctx.store.addKey({ id, serviceAccountId, createdAt, keyAlgorithm, publicKeyPem: publicKey });
    const file: AuthorizedKeyFile = {
      id,
      service_account_id: serviceAccountId,
      created_at: createdAt,
      key_algorithm: keyAlgorithm,
      public_key: publicKey,
      private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <${id}>\n${privateKey}`,
    };
    return ok(file);
  },
  "POST role-bindings": (ctx, ex) => {
    ctx.store.addRoleBinding(roleBinding(jsonBody(ex)));
    return ok({});
  },
  "DELETE role-bindings": (ctx, ex) => {
    ctx.store.removeRoleBinding(roleBinding(jsonBody(ex)));
    return ok({});
  },
  "POST tokens/revoke-all": (ctx, ex) => {
    const subjectId = optionalString(jsonBody(ex), "subjectId", badField, 50);
    return ok({ revoked: ctx.store.revokeAll(subjectId) });
  },
  "GET requests": (ctx) => ok({ requests: ctx.log.list() }),
  "GET counts": (ctx) => ok(ctx.log.getCounts()),
  "POST requests/reset": (ctx) => {
    ctx.log.reset();
    return ok({});
  },
  "GET whoami": (ctx, ex) => {
    ex.log.method = "whoami";
    const record = ctx.store.validateToken(bearerToken(ex), ctx.clock.nowMs());
    if (record === undefined) throw errors.unauthenticated();
    ex.log.subjectId = record.subjectId;
    return ok({ subjectId: record.subjectId, expiresAt: record.expiresAt });
  },
  "POST faults": (ctx, ex) => {
    const body = jsonBody(ex);
    const method = optionalEnum(
      body,
      "method",
      ["createForServiceAccount", "create", "revoke", "metadataToken", "*"] as const,
      badField,
    );
    const kind = optionalEnum(body, "kind", ["status", "drop", "malformed", "latency"] as const, badField);
    if (method === undefined) throw badField("method is required");
    if (kind === undefined) throw badField("kind is required");
    const spec: FaultSpec = {
      method,
      kind,
      count: optionalNumber(body, "count", badField, 1, 1_000_000_000, true),
      status: optionalEnum(body, "status", FAULT_STATUSES, badField),
      retryAfterSeconds: optionalNumber(body, "retryAfterSeconds", badField, 0, 86_400, true),
      latencyMs: optionalNumber(body, "latencyMs", badField, 0, 600_000, true),
      probability: optionalNumber(body, "probability", badField, 0, 1),
      seed: optionalNumber(body, "seed", badField, 0, 2 ** 32 - 1, true),
      malformed: optionalEnum(body, "malformed", ["notJson", "missingFields"] as const, badField),
    };
    if (kind === "latency" && spec.latencyMs === undefined)
      throw badField("latencyMs is required for latency faults");
    return ok({ id: ctx.faults.add(spec) });
  },
  "DELETE faults": (ctx) => {
    ctx.faults.clear();
    return ok({});
  },
  "GET clock": (ctx) => ok(nowView(ctx.clock)),
  "POST clock": (ctx, ex) => {
    const body = jsonBody(ex);
    const advance = optionalNumber(body, "advanceSeconds", badField, -1e10, 1e10);
    const set = optionalString(body, "set", badField, 64);
    if ((advance === undefined) === (set === undefined))
      throw badField("exactly one of advanceSeconds and set is required");
    const targetMs = advance !== undefined ? ctx.clock.nowMs() + advance * 1000 : parseRfc3339Ms(set ?? "");
    if (targetMs === undefined) throw badField("set must be an RFC 3339 timestamp");
    // Beyond this range Date cannot format every instant the emulator derives from the clock.
    if (!isClockInRange(targetMs)) {
      throw badField(
        `the clock must stay between 1970-01-01T00:00:00Z and ${formatRfc3339(MAX_CLOCK_MS, 0)}`,
      );
    }
    if (advance !== undefined) ctx.clock.advanceSeconds(advance);
    else ctx.clock.setMs(targetMs);
    ctx.onClockChange();
    return ok(nowView(ctx.clock));
  },
  "GET settings": (ctx) => ok({ ...ctx.store.settings }),
  "PATCH settings": (ctx, ex) => {
    const patch = parseSettingsPatch(jsonBody(ex), badField);
    const account = patch.metadataServiceAccountId;
    if (account !== undefined && ctx.store.getServiceAccount(account) === undefined) {
      throw errors.notFound(`Service account ${account} not found`);
    }
    applySettingsPatch(ctx.store.settings, patch);
    ctx.store.onChange();
    return ok({ ...ctx.store.settings });
  },
  "GET stats": (ctx) =>
    ok({
      requestLog: ctx.log.stats(),
      // The process heap, so a caller can see that hostile traffic left memory bounded.
      heapUsedBytes: process.memoryUsage().heapUsed,
    }),
};

/** Prefix of every side-API path. */
export const SIDE_API_PREFIX = "/_emulator/";

/**
 * Finds the side-API handler for `httpMethod` and the path after `/_emulator/`. A path known
 * with another method is a 405, an unknown one a 404.
 */
export function routeSideApi(httpMethod: string, rest: string): { handler: Handler; param?: string } {
  const direct = handlers[`${httpMethod} ${rest}`];
  if (direct !== undefined) return { handler: direct };
  const slash = rest.indexOf("/");
  if (slash > 0) {
    const withParam = handlers[`${httpMethod} ${rest.slice(0, slash + 1)}`];
    let param: string;
    try {
      param = decodeURIComponent(rest.slice(slash + 1));
    } catch {
      throw badField("malformed percent-encoding in the path");
    }
    if (withParam !== undefined && param !== "" && !param.includes("/")) return { handler: withParam, param };
  }
  const allowed = Object.keys(handlers)
    .map((key) => key.split(" "))
    .filter(
      ([, path]) =>
        path === rest || (path.endsWith("/") && rest.startsWith(path) && rest.length > path.length),
    )
    .map(([method]) => method);
  if (allowed.length > 0) {
    throw new ApiError(GrpcCode.UNIMPLEMENTED, "Method Not Allowed", 405, { Allow: allowed.join(", ") });
  }
  throw errors.notFound("Not Found");
}
