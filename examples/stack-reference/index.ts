// A consumer stack: it does not issue tokens, it reads the one another stack keeps fresh.
//
// Stack config:
//   producerStack  the stack that exports `iamToken` and `expiresAt`, as
//                  `<organization>/<project>/<stack>` (a self-managed backend such as `file://`
//                  uses the organization `organization`, e.g. `organization/token-to-dependent/dev`)
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const producer = new pulumi.StackReference(config.require("producerStack"));

// The producer exports `iamToken` as a secret output; `requireOutput` hands it over still marked
// secret, so it stays encrypted in this stack's state and `[secret]` in its CLI output.
const iamToken = producer.requireOutput("iamToken") as pulumi.Output<string>;

// Values derived from it stay secret as well (`interpolate` and `apply` keep the mark).
export const authorizationHeader = pulumi.interpolate`Bearer ${iamToken}`;
// The `auth` field of a Docker config for Yandex Container Registry: base64 of `iam:<token>`.
export const registryAuth = iamToken.apply((token) => Buffer.from(`iam:${token}`).toString("base64"));
// Not a secret: when the token this stack last read expires. Run `pulumi up` here after each
// renewal in the producer (or at least before this instant) to pick up the new token.
export const tokenExpiresAt = producer.requireOutput("expiresAt");
