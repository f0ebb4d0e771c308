import * as pulumi from "@pulumi/pulumi";
import { serviceAccountIamTokenProvider } from "./provider";

/** Arguments of {@link ServiceAccountIamToken}. */
export interface ServiceAccountIamTokenArgs {
  /**
   * Id of the service account to issue IAM tokens for (letters and digits, at most 50
   * characters). The caller (see the README's authentication chain) needs the role
   * `iam.serviceAccounts.tokenCreator` on it or on its folder. Changing it replaces the resource.
   */
  serviceAccountId: pulumi.Input<string>;
  /**
   * How long before `expiresAt` the token is due for renewal, as an ISO 8601 duration
   * (`"PT1H"`, `"PT30M"`). Positive and shorter than the 12-hour token lifetime.
   * Default `"PT1H"`: once less than an hour of life is left (or the token has expired),
   * `pulumi preview` shows the token as changing and `pulumi up` renews it.
   */
  renewBefore?: pulumi.Input<string>;
  /**
   * Revoke the token when the resource is deleted. Default `false`: the IAM API may return the
   * same token to several callers for the same service account, so revoking it also cuts off
   * every other holder; left alone, it expires within 12 hours. Tokens replaced by a renewal
   * are never revoked, for the same reason.
   */
  revokeOnDelete?: pulumi.Input<boolean>;
}

/**
 * The state of a {@link ServiceAccountIamToken} as Pulumi stores it, for
 * {@link ServiceAccountIamToken.get}: every property is optional.
 */
export interface ServiceAccountIamTokenState {
  /** The service account the token belongs to. */
  serviceAccountId?: pulumi.Input<string>;
  /** The renewal margin in effect, an ISO 8601 duration. */
  renewBefore?: pulumi.Input<string>;
  /** Whether deleting the resource revokes the token. */
  revokeOnDelete?: pulumi.Input<boolean>;
  /** The IAM token (a secret). */
  iamToken?: pulumi.Input<string>;
  /** When the token expires, RFC 3339 as the IAM API returned it. */
  expiresAt?: pulumi.Input<string>;
}

/** The module of the resource's type token. */
const TYPE_MODULE = "yandex-iam";
/** The name of the resource's type. */
const TYPE_NAME = "ServiceAccountIamToken";

/**
 * The resource's type token as Pulumi shows it (`pulumi stack export`, `pulumi import`, the CLI's
 * resource list): a dynamic resource of module `yandex-iam`.
 */
export const SERVICE_ACCOUNT_IAM_TOKEN_TYPE = `pulumi-nodejs:dynamic/${TYPE_MODULE}:${TYPE_NAME}`;

/**
 * A Yandex Cloud IAM token for a service account, renewed before it expires.
 *
 * `pulumi preview` shows the token as an update, with the reason in its diagnostics, once it is
 * expired or within `renewBefore` of `expiresAt`; `pulumi up` then issues a new token (same
 * resource id), and every resource that consumes `iamToken` or `expiresAt` is updated too. A
 * fresh token costs no API call in preview, up or refresh.
 *
 * @example
 * ```ts
 * const token = new ServiceAccountIamToken("ci", { serviceAccountId: "ajexxxxxxxxxxxxxxxxx" });
 * export const tokenExpiresAt = token.expiresAt;
 * ```
 */
export class ServiceAccountIamToken extends pulumi.dynamic.Resource {
  /** The IAM token (a secret: encrypted in state and masked in outputs). */
  declare readonly iamToken: pulumi.Output<string>;
  /** When the token expires: RFC 3339, exactly as the IAM API returned it (0 to 9 fraction digits). */
  declare readonly expiresAt: pulumi.Output<string>;
  /** The service account the token belongs to. */
  declare readonly serviceAccountId: pulumi.Output<string>;
  /** The renewal margin in effect (the input, or the default `"PT1H"`). */
  declare readonly renewBefore: pulumi.Output<string>;
  /** Whether deleting the resource revokes the token. */
  declare readonly revokeOnDelete: pulumi.Output<boolean>;

  /**
   * @param name - the resource's unique name in the stack.
   * @param args - the service account and renewal settings.
   * @param opts - standard resource options; `additionalSecretOutputs` always includes `iamToken`.
   */
  constructor(name: string, args: ServiceAccountIamTokenArgs, opts?: pulumi.CustomResourceOptions);
  /**
   * @param name - the resource's unique name in the stack.
   * @param argsOrState - the arguments, or, with `opts.id` (what {@link ServiceAccountIamToken.get}
   *   passes), the known state of an existing resource.
   * @param opts - standard resource options; `additionalSecretOutputs` always includes `iamToken`.
   */
  constructor(
    name: string,
    argsOrState?: ServiceAccountIamTokenArgs | ServiceAccountIamTokenState,
    opts?: pulumi.CustomResourceOptions,
  );
  constructor(
    name: string,
    argsOrState?: ServiceAccountIamTokenArgs | ServiceAccountIamTokenState,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const state: ServiceAccountIamTokenState | undefined = opts?.id
      ? (argsOrState as ServiceAccountIamTokenState | undefined)
      : undefined;
    super(
      serviceAccountIamTokenProvider,
      name,
      {
        serviceAccountId: argsOrState?.serviceAccountId,
        renewBefore: argsOrState?.renewBefore,
        revokeOnDelete: argsOrState?.revokeOnDelete,
        iamToken: state?.iamToken,
        expiresAt: state?.expiresAt,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["iamToken"] }),
      TYPE_MODULE,
      TYPE_NAME,
    );
  }

  /**
   * Reads an existing token resource into the program by id (`<serviceAccountId>/<suffix>`, or a
   * bare service account id to start tracking a token for it), like every Pulumi resource's `get`.
   *
   * @param name - the resource's name in this program.
   * @param id - the resource id.
   * @param state - known properties of the resource, if any.
   * @param opts - standard resource options.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: ServiceAccountIamTokenState,
    opts?: pulumi.CustomResourceOptions,
  ): ServiceAccountIamToken {
    return new ServiceAccountIamToken(name, state, { ...opts, id });
  }
}
