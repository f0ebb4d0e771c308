/**
 * The dynamic provider that Pulumi serializes into each resource's `__provider`.
 *
 * It is the provider *module object* itself. Pulumi's closure serializer turns a module that
 * lives under node_modules into a single `require("pulumi-yandex-iam-token/dist/provider/tokenResource.js")`,
 * so `__provider` stays a few hundred bytes, captures no secret, and refresh/destroy of old state
 * run the installed version of the provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import handler = require("../provider/tokenResource");

/** The ServiceAccountIamToken dynamic provider. */
export const serviceAccountIamTokenProvider: pulumi.dynamic.ResourceProvider = handler;
