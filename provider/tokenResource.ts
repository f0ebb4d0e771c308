/**
 * The module that every stack's state names in `__provider`: the SDK's serialized provider is a
 * `require` of this path through node_modules. Its path and the names of its exports are a
 * compatibility contract with existing state (refresh and destroy load the provider stored
 * there), so they never change.
 *
 * It exports the methods of the default provider instance: the real clock (shifted by the test
 * hook in the environment, when set), an IAM session over the stack config, the environment and
 * the yc CLI config, and diagnostics on stderr, which the engine shows to the person running
 * Pulumi. The instance lives once per provider process.
 */
import * as os from "node:os";
import { CLOCK_OFFSET_ENV, type Clock, clockFromEnvironment, systemClock } from "./clock";
import { isLoopbackHost } from "./endpoints";
import { createIamSession } from "./session";
import { resolveIamEndpoint } from "./settings";
import { type SessionSettings, createTokenProvider } from "./tokenProvider";

export type { ProviderConfig, TokenInputs, TokenOutputs } from "./tokenProvider";
export { serviceAccountIdFromResourceId } from "./tokenProvider";

function report(message: string): void {
  process.stderr.write(`pulumi-yandex-iam-token: ${message}\n`);
}

/**
 * The real clock, or with the test hook {@link CLOCK_OFFSET_ENV} a shifted one, which is refused
 * unless the IAM endpoint is on this machine: against the real cloud a provider running hours
 * ahead would renew tokens early and report expiries that have not happened.
 *
 * @throws Error naming the variable and the endpoint
 */
function providerClock({ stackConfig }: SessionSettings): Clock {
  const clock = clockFromEnvironment(process.env);
  if (clock === systemClock) return clock;
  const { endpoint, endpointSource } = resolveIamEndpoint({ stackConfig, env: process.env });
  if (!isLoopbackHost(new URL(endpoint).hostname)) {
    throw new Error(
      `${CLOCK_OFFSET_ENV} is set, but the IAM endpoint ${endpoint} (${endpointSource}) is not on this machine. ` +
        `The clock offset is a test hook for the IAM emulator and is refused against any other endpoint: unset ${CLOCK_OFFSET_ENV}.`,
    );
  }
  return clock;
}

const provider = createTokenProvider({
  report,
  createClock: providerClock,
  createSession: ({ stackConfig }, clock) =>
    createIamSession({ stackConfig, env: process.env, homeDir: os.homedir(), clock, logger: report }),
});

/** Receives the stack config (see {@link createTokenProvider}). */
export const configure = provider.configure;
/** Validates inputs. */
export const check = provider.check;
/** Plans the change, without calling the IAM API. */
export const diff = provider.diff;
/** Issues the first token. */
export const create = provider.create;
/** Refresh, `.get` and import. */
export const read = provider.read;
/** Renews the token or records changed settings. */
export const update = provider.update;
/** Forgets, and with `revokeOnDelete` revokes, the token. */
const deleteToken = provider.delete;

// `delete` is a reserved word for a variable, but the provider protocol needs a method of that
// name on the module object that Pulumi serializes as the provider.
export { deleteToken as delete };
