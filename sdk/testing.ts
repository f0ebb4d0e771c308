/**
 * What a stack's own tests need to drive `ServiceAccountIamToken` against the IAM emulator
 * (`pulumi-yandex-iam-token/emulator`): the names of the settings that point the provider at it
 * and move its clock, and the resource's type token, for finding the resource in a preview or an
 * exported stack.
 *
 * @module testing
 */
export { CLOCK_OFFSET_ENV } from "../provider/clock";
export { ENV_VARS, STACK_CONFIG_KEYS } from "../provider/settings";
export { SERVICE_ACCOUNT_IAM_TOKEN_TYPE } from "./serviceAccountIamToken";
