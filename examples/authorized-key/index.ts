// The provider authenticates as a "deployer" service account with an authorized key file: it
// signs a JWT (PS256) with the key and exchanges it for its own IAM token, then issues tokens for
// the target service account, on which the deployer holds iam.serviceAccounts.tokenCreator.
//
// Nothing in the program mentions the key. It reaches the provider through one of:
//   pulumi config set --secret yandex:serviceAccountKeyFile "$(cat key.json)"   (stack config)
//   export YC_SERVICE_ACCOUNT_KEY_FILE=$PWD/key.json                             (environment)
// Stack config wins over the environment. Never capture credentials in the program: the
// provider reads them when it runs, so they never end up in the state.
//
// Stack config: serviceAccountId, the target service account (required).
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const config = new pulumi.Config();

const token = new ServiceAccountIamToken("app", {
  serviceAccountId: config.require("serviceAccountId"),
});

export const serviceAccountId = token.serviceAccountId;
export const expiresAt = token.expiresAt;
export const iamToken = token.iamToken; // secret
