// An IAM token for a service account, handed to a resource that uses it and to stack outputs.
//
// Stack config:
//   serviceAccountId    the service account to issue tokens for (required)
//   emulatorUrl         the IAM emulator's URL; leave unset against the real cloud
//   emulatorAdminToken  the emulator's side-API secret (set it with --secret)
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";
import { TokenCheck } from "./tokenCheck";

const config = new pulumi.Config();

const token = new ServiceAccountIamToken("app", {
  serviceAccountId: config.require("serviceAccountId"),
  // Renew once less than 90 minutes of the (at most 12-hour) lifetime are left.
  renewBefore: "PT90M",
});

// 1. A resource that consumes the token. Its inputs depend on `iamToken` and `expiresAt`, so when
//    `pulumi preview` finds the token due for renewal, this resource shows as changing too, and
//    `pulumi up` runs it again with the new token.
const check = new TokenCheck("app-check", {
  iamToken: token.iamToken,
  expiresAt: token.expiresAt,
  emulatorUrl: config.get("emulatorUrl"),
  emulatorAdminToken: config.getSecret("emulatorAdminToken"),
});

// 2. Stack outputs. `iamToken` is a secret output (encrypted in state, `[secret]` in the CLI):
//    `pulumi stack output iamToken --show-secrets` reveals it, and another stack reading it with
//    a StackReference gets a secret too.
export const iamToken = token.iamToken;
export const expiresAt = token.expiresAt;
export const renewBefore = token.renewBefore;

// 3. Values derived from the token stay secret: `apply` and `interpolate` keep the secret mark.
export const authorizationHeader = pulumi.interpolate`Bearer ${token.iamToken}`;

export const checkResult = check.result;
