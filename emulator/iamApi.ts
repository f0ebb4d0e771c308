import type { EmulatorClock } from "./clock";
import { ApiError, errors, GrpcCode } from "./errors";
import { badField, bearerToken, Exchange, jsonBody, ok, Reply } from "./exchange";
import { PUBLIC_IAM_AUDIENCE, verifyServiceAccountJwt } from "./jwt";
import type { EmulatorStore, IamTokenRecord } from "./store";
import { requiredString } from "./validate";

/** What the IAM API handlers work on. */
export interface IamApiContext {
  /** State. */
  store: EmulatorStore;
  /** Time. */
  clock: EmulatorClock;
  /** The emulator's own base URL (its `/iam/v1/tokens` is an accepted JWT audience). */
  baseUrl(): string;
}

/** Field length limits of the real API. */
export const LIMITS = {
  serviceAccountId: 50,
  yandexPassportOauthToken: 4000,
  jwt: 8000,
  iamToken: 4096,
} as const;

const tokenReply = (record: IamTokenRecord): Reply =>
  ok({ iamToken: record.token, expiresAt: record.expiresAt });

/** Authenticates the Bearer caller against the emulator clock; returns the caller's token record. */
export function authenticate(ctx: IamApiContext, exchange: Exchange): IamTokenRecord {
  const record = ctx.store.validateToken(bearerToken(exchange), ctx.clock.nowMs());
  if (record === undefined) throw errors.unauthenticated();
  exchange.log.subjectId = record.subjectId;
  return record;
}

function optionalPresent(body: Record<string, unknown>, field: string): boolean {
  return body[field] !== undefined && body[field] !== null;
}

/** `POST /iam/v1/tokens`: exchanges an OAuth token or a service-account JWT for an IAM token. */
export function create(ctx: IamApiContext, exchange: Exchange): Reply {
  const body = jsonBody(exchange, true);
  const hasOAuth = optionalPresent(body, "yandexPassportOauthToken");
  const hasJwt = optionalPresent(body, "jwt");
  if (hasOAuth && hasJwt) {
    throw badField("Only one of yandexPassportOauthToken and jwt may be set");
  }
  if (!hasOAuth && !hasJwt) throw badField("One of yandexPassportOauthToken or jwt is required");
  const nowMs = ctx.clock.nowMs();
  let subjectId: string;
  if (hasOAuth) {
    const token = requiredString(body, "yandexPassportOauthToken", badField, LIMITS.yandexPassportOauthToken);
    const subject = ctx.store.oauthSubject(token);
    if (subject === undefined)
      throw errors.unauthenticated("The OAuth token is invalid or has been revoked.");
    subjectId = subject;
  } else {
    const jwt = requiredString(body, "jwt", badField, LIMITS.jwt);
    subjectId = verifyServiceAccountJwt(jwt, {
      findKey: (id) => ctx.store.getKey(id),
      nowMs,
      audiences: [`${ctx.baseUrl()}/iam/v1/tokens`, PUBLIC_IAM_AUDIENCE],
    });
    if (ctx.store.getServiceAccount(subjectId) === undefined) {
      throw errors.unauthenticated("The key's service account no longer exists.");
    }
  }
  exchange.log.subjectId = subjectId;
  return tokenReply(ctx.store.issueToken(subjectId, nowMs));
}

/** `POST /iam/v1/tokens:createForServiceAccount`: a token for a service account, for a permitted caller. */
export function createForServiceAccount(ctx: IamApiContext, exchange: Exchange): Reply {
  const body = jsonBody(exchange, true);
  const caller = authenticate(ctx, exchange);
  const serviceAccountId = requiredString(body, "serviceAccountId", badField, LIMITS.serviceAccountId);
  exchange.log.targetServiceAccountId = serviceAccountId;
  const account = ctx.store.getServiceAccount(serviceAccountId);
  if (account === undefined) throw errors.notFound(`Service account ${serviceAccountId} not found`);
  if (!ctx.store.canCreateTokenFor(caller.subjectId, account)) {
    throw errors.permissionDenied(
      `Permission denied: iam.serviceAccounts.tokenCreator is required on service account ${serviceAccountId}`,
    );
  }
  return tokenReply(ctx.store.issueToken(serviceAccountId, ctx.clock.nowMs()));
}

/**
 * `POST /iam/v1/tokens:revoke`. The caller may revoke its own subject's tokens, or those of a
 * service account it may create tokens for. An unknown, revoked or expired token is a 400:
 * there is nothing to revoke and no subject to report.
 */
export function revoke(ctx: IamApiContext, exchange: Exchange): Reply {
  const body = jsonBody(exchange, true);
  const caller = authenticate(ctx, exchange);
  const token = requiredString(body, "iamToken", badField, LIMITS.iamToken);
  const target = ctx.store.validateToken(token, ctx.clock.nowMs());
  if (target === undefined) throw errors.invalidArgument("iamToken is invalid or has expired");
  if (target.subjectId !== caller.subjectId) {
    const account = ctx.store.getServiceAccount(target.subjectId);
    if (account === undefined || !ctx.store.canCreateTokenFor(caller.subjectId, account)) {
      throw errors.permissionDenied("Permission denied: the caller may not revoke tokens of this subject");
    }
  }
  ctx.store.revokeToken(token);
  return ok({ subjectId: target.subjectId });
}

/**
 * `GET /computeMetadata/v1/instance/service-accounts/default/token`: the VM's service account
 * token, as the metadata service answers it (`expires_in` in whole seconds).
 */
export function metadataToken(ctx: IamApiContext, exchange: Exchange): Reply {
  if (exchange.req.headers["metadata-flavor"] !== "Google") {
    throw new ApiError(GrpcCode.PERMISSION_DENIED, "Missing required header: 'Metadata-Flavor: Google'");
  }
  const accountId = ctx.store.settings.metadataServiceAccountId;
  if (accountId === undefined || ctx.store.getServiceAccount(accountId) === undefined) {
    throw errors.notFound("No service account is attached to this instance");
  }
  const nowMs = ctx.clock.nowMs();
  const record = ctx.store.issueToken(accountId, nowMs);
  exchange.log.subjectId = accountId;
  return ok({
    access_token: record.token,
    expires_in: Math.floor((record.expiresAtMs - nowMs) / 1000),
    token_type: "Bearer",
  });
}
