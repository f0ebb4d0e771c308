import type { EmulatorClock } from "./clock";
import { ApiError, errors, EXACTLY_ONE_CREDENTIAL_MESSAGE } from "./errors";
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
  const body = jsonBody(exchange);
  const hasOAuth = optionalPresent(body, "yandexPassportOauthToken");
  const hasJwt = optionalPresent(body, "jwt");
  if (hasOAuth === hasJwt) throw badField(EXACTLY_ONE_CREDENTIAL_MESSAGE);
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
      iatSkewSeconds: ctx.store.settings.jwtIatSkewSeconds,
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
  const body = jsonBody(exchange);
  const caller = authenticate(ctx, exchange);
  const serviceAccountId = requiredString(body, "serviceAccountId", badField, LIMITS.serviceAccountId);
  exchange.log.targetServiceAccountId = serviceAccountId;
  const denied = (): ApiError =>
    errors.permissionDenied(
      `Permission denied: iam.serviceAccounts.tokenCreator is required on service account ${serviceAccountId}`,
    );
  const account = ctx.store.getServiceAccount(serviceAccountId);
  if (account === undefined) {
    // Which code the real API uses here is not documented: a setting picks it. With
    // PERMISSION_DENIED the answer is the same as for a missing role, as an API answers that does
    // not reveal which accounts exist.
    if (ctx.store.settings.unknownServiceAccountCode === "PERMISSION_DENIED") throw denied();
    throw errors.notFound(`Service account ${serviceAccountId} not found`);
  }
  if (!ctx.store.canCreateTokenFor(caller.subjectId, account)) throw denied();
  return tokenReply(ctx.store.issueToken(serviceAccountId, ctx.clock.nowMs()));
}

/**
 * `POST /iam/v1/tokens:revoke`. As documented, any authenticated caller who holds a token may
 * revoke it, whoever its subject. An unknown, revoked or expired token is a 400 (not documented:
 * there is nothing to revoke and no subject to report, so the request is treated as invalid).
 */
export function revoke(ctx: IamApiContext, exchange: Exchange): Reply {
  const body = jsonBody(exchange);
  authenticate(ctx, exchange);
  const token = requiredString(body, "iamToken", badField, LIMITS.iamToken);
  const target = ctx.store.validateToken(token, ctx.clock.nowMs());
  if (target === undefined) throw errors.invalidArgument("iamToken is invalid or has expired");
  ctx.store.revokeToken(token);
  return ok({ subjectId: target.subjectId });
}

/**
 * A plain-text answer of the metadata service. The metadata service is not the IAM API: its
 * errors are not google.rpc.Status JSON, and clients must go by the HTTP status alone.
 */
function metadataText(status: number, text: string): Reply {
  return { status, body: `${text}\n`, raw: true, contentType: "text/plain; charset=utf-8" };
}

/**
 * `GET /computeMetadata/v1/instance/service-accounts/default/token`: the VM's service account
 * token, as the metadata service answers it (`expires_in` in whole seconds). The failures follow
 * the documentation: 400 when the VM's `gce-http-endpoint` or `gce-http-token` option is
 * disabled, 404 when no service account is attached to the VM (Yandex's Go SDK reads a 404 so).
 */
export function metadataToken(ctx: IamApiContext, exchange: Exchange): Reply {
  if (exchange.req.headers["metadata-flavor"] !== "Google") {
    return metadataText(403, "Missing required header: 'Metadata-Flavor: Google'");
  }
  const settings = ctx.store.settings;
  if (settings.metadataGceHttpEndpoint === "disabled") {
    return metadataText(
      400,
      "Bad Request: access to metadata in the Google Compute Engine format is disabled",
    );
  }
  if (settings.metadataGceHttpToken === "disabled") {
    return metadataText(400, "Bad Request: getting the service account token from metadata is disabled");
  }
  const accountId = settings.metadataServiceAccountId;
  if (accountId === undefined || ctx.store.getServiceAccount(accountId) === undefined) {
    return metadataText(404, "Not Found: no service account is attached to this instance");
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
