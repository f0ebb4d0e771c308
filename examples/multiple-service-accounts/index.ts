// IAM tokens for several service accounts in one stack, each renewed on its own schedule.
//
// Stack config: the service account ids, one key per consumer
//   ciServiceAccountId, monitoringServiceAccountId, backupServiceAccountId
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const config = new pulumi.Config();

// `renewBefore` says how much life a token must still have at deploy time. Pick it from how long
// the consumer keeps using a token after `pulumi up` handed it over.
const consumers = [
  // CI pipelines read the token once at the start and may run for up to 2 hours.
  { name: "ci", serviceAccountId: config.require("ciServiceAccountId"), renewBefore: "PT2H" },
  // The monitoring agent re-reads its token every few minutes: 30 minutes of margin is plenty.
  {
    name: "monitoring",
    serviceAccountId: config.require("monitoringServiceAccountId"),
    renewBefore: "PT30M",
  },
  // No renewBefore: the default, PT1H.
  { name: "backup", serviceAccountId: config.require("backupServiceAccountId") },
];

const tokens: Record<string, ServiceAccountIamToken> = {};
for (const consumer of consumers) {
  tokens[consumer.name] = new ServiceAccountIamToken(consumer.name, {
    serviceAccountId: consumer.serviceAccountId,
    renewBefore: consumer.renewBefore,
  });
}

/** When each token expires, keyed by consumer (plain values). */
export const expiresAt = pulumi.all(
  Object.fromEntries(Object.entries(tokens).map(([name, token]) => [name, token.expiresAt])),
);
/** The renewal margin in effect for each token. */
export const renewBefore = pulumi.all(
  Object.fromEntries(Object.entries(tokens).map(([name, token]) => [name, token.renewBefore])),
);
/** The tokens themselves, keyed by consumer: one secret output. */
export const iamTokens = pulumi.all(
  Object.fromEntries(Object.entries(tokens).map(([name, token]) => [name, token.iamToken])),
);
