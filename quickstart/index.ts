// The quick start: an IAM token for a service account, a resource that uses it, stack outputs.
//
// Stack config (scripts/quickstart.sh sets it for the emulator):
//   serviceAccountId    the service account to issue tokens for (required)
//   renewBefore         renewal margin, ISO 8601 duration (default PT1H)
//   emulatorUrl         the IAM emulator's URL; leave unset against the real cloud
//   emulatorAdminToken  the emulator's side-API secret (secret config)
// The provider's own credentials come from the environment or stack config (YC_TOKEN,
// YC_SERVICE_ACCOUNT_KEY_FILE, yandex:token, ...; see the README).
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";
import { TokenCheck } from "./tokenCheck";

const config = new pulumi.Config();

const token = new ServiceAccountIamToken("deployer", {
  serviceAccountId: config.require("serviceAccountId"),
  renewBefore: config.get("renewBefore") ?? "PT1H",
});

// A dependent resource: it receives the token (still a secret) and calls an API with it.
const check = new TokenCheck("deployer-check", {
  iamToken: token.iamToken,
  expiresAt: token.expiresAt,
  emulatorUrl: config.get("emulatorUrl"),
  emulatorAdminToken: config.getSecret("emulatorAdminToken"),
});

export const serviceAccountId = token.serviceAccountId;
/** Exactly as the IAM API returned it. */
export const expiresAt = token.expiresAt;
/** A secret output: `pulumi stack output iamToken --show-secrets` reveals it. */
export const iamToken = token.iamToken;
export const checkResult = check.result;
