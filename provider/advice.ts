/**
 * The catalogue of user-facing messages for failed IAM calls: for each failure, the likely cause
 * and the remedy, and the one-line message that carries them with the gRPC code name, the
 * server's message and the requestId (what Yandex support asks for).
 */
import type { IamCallFailure, IamOperation } from "./failure";
import { grpcCodeName } from "./grpcCodes";

const OPERATION_TEXT: Record<IamOperation, string> = {
  createForServiceAccount: "creating an IAM token for a service account (tokens:createForServiceAccount)",
  createFromOAuthToken: "exchanging the OAuth token for an IAM token (POST /iam/v1/tokens)",
  createFromJwt: "exchanging the service account key's JWT for an IAM token (POST /iam/v1/tokens)",
  revoke: "revoking an IAM token (tokens:revoke)",
  metadataToken: "getting the VM service account's token from the instance metadata service",
};

/** The likely cause and the remedy for one failure; the catalogue's entry. */
export interface FailureAdvice {
  /** Why this most likely happened. */
  cause: string;
  /** What the user should do. */
  action: string;
}

/**
 * The catalogue: likely cause and remedy for a failure, by gRPC code and operation.
 * Exported so the resource provider can reuse the same wording.
 */
export function adviceFor(
  init: Pick<
    IamCallFailure,
    "operation" | "kind" | "grpcCode" | "serviceAccountId" | "attempts" | "timeoutMs" | "endpoint"
  >,
): FailureAdvice {
  const sa = init.serviceAccountId ? `service account ${init.serviceAccountId}` : "the service account";
  const op = init.operation;
  if (init.kind === "malformed") {
    return {
      cause: `the answer did not have the documented shape; the endpoint${init.endpoint ? ` ${init.endpoint}` : ""} may not be a Yandex Cloud IAM API (a proxy, or a wrong YC_IAM_ENDPOINT / yandex-iam-token:iamEndpoint / YC_ENDPOINT / yandex:endpoint)`,
      action: "check the IAM endpoint setting; retrying will not help if the endpoint is wrong",
    };
  }
  if (init.kind === "redirect") {
    return {
      cause: `the endpoint${init.endpoint ? ` ${init.endpoint}` : ""} answered with a redirect, which is never followed: credentials would travel to wherever it points`,
      action: "set the endpoint setting to the URL that actually serves the IAM API; retrying will not help",
    };
  }
  if (init.kind === "oversized") {
    return {
      cause: `the answer of${init.endpoint ? ` ${init.endpoint}` : " the endpoint"} is larger than any IAM API answer; it was not read to the end. The endpoint is probably not a Yandex Cloud IAM API`,
      action: "check the IAM endpoint setting and any proxy on the way; retrying will not help",
    };
  }
  if (init.kind === "tls") {
    return {
      cause: `the TLS certificate of ${init.endpoint ?? "the endpoint"} is not trusted (self-signed, expired, or for another host)`,
      action:
        "for an emulator with a self-signed certificate set YC_IAM_CA_CERT_FILE (or stack config yandex-iam-token:iamCaCertFile) to its CA certificate; otherwise check the endpoint and any TLS-intercepting proxy",
    };
  }
  if (init.kind === "timeout") {
    return {
      cause: `no complete answer within ${init.timeoutMs ?? "the"} ms per attempt (${init.attempts} attempt(s)); the network or the IAM API is slow or unreachable`,
      action: "check connectivity to the IAM endpoint and try again; the per-attempt timeout can be raised",
    };
  }
  if (init.kind === "network") {
    return op === "metadataToken"
      ? {
          cause:
            "the instance metadata service did not answer; this code is probably not running on a Yandex Compute VM",
          action:
            "outside a VM, configure credentials (yandex:token, yandex:serviceAccountKeyFile, YC_TOKEN, YC_SERVICE_ACCOUNT_KEY_FILE or a yc CLI profile)",
        }
      : {
          cause: `the IAM API could not be reached (${init.attempts} attempt(s)): connection refused, reset or dropped`,
          action: "check network access and proxy settings for the IAM endpoint, then try again",
        };
  }
  switch (grpcCodeName(init.grpcCode)) {
    case "PERMISSION_DENIED":
      if (op === "createForServiceAccount") {
        return {
          cause: `the caller lacks the role iam.serviceAccounts.tokenCreator on ${sa} or on its folder (some deployments also answer PERMISSION_DENIED for a service account that does not exist)`,
          action: `check the service account id, then grant the caller the role, e.g. \`yc iam service-account add-access-binding ${init.serviceAccountId ?? "<id>"} --role iam.serviceAccounts.tokenCreator --subject <userAccount|serviceAccount>:<caller id>\``,
        };
      }
      if (op === "revoke") {
        return {
          cause: "the caller is not allowed to revoke this token",
          action:
            "revoke with credentials that are allowed to; or, to delete the resource without revoking, set `revokeOnDelete: false` on it, run `pulumi up`, then `pulumi destroy` (the token expires on its own within 12 hours)",
        };
      }
      return {
        cause:
          "the credentials were recognised but are not allowed to obtain an IAM token (a disabled account or key)",
        action: "check that the account and its key are active",
      };
    case "NOT_FOUND":
      if (op === "createForServiceAccount") {
        return {
          cause: `${sa} does not exist (or is in a cloud the caller cannot see)`,
          action: "check the service account id (`yc iam service-account list`)",
        };
      }
      if (op === "createFromJwt") {
        return {
          cause:
            "the authorized key (the JWT's kid) or its service account does not exist; the key may have been deleted",
          action: "create a new key with `yc iam key create` and point the key file setting at it",
        };
      }
      if (op === "metadataToken") {
        return {
          cause: "no service account is attached to this VM, so its metadata service has no token to give",
          action:
            "attach one (`yc compute instance update <vm> --service-account-id <id>`), or configure credentials explicitly (yandex:token, yandex:serviceAccountKeyFile, YC_TOKEN, YC_SERVICE_ACCOUNT_KEY_FILE or a yc CLI profile)",
        };
      }
      return { cause: "the requested object does not exist", action: "check the identifiers in the request" };
    case "UNAUTHENTICATED": {
      // Credentials of one installation are unknown to another's IAM API: a missing or wrong
      // API gateway setting looks exactly like an expired credential.
      const installation = `, or the credentials belong to another Yandex Cloud installation than the IAM endpoint ${init.endpoint ?? "in use"} (for Kazakhstan set yandex:endpoint or YC_ENDPOINT to api.yandexcloud.kz:443)`;
      if (op === "createFromOAuthToken") {
        return {
          cause: `the OAuth token is invalid, expired or revoked${installation}`,
          action:
            "get a new OAuth token (https://oauth.yandex.com/authorize?response_type=token&client_id=1a6990aa636648e9b2ef855fa7bec2fb) and set it again, or fix the endpoint setting",
        };
      }
      if (op === "createFromJwt") {
        return {
          cause: `the JWT was rejected: the key was revoked or replaced, this machine's clock is far off (iat/exp)${installation}`,
          action:
            "check the key file is current, the system clock is correct and the endpoint setting matches the key's installation",
        };
      }
      return {
        cause: `the caller's IAM token is invalid, expired or revoked${installation}`,
        action:
          "renew the credentials; a fixed IAM token (YC_TOKEN / yandex:token starting with t1.) lives at most 12 hours: get a new one with `yc iam create-token`, or configure an OAuth token or a key file that can be exchanged automatically",
      };
    }
    case "INVALID_ARGUMENT":
    case "FAILED_PRECONDITION":
      if (op === "metadataToken") {
        return {
          cause:
            "token access through the metadata service is disabled for this VM (its metadata options gce-http-token / gce-http-endpoint)",
          action:
            "enable it (`yc compute instance update <vm> --metadata-options gce-http-token=enabled`), or configure credentials explicitly",
        };
      }
      return {
        cause:
          op === "createForServiceAccount"
            ? `the request was rejected as invalid; the service account id may be malformed (at most 50 characters)`
            : "the request was rejected as invalid",
        action: "check the values sent (ids, key file contents); retrying will not help",
      };
    case "RESOURCE_EXHAUSTED":
      return {
        cause: `the IAM API is throttling requests (${init.attempts} attempt(s) made)`,
        action: "wait and try again, or reduce parallelism (`pulumi up --parallel`)",
      };
    case "UNAVAILABLE":
    case "INTERNAL":
    case "DEADLINE_EXCEEDED":
    case "UNKNOWN":
      return {
        cause: `the IAM API had a transient failure (${init.attempts} attempt(s) made)`,
        action: "try again later; if it persists, contact support with the requestId",
      };
    default:
      return { cause: "the IAM API refused the request", action: "see the server's message" };
  }
}

/** The whole message of a failed call: what failed, the code, the server's message, the cause and the remedy. */
export function formatFailureMessage(init: IamCallFailure): string {
  const advice = adviceFor(init);
  const target = init.serviceAccountId ? ` for service account ${init.serviceAccountId}` : "";
  const status = init.httpStatus === undefined ? "" : `, HTTP ${init.httpStatus}`;
  const request = init.requestId ? `; requestId ${init.requestId}` : "";
  const attempts = `; ${init.attempts} attempt${init.attempts === 1 ? "" : "s"}`;
  const server = init.serverMessage ? `: ${init.serverMessage}` : "";
  return (
    `Failed ${OPERATION_TEXT[init.operation]}${target}: ${grpcCodeName(init.grpcCode)} (gRPC ${init.grpcCode}${status}${request}${attempts})${server}. ` +
    `Likely cause: ${advice.cause}. What to do: ${advice.action}.`
  );
}
