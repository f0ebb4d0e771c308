/**
 * pulumi-yandex-iam-token: a Yandex Cloud IAM token for a service account as a Pulumi resource,
 * renewed before it expires.
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
export { ServiceAccountIamToken } from "./serviceAccountIamToken";
export type { ServiceAccountIamTokenArgs, ServiceAccountIamTokenState } from "./serviceAccountIamToken";
export { DEFAULT_RENEW_BEFORE, MAX_TOKEN_LIFETIME_MS } from "../provider/renewal";
