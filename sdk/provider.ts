/**
 * The dynamic provider that Pulumi serializes into each resource's `__provider`.
 *
 * It is the provider *module object* itself. Pulumi's closure serializer turns a module that
 * lives under node_modules into a single `require("pulumi-yandex-iam-token/dist/provider/tokenResource.js")`,
 * so `__provider` stays a few hundred bytes, captures no secret, and refresh/destroy of old state
 * run the installed version of the provider.
 */
import type * as pulumi from "@pulumi/pulumi";
// A plain `require` keeps the module object itself (no interop wrapper), which is what the
// serializer recognises as a module under node_modules.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import handler = require("../provider/tokenResource");

/** The ServiceAccountIamToken dynamic provider. */
export const serviceAccountIamTokenProvider: pulumi.dynamic.ResourceProvider = handler;
