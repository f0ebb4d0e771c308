import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EmulatorClock, formatRfc3339 } from "./clock";
import { ApiError, errors, GrpcCode, newRequestId, statusBody } from "./errors";
import type { Exchange, Reply } from "./exchange";
import type { FaultDecision, FaultQueue, IamMethod } from "./faults";
import * as iam from "./iamApi";
import type { RequestLog } from "./requestLog";
import { routeSideApi, SIDE_API_PREFIX, SideApiContext } from "./sideApi";
import type { EmulatorStore } from "./store";

/** Largest request body accepted, in bytes; larger ones get a 400 Status (and are drained, not buffered). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Header carrying the side-API secret. */
export const ADMIN_TOKEN_HEADER = "x-emulator-admin-token";

/** Everything the request handler needs. */
export interface ServerContext {
  /** State. */
  store: EmulatorStore;
  /** Time. */
  clock: EmulatorClock;
  /** Fault rules. */
  faults: FaultQueue;
  /** Request log and counts. */
  log: RequestLog;
  /** Side-API secret. */
  adminToken: string;
  /** Base URL once listening. */
  baseUrl(): string;
  /** Body limit in bytes. */
  bodyLimitBytes: number;
  /** Called after clock changes (persistence). */
  onClockChange(): void;
}

interface IamRoute {
  method: IamMethod;
  httpMethod: "GET" | "POST";
  handler: (ctx: iam.IamApiContext, exchange: Exchange) => Reply;
}

const IAM_ROUTES: ReadonlyMap<string, IamRoute> = new Map([
  ["/iam/v1/tokens", { method: "create", httpMethod: "POST", handler: iam.create }],
  [
    "/iam/v1/tokens:createForServiceAccount",
    { method: "createForServiceAccount", httpMethod: "POST", handler: iam.createForServiceAccount },
  ],
  ["/iam/v1/tokens:revoke", { method: "revoke", httpMethod: "POST", handler: iam.revoke }],
  [
    "/computeMetadata/v1/instance/service-accounts/default/token",
    { method: "metadataToken", httpMethod: "GET", handler: iam.metadataToken },
  ],
]);

const FAULT_STATUS_CODES: Record<
  number,
  { code: (typeof GrpcCode)[keyof typeof GrpcCode]; message: string }
> = {
  429: { code: GrpcCode.RESOURCE_EXHAUSTED, message: "Too many requests, retry later" },
  500: { code: GrpcCode.INTERNAL, message: "Internal error" },
  502: { code: GrpcCode.UNAVAILABLE, message: "Bad gateway: upstream is unavailable" },
  503: { code: GrpcCode.UNAVAILABLE, message: "The service is currently unavailable" },
  504: { code: GrpcCode.DEADLINE_EXCEEDED, message: "Gateway timeout: upstream did not answer in time" },
};

const MALFORMED_MISSING_FIELDS: Record<IamMethod, unknown> = {
  create: { expiresAt: "2000-01-01T00:00:00Z" },
  createForServiceAccount: { expiresAt: "2000-01-01T00:00:00Z" },
  revoke: {},
  metadataToken: { token_type: "Bearer" },
};

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Creates the `request` listener for node:http / node:https. It never throws. */
export function createRequestHandler(
  ctx: ServerContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const adminDigest = digest(ctx.adminToken);
  const iamContext: iam.IamApiContext = { store: ctx.store, clock: ctx.clock, baseUrl: ctx.baseUrl };
  const sideContext: SideApiContext = {
    store: ctx.store,
    clock: ctx.clock,
    faults: ctx.faults,
    log: ctx.log,
    onClockChange: ctx.onClockChange,
  };

  const isAdmin = (req: IncomingMessage): boolean => {
    const given = req.headers[ADMIN_TOKEN_HEADER];
    // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
    return typeof given === "string" && timingSafeEqual(digest(given), adminDigest);
  };

  function send(exchange: Exchange, res: ServerResponse, reply: Reply, grpcCode?: number): void {
    if (res.destroyed || res.headersSent) return;
    const text = reply.raw === true ? String(reply.body) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "Content-Type": reply.contentType ?? "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
      "X-Request-Id": exchange.requestId,
      ...reply.headers,
    });
    res.end(text);
    record(exchange, reply.status, grpcCode);
  }

  function logTime(): string {
    try {
      return formatRfc3339(ctx.clock.nowMs(), 3);
    } catch {
      // A clock outside what Date can format must not cost the answer or the log entry.
      return "invalid-time";
    }
  }

  function record(exchange: Exchange, status: number, grpcCode?: number): void {
    if (exchange.path.startsWith(SIDE_API_PREFIX) && exchange.log.method !== "whoami") return;
    ctx.log.record({
      method: exchange.log.method,
      httpMethod: exchange.req.method ?? "",
      path: exchange.path,
      status,
      ...(grpcCode !== undefined ? { grpcCode } : {}),
      requestId: exchange.requestId,
      ...(exchange.log.fault !== undefined ? { fault: exchange.log.fault } : {}),
      ...(exchange.log.subjectId !== undefined ? { subjectId: exchange.log.subjectId } : {}),
      ...(exchange.log.targetServiceAccountId !== undefined
        ? { targetServiceAccountId: exchange.log.targetServiceAccountId }
        : {}),
      at: logTime(),
    });
  }

  /**
   * Last resort when answering itself failed: a bare 500 if nothing was sent yet, else the
   * connection is closed. Never throws, so no request path can crash the process.
   */
  function answerFailed(res: ServerResponse, error: unknown): void {
    try {
      process.emitWarning(
        `yc-iam-emulator: failed to answer a request: ${(error as Error)?.name ?? "error"}`,
      );
      if (!res.headersSent && !res.destroyed) {
        const text = '{"code":13,"message":"Internal error"}';
        res.writeHead(500, {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Length": text.length,
        });
        res.end(text);
      } else {
        res.destroy();
      }
    } catch {
      res.destroy();
    }
  }

  /** Sends a reply; any failure while doing so still ends the request (see {@link answerFailed}). */
  function safeSend(exchange: Exchange, res: ServerResponse, reply: Reply): void {
    try {
      send(exchange, res, reply);
    } catch (error) {
      safeSendError(exchange, res, error);
    }
  }

  /** Sends an error; any failure while doing so still ends the request. */
  function safeSendError(exchange: Exchange, res: ServerResponse, error: unknown): void {
    try {
      sendError(exchange, res, error);
    } catch (failure) {
      answerFailed(res, failure);
    }
  }

  function sendError(exchange: Exchange, res: ServerResponse, error: unknown): void {
    const apiError = error instanceof ApiError ? error : errors.internal();
    if (!(error instanceof ApiError)) {
      // Unexpected: report the kind only; neither request details nor messages (they may hold secrets).
      process.emitWarning(`yc-iam-emulator: internal error: ${(error as Error)?.name ?? "unknown"}`);
    }
    send(
      exchange,
      res,
      {
        status: apiError.httpStatus,
        body: statusBody(apiError.grpcCode, apiError.message, exchange.requestId),
        headers: { ...apiError.headers },
      },
      apiError.grpcCode,
    );
  }

  /** Applies a fault; returns true when it fully answered (or dropped) the request. */
  function applyFault(
    fault: FaultDecision,
    method: IamMethod,
    exchange: Exchange,
    res: ServerResponse,
  ): boolean {
    exchange.log.fault = fault.label;
    const spec = fault.spec;
    switch (spec.kind) {
      case "drop":
        exchange.req.socket.destroy();
        record(exchange, 0);
        return true;
      case "malformed":
        if (spec.malformed === "missingFields")
          send(exchange, res, { status: 200, body: MALFORMED_MISSING_FIELDS[method] });
        else send(exchange, res, { status: 200, body: '{"iamToken": "t1.', raw: true });
        return true;
      case "status": {
        const status = spec.status ?? 503;
        const { code, message } = FAULT_STATUS_CODES[status];
        // Whether real 429s carry Retry-After is not documented: a rule's own value wins, then the
        // rateLimitRetryAfterSeconds setting; by default there is none.
        const retryAfterSeconds =
          spec.retryAfterSeconds ??
          (status === 429 ? ctx.store.settings.rateLimitRetryAfterSeconds : undefined);
        const headers: Record<string, string> =
          retryAfterSeconds !== undefined ? { "Retry-After": String(retryAfterSeconds) } : {};
        sendError(exchange, res, new ApiError(code, message, status, headers));
        return true;
      }
      default:
        return false; // latency: the caller delays, then serves normally
    }
  }

  function handleIam(route: IamRoute, exchange: Exchange, res: ServerResponse): void {
    if (exchange.req.method !== route.httpMethod) {
      throw new ApiError(GrpcCode.UNIMPLEMENTED, "Method Not Allowed", 405, { Allow: route.httpMethod });
    }
    const fault = ctx.faults.take(route.method);
    if (fault !== undefined && applyFault(fault, route.method, exchange, res)) return;
    const serve = (): void => {
      let reply: Reply;
      try {
        reply = route.handler(iamContext, exchange);
      } catch (error) {
        safeSendError(exchange, res, error);
        return;
      }
      safeSend(exchange, res, reply);
    };
    if (fault?.spec.kind === "latency") setTimeout(serve, fault.spec.latencyMs ?? 0);
    else serve();
  }

  function handleSide(exchange: Exchange, res: ServerResponse): void {
    if (!isAdmin(exchange.req)) {
      throw errors.unauthenticated(`The ${ADMIN_TOKEN_HEADER} header is missing or wrong.`);
    }
    const { handler, param } = routeSideApi(
      exchange.req.method ?? "",
      exchange.path.slice(SIDE_API_PREFIX.length),
    );
    Promise.resolve()
      .then(() => handler(sideContext, exchange, param))
      .then(
        (reply) => safeSend(exchange, res, reply),
        (error: unknown) => safeSendError(exchange, res, error),
      )
      .catch((error: unknown) => answerFailed(res, error));
  }

  function dispatch(exchange: Exchange, res: ServerResponse, tooLarge: boolean): void {
    try {
      const route = IAM_ROUTES.get(exchange.path);
      if (route !== undefined) exchange.log.method = route.method;
      if (tooLarge) throw errors.invalidArgument(`Request body exceeds ${ctx.bodyLimitBytes} bytes`);
      if (route !== undefined) handleIam(route, exchange, res);
      else if (exchange.path.startsWith(SIDE_API_PREFIX)) handleSide(exchange, res);
      else throw errors.notFound("Not Found");
    } catch (error) {
      safeSendError(exchange, res, error);
    }
  }

  return (req, res) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const exchangeBase = {
      req,
      path: query < 0 ? url : url.slice(0, query),
      requestId: newRequestId(),
      log: { method: "unknown" as const },
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > ctx.bodyLimitBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        dispatch({ ...exchangeBase, body, log: { ...exchangeBase.log } }, res, tooLarge);
      } catch (error) {
        answerFailed(res, error);
      }
    });
    req.on("error", () => {
      // Client went away mid-request: nothing to answer.
    });
  };
}
