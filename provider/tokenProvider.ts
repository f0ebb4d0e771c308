/**
 * The ServiceAccountIamToken resource provider: Pulumi's configure/check/diff/create/read/update/
 * delete, turned into calls on the renewal policy and an IAM session.
 *
 * Built by a factory that takes its clock, its session factory and its reporter, so that tests
 * drive it on a manual clock and observe every IAM call it makes (or does not make). The module
 * that stack state requires, `tokenResource`, exports the methods of the default instance.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "./clock";
import type { IssuedToken } from "./apiClient";
import { IamApiError } from "./errors";
import { humanDuration, parseDurationMs, parseInstantMs } from "./instants";
import { DEFAULT_RENEW_BEFORE, renewalStatus, type RenewalStatus } from "./renewal";
import { CONFIGURED_STACK_CONFIG_KEYS, renamedKeyErrors } from "./settings";
import {
  type InputFailure,
  isSafeToShow,
  validateRenewBefore,
  validateRevokeOnDelete,
  validateServiceAccountId,
} from "./validation";

/**
 * The value Pulumi sends for an input that is not known yet during preview (`runtime.unknownValue`
 * in `@pulumi/pulumi`).
 */
export const PULUMI_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

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

/** What the provider needs from IAM: the two calls that issue and revoke tokens. */
export interface TokenIssuer {
  /** An IAM token for `serviceAccountId` (tokens:createForServiceAccount). */
  createTokenForServiceAccount(serviceAccountId: string): Promise<IssuedToken>;
  /** Revokes `iamToken` (tokens:revoke). */
  revokeToken(iamToken: string): Promise<void>;
}

/** The settings a session is built from: the stack config that `configure` received. */
export interface SessionSettings {
  /** Stack config values of the keys the provider reads, keyed `yandex:token`, ... */
  stackConfig: Record<string, string | undefined>;
}

/** Dependencies of {@link createTokenProvider}. */
export interface TokenProviderDependencies {
  /**
   * Where time comes from, for the settings `configure` received; called at most once per
   * configuration, on first use.
   */
  createClock: (settings: SessionSettings) => Clock;
  /**
   * Builds the IAM session after `configure`, on the provider's clock; called at most once per
   * configuration, on first use.
   */
  createSession: (settings: SessionSettings, clock: Clock) => TokenIssuer;
  /** Shows a line to the person running Pulumi (diagnostics); never receives a secret. */
  report: (message: string) => void;
}

/** A provider's result of `read`. */
export interface ReadResult {
  id: string;
  props: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

/** The dynamic provider's methods, as Pulumi calls them. */
export interface TokenProvider {
  /** Receives the stack config once per provider process. */
  configure(req: { config: ProviderConfig }): Promise<void>;
  /** Validates inputs so that bad ones fail at `pulumi preview`, naming the property. */
  check(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ inputs: Record<string, unknown>; failures: InputFailure[] }>;
  /** Plans the change; never calls the IAM API. */
  diff(
    id: string,
    olds: Partial<TokenOutputs>,
    news: Record<string, unknown>,
  ): Promise<{ changes: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  /** Issues the first token. */
  create(inputs: TokenInputs): Promise<{ id: string; outs: TokenOutputs }>;
  /** Refresh, `ServiceAccountIamToken.get` and import; never calls the IAM API. */
  read(id: string, props: Partial<TokenOutputs> & Record<string, unknown>): Promise<ReadResult>;
  /** Renews the token or records changed settings. */
  update(id: string, olds: Partial<TokenOutputs>, news: TokenInputs): Promise<{ outs: TokenOutputs }>;
  /** Forgets (and with `revokeOnDelete`, revokes) the token. */
  delete(id: string, props: Partial<TokenOutputs>): Promise<void>;
}

/**
 * Answers to a revoke that mean the token is already gone: 400 (revoked, expired or not a token
 * the API knows) and 404.
 */
const TOKEN_GONE_STATUSES: ReadonlySet<number> = new Set([400, 404]);

function isUnknown(value: unknown): boolean {
  return value === PULUMI_UNKNOWN_VALUE;
}

function effectiveRenewBefore(inputs: { renewBefore?: unknown }): string {
  return typeof inputs.renewBefore === "string" ? inputs.renewBefore : DEFAULT_RENEW_BEFORE;
}

/** Where a stored token stands at `nowMs` under `renewBefore`. */
function statusOf(outputs: Partial<TokenOutputs>, renewBefore: string, nowMs: number): RenewalStatus {
  const expiresAtMs =
    typeof outputs.expiresAt === "string" && typeof outputs.iamToken === "string" && outputs.iamToken !== ""
      ? parseInstantMs(outputs.expiresAt)
      : undefined;
  // A renewBefore that check accepted always parses; the fallback only guards old state.
  const renewBeforeMs = parseDurationMs(renewBefore) ?? parseDurationMs(DEFAULT_RENEW_BEFORE)!;
  return renewalStatus(expiresAtMs, nowMs, renewBeforeMs);
}

/** What happens next to a token that is not fresh: in a plan, and in a refresh (which only reports). */
const OUTCOME = {
  plan: { renew: "it will be renewed.", issue: "a new one will be issued." },
  refresh: {
    renew: "refresh leaves it as it is; the next `pulumi up` renews it.",
    issue: "the next `pulumi up` issues one.",
  },
} as const;

function describeRenewal(
  serviceAccountId: string,
  expiresAt: string | undefined,
  status: RenewalStatus,
  renewBefore: string,
  when: keyof typeof OUTCOME,
): string {
  const subject = `IAM token for service account ${serviceAccountId}`;
  const outcome = OUTCOME[when];
  switch (status.state) {
    case "expired":
      return `${subject} expired at ${expiresAt} (${humanDuration(status.expiredForMs)} ago): ${outcome.renew}`;
    case "due":
      return `${subject} expires at ${expiresAt} (in ${humanDuration(status.expiresInMs)}), inside its renewal window (renewBefore ${renewBefore}): ${outcome.renew}`;
    case "missing":
      return `${subject} has no token in state: ${outcome.issue}`;
    case "fresh":
      return `${subject} is valid until ${expiresAt}.`;
  }
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

/** Builds a provider on the given clock, session factory and reporter. */
export function createTokenProvider(dependencies: TokenProviderDependencies): TokenProvider {
  const { report } = dependencies;
  let stackConfig: Record<string, string | undefined> = {};
  let session: TokenIssuer | undefined;
  let clock: Clock | undefined;

  function currentClock(): Clock {
    clock ??= dependencies.createClock({ stackConfig });
    return clock;
  }

  function issuer(): TokenIssuer {
    session ??= dependencies.createSession({ stackConfig }, currentClock());
    return session;
  }

  const nowMs = (): number => currentClock().now().toMillis();

  async function issue(inputs: {
    serviceAccountId: string;
    renewBefore?: unknown;
    revokeOnDelete?: unknown;
  }): Promise<TokenOutputs> {
    const issued = await issuer().createTokenForServiceAccount(inputs.serviceAccountId);
    return {
      serviceAccountId: inputs.serviceAccountId,
      renewBefore: effectiveRenewBefore(inputs),
      revokeOnDelete: inputs.revokeOnDelete === true,
      iamToken: issued.iamToken,
      expiresAt: issued.expiresAt,
    };
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

  return {
    /**
     * Only the keys of the credential chain are kept, in memory; secret values arrive here as
     * plaintext and never leave the process.
     */
    async configure(req) {
      stackConfig = Object.fromEntries(CONFIGURED_STACK_CONFIG_KEYS.map((key) => [key, req.config.get(key)]));
      session = undefined;
      clock = undefined;
    },

    /** Also refuses stack config keys of earlier versions, so that `preview` names the new key. */
    async check(_olds, news) {
      const renamed = renamedKeyErrors(stackConfig);
      if (renamed.length > 0) throw new Error(renamed.join(" "));
      const failures: InputFailure[] = [
        ...(isUnknown(news.serviceAccountId) ? [] : validateServiceAccountId(news.serviceAccountId)),
        ...(isUnknown(news.renewBefore) ? [] : validateRenewBefore(news.renewBefore)),
        ...(isUnknown(news.revokeOnDelete) ? [] : validateRevokeOnDelete(news.revokeOnDelete)),
      ];
      // The engine prints a failing property's value next to the reason; a value that could be a
      // credential is reported without the property (the reason names it) so that it is not shown.
      const shown = failures.map((failure) =>
        isSafeToShow(news[failure.property]) ? failure : { ...failure, property: "" },
      );
      // Absent properties must stay absent: the provider host cannot encode `undefined`.
      const inputs: Record<string, unknown> = {};
      for (const key of ["serviceAccountId", "renewBefore", "revokeOnDelete"]) {
        if (news[key] !== undefined && news[key] !== null) inputs[key] = news[key];
      }
      return { inputs, failures: shown };
    },

    /**
     * A new `serviceAccountId` replaces; a token that is expired or inside its renewal window is
     * an update (renewal), explained in the diagnostics; a fresh token is no change and costs no
     * API call. The dynamic-provider protocol has no detailed diff, so the report is how `preview`
     * explains why a token shows as changing.
     */
    async diff(_id, olds, news) {
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

      const status = statusOf(olds, renewBefore, nowMs());
      if (status.state !== "fresh") {
        report(describeRenewal(olds.serviceAccountId ?? "?", olds.expiresAt, status, renewBefore, "plan"));
        return { changes: true };
      }
      return { changes: settingsChanged };
    },

    async create(inputs) {
      const outs = await issue(inputs);
      return { id: newResourceId(inputs.serviceAccountId), outs };
    },

    /**
     * Renews the token when it is expired, due or missing under the new settings, and otherwise
     * only records changed settings. The id never changes.
     */
    async update(_id, olds, news) {
      const renewBefore = effectiveRenewBefore(news);
      const status = statusOf(olds, renewBefore, nowMs());
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
    },

    /**
     * Refresh, `ServiceAccountIamToken.get` and import. Never calls the IAM API: the engine also
     * runs `read` in `preview --refresh` and `refresh --preview-only`, which must change nothing,
     * and the API has no call that reads an existing token back. A stored token is returned as
     * it is, with a diagnostic when it is expired or due (the next `up` renews it: the plan
     * decides that). A resource with no state (import, or `.get` without `state`) is adopted
     * with no token; the next `up` of a managed resource issues one.
     */
    async read(id, props) {
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
      if (typeof props.serviceAccountId !== "string") {
        report(
          `ServiceAccountIamToken ${id} was read with no token (the IAM API cannot read a token back): ` +
            `an imported resource gets one at the next \`pulumi up\`; \`.get\` returns only what its \`state\` holds.`,
        );
        return {
          id,
          props: { serviceAccountId, renewBefore: DEFAULT_RENEW_BEFORE, revokeOnDelete: false },
          inputs: { serviceAccountId },
        };
      }
      const renewBefore = typeof props.renewBefore === "string" ? props.renewBefore : DEFAULT_RENEW_BEFORE;
      const status = statusOf(props, renewBefore, nowMs());
      if (status.state !== "fresh") {
        report(describeRenewal(serviceAccountId, props.expiresAt, status, renewBefore, "refresh"));
      }
      return { id, props };
    },

    /**
     * By default nothing is revoked: the API may have handed the same token to other consumers,
     * and it expires on its own within 12 hours. With `revokeOnDelete: true` the token is
     * revoked, which also cuts off every other holder of that same token.
     */
    async delete(_id, props) {
      if (props.revokeOnDelete !== true || !props.iamToken || !props.expiresAt) {
        return;
      }
      const expiresAtMs = parseInstantMs(props.expiresAt);
      if (expiresAtMs !== undefined && expiresAtMs <= nowMs()) {
        return; // an expired token needs no revocation, and the API would refuse the caller anyway
      }
      try {
        await issuer().revokeToken(props.iamToken);
      } catch (error) {
        // Already revoked (perhaps by an attempt whose answer was lost), revoked elsewhere, or
        // unknown: the token is gone, which is what delete wants. Failing here would block every
        // `destroy` until the token expires.
        if (!(error instanceof IamApiError) || !TOKEN_GONE_STATUSES.has(error.httpStatus ?? 0)) throw error;
        report(
          `IAM token for service account ${props.serviceAccountId ?? "?"} was already revoked, expired or unknown to the IAM API ` +
            `(${error.grpcCodeName}${error.requestId ? `, requestId ${error.requestId}` : ""}): nothing left to revoke; the resource is deleted.`,
        );
      }
    },
  };
}
