/**
 * The ServiceAccountIamToken resource provider: Pulumi's check/diff/create/read/update/delete,
 * turned into calls on the renewal policy and the IAM session.
 *
 * This module runs inside the dynamic-provider process. The SDK's serialized provider reaches
 * it with a `require` through node_modules, so its module state (the stack config handed to
 * `configure` and the IAM session with its caller token) lives once per provider process and is
 * never serialized into state.
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import { type Clock, clockFromEnvironment } from "./clock";
import { STACK_CONFIG_KEYS } from "./credentials";
import { createIamSession, type IamSession } from "./session";
import {
  DEFAULT_RENEW_BEFORE,
  humanDuration,
  parseDurationMs,
  parseInstantMs,
  renewalStatus,
  type RenewalStatus,
} from "./renewal";
import {
  type InputFailure,
  validateRenewBefore,
  validateRevokeOnDelete,
  validateServiceAccountId,
} from "./validation";

/** The value Pulumi sends for an input that is not known yet during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Inputs as stored by `check`. */
export interface TokenInputs {
  serviceAccountId: string;
  renewBefore?: string;
  revokeOnDelete?: boolean;
}

/** Outputs as stored in state. `iamToken` is marked secret by the SDK class. */
export interface TokenOutputs {
  serviceAccountId: string;
  /** The effective renewal margin (the input, or {@link DEFAULT_RENEW_BEFORE}). */
  renewBefore: string;
  revokeOnDelete: boolean;
  iamToken: string;
  /** Exactly the string the API returned. */
  expiresAt: string;
}

/** The subset of Pulumi's dynamic `Config` that `configure` uses. */
export interface ProviderConfig {
  get(key: string): string | undefined;
}

interface ProcessState {
  stackConfig: Record<string, string | undefined>;
  session?: IamSession;
  clock?: Clock;
}

const processState: ProcessState = { stackConfig: {} };

/**
 * Receives the stack config once per provider process. Only the `yandex:` keys of the credential
 * chain are kept, in memory; secret values arrive here as plaintext and never leave the process.
 */
export async function configure(req: { config: ProviderConfig }): Promise<void> {
  processState.stackConfig = Object.fromEntries(
    Object.values(STACK_CONFIG_KEYS).map((key) => [key, req.config.get(key)]),
  );
  processState.session = undefined;
}

function clock(): Clock {
  processState.clock ??= clockFromEnvironment(process.env);
  return processState.clock;
}

function session(): IamSession {
  processState.session ??= createIamSession({
    stackConfig: processState.stackConfig,
    env: process.env,
    homeDir: os.homedir(),
    clock: clock(),
    logger: report,
  });
  return processState.session;
}

/**
 * Writes a line the person running Pulumi sees: the engine shows the provider's stderr as
 * diagnostics. The dynamic-provider protocol has no detailed diff, so this is how `preview`
 * explains why a token shows as changing.
 */
function report(message: string): void {
  process.stderr.write(`pulumi-yandex-iam-token: ${message}\n`);
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/** Validates inputs so that bad ones fail at `pulumi preview`, naming the property. */
export async function check(
  _olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<{ inputs: Record<string, unknown>; failures: InputFailure[] }> {
  const failures: InputFailure[] = [
    ...(isUnknown(news.serviceAccountId) ? [] : validateServiceAccountId(news.serviceAccountId)),
    ...(isUnknown(news.renewBefore) ? [] : validateRenewBefore(news.renewBefore)),
    ...(isUnknown(news.revokeOnDelete) ? [] : validateRevokeOnDelete(news.revokeOnDelete)),
  ];
  // Absent properties must stay absent: the provider host cannot encode `undefined`.
  const inputs: Record<string, unknown> = {};
  for (const key of ["serviceAccountId", "renewBefore", "revokeOnDelete"]) {
    if (news[key] !== undefined && news[key] !== null) inputs[key] = news[key];
  }
  return { inputs, failures };
}

function effectiveRenewBefore(inputs: { renewBefore?: unknown }): string {
  return typeof inputs.renewBefore === "string" ? inputs.renewBefore : DEFAULT_RENEW_BEFORE;
}

function statusOf(outputs: Partial<TokenOutputs>, renewBefore: string, nowMs: number): RenewalStatus {
  const expiresAtMs =
    typeof outputs.expiresAt === "string" && typeof outputs.iamToken === "string" && outputs.iamToken !== ""
      ? parseInstantMs(outputs.expiresAt)
      : undefined;
  // A renewBefore that check accepted always parses; the fallback only guards old state.
  const renewBeforeMs = parseDurationMs(renewBefore) ?? parseDurationMs(DEFAULT_RENEW_BEFORE)!;
  return renewalStatus(expiresAtMs, nowMs, renewBeforeMs);
}

function describeRenewal(
  serviceAccountId: string,
  expiresAt: string | undefined,
  status: RenewalStatus,
  renewBefore: string,
): string {
  const subject = `IAM token for service account ${serviceAccountId}`;
  switch (status.state) {
    case "expired":
      return `${subject} expired at ${expiresAt} (${humanDuration(status.expiredForMs)} ago): it will be renewed.`;
    case "due":
      return `${subject} expires at ${expiresAt} (in ${humanDuration(status.expiresInMs)}), inside its renewal window (renewBefore ${renewBefore}): it will be renewed.`;
    case "missing":
      return `${subject} has no token in state: a new one will be issued.`;
    case "fresh":
      return `${subject} is valid until ${expiresAt}.`;
  }
}

/**
 * Plans the change: a new `serviceAccountId` replaces; a token that is expired or inside its
 * renewal window is an update (renewal), explained on stderr; a fresh token is no change and
 * costs no API call.
 */
export async function diff(
  _id: string,
  olds: Partial<TokenOutputs>,
  news: Record<string, unknown>,
): Promise<{ changes: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }> {
  if (isUnknown(news.serviceAccountId) || news.serviceAccountId !== olds.serviceAccountId) {
    return { changes: true, replaces: ["serviceAccountId"], deleteBeforeReplace: false };
  }
  const renewBefore = isUnknown(news.renewBefore)
    ? (olds.renewBefore ?? DEFAULT_RENEW_BEFORE)
    : effectiveRenewBefore(news);
  const revokeOnDelete = news.revokeOnDelete === true;
  const settingsChanged =
    isUnknown(news.renewBefore) ||
    isUnknown(news.revokeOnDelete) ||
    renewBefore !== (olds.renewBefore ?? DEFAULT_RENEW_BEFORE) ||
    revokeOnDelete !== (olds.revokeOnDelete === true);

  const status = statusOf(olds, renewBefore, clock().now().toMillis());
  if (status.state !== "fresh") {
    report(describeRenewal(olds.serviceAccountId ?? "?", olds.expiresAt, status, renewBefore));
    return { changes: true };
  }
  return { changes: settingsChanged };
}

function newResourceId(serviceAccountId: string): string {
  // Stable for the resource's life and never the token: the API may hand one token to several callers.
  return `${serviceAccountId}/${randomBytes(6).toString("hex")}`;
}

/** Extracts the service account id from a resource id (`<serviceAccountId>/<suffix>` or a bare id, for import). */
export function serviceAccountIdFromResourceId(id: string): string | undefined {
  const candidate = id.split("/")[0];
  return validateServiceAccountId(candidate).length === 0 ? candidate : undefined;
}

async function issue(inputs: {
  serviceAccountId: string;
  renewBefore?: unknown;
  revokeOnDelete?: unknown;
}): Promise<TokenOutputs> {
  const issued = await session().createTokenForServiceAccount(inputs.serviceAccountId);
  return {
    serviceAccountId: inputs.serviceAccountId,
    renewBefore: effectiveRenewBefore(inputs),
    revokeOnDelete: inputs.revokeOnDelete === true,
    iamToken: issued.iamToken,
    expiresAt: issued.expiresAt,
  };
}

/** Issues the first token. */
export async function create(inputs: TokenInputs): Promise<{ id: string; outs: TokenOutputs }> {
  const outs = await issue(inputs);
  return { id: newResourceId(inputs.serviceAccountId), outs };
}

/**
 * Renews the token when it is expired, due or missing under the new settings, and otherwise only
 * records changed settings. The id never changes.
 */
export async function update(
  _id: string,
  olds: Partial<TokenOutputs>,
  news: TokenInputs,
): Promise<{ outs: TokenOutputs }> {
  const renewBefore = effectiveRenewBefore(news);
  const status = statusOf(olds, renewBefore, clock().now().toMillis());
  if (status.state === "fresh" && olds.iamToken && olds.expiresAt) {
    return {
      outs: {
        serviceAccountId: news.serviceAccountId,
        renewBefore,
        revokeOnDelete: news.revokeOnDelete === true,
        iamToken: olds.iamToken,
        expiresAt: olds.expiresAt,
      },
    };
  }
  const outs = await issue(news);
  warnIfReissued(olds, outs);
  return { outs };
}

/**
 * The API may answer a renewal with the token it already issued while that token's expiry is far
 * away. The renewal then changes nothing and the token stays due; say so, with what to change.
 */
function warnIfReissued(olds: Partial<TokenOutputs>, outs: TokenOutputs): void {
  if (olds.iamToken !== undefined && outs.iamToken === olds.iamToken) {
    report(
      `the IAM API returned the same token for service account ${outs.serviceAccountId} again (expires at ${outs.expiresAt}): ` +
        `it reuses a token while much of its life is left. With renewBefore ${outs.renewBefore} the token stays due; ` +
        `a renewBefore well below half the 12 h lifetime (such as the default PT1H) avoids this.`,
    );
  }
}

/**
 * Refresh, `ServiceAccountIamToken.get` and import. A stored token that is still fresh is
 * returned as is, without any API call; a missing, expired or due one is replaced by a new
 * token, so that state never claims a token that no longer works.
 */
export async function read(
  id: string,
  props: Partial<TokenOutputs> & Record<string, unknown>,
): Promise<{ id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> }> {
  const serviceAccountId =
    typeof props.serviceAccountId === "string" && props.serviceAccountId !== ""
      ? props.serviceAccountId
      : serviceAccountIdFromResourceId(id);
  if (!serviceAccountId) {
    throw new Error(
      `cannot read ServiceAccountIamToken "${id}": the id must be "<serviceAccountId>" or "<serviceAccountId>/<suffix>", ` +
        `with a service account id made of letters and digits`,
    );
  }
  const renewBefore = typeof props.renewBefore === "string" ? props.renewBefore : DEFAULT_RENEW_BEFORE;
  const status = statusOf(props, renewBefore, clock().now().toMillis());
  if (status.state === "fresh") {
    return { id, props };
  }
  const importing = typeof props.serviceAccountId !== "string";
  if (!importing) {
    report(describeRenewal(serviceAccountId, props.expiresAt, status, renewBefore));
  }
  const outs = await issue({
    serviceAccountId,
    renewBefore: props.renewBefore,
    revokeOnDelete: props.revokeOnDelete,
  });
  warnIfReissued(props, outs);
  const result: { id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> } = {
    id,
    props: { ...props, ...outs },
  };
  if (importing) {
    result.inputs = { serviceAccountId };
  }
  return result;
}

/**
 * Forgets the token. By default nothing is revoked: the API may have handed the same token to
 * other consumers, and it expires on its own within 12 hours. With `revokeOnDelete: true` the
 * token is revoked, which also cuts off every other holder of that same token.
 */
export async function deleteToken(_id: string, props: Partial<TokenOutputs>): Promise<void> {
  if (props.revokeOnDelete !== true || !props.iamToken || !props.expiresAt) {
    return;
  }
  const expiresAtMs = parseInstantMs(props.expiresAt);
  if (expiresAtMs !== undefined && expiresAtMs <= clock().now().toMillis()) {
    return; // an expired token needs no revocation, and the API would refuse the caller anyway
  }
  await session().revokeToken(props.iamToken);
}

// `delete` is a reserved word for a function declaration, but the provider protocol needs a
// method of that name on the module object that Pulumi serializes as the provider.
export { deleteToken as delete };
