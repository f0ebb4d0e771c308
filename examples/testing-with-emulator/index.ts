// The stack under test: an IAM token for a service account (stand-in for your own program).
//
// Stack config: serviceAccountId (required), renewBefore (optional, default PT1H).
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const config = new pulumi.Config();

const token = new ServiceAccountIamToken("deployer", {
  serviceAccountId: config.require("serviceAccountId"),
  renewBefore: config.get("renewBefore"),
});

export const expiresAt = token.expiresAt;
export const iamToken = token.iamToken; // secret
