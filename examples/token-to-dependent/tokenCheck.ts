import * as pulumi from "@pulumi/pulumi";

/**
 * A resource that *uses* an IAM token: it calls an API with it, once per token. When the token is
 * renewed (`expiresAt` changes) it runs again, so `pulumi preview` shows it changing along with
 * the token. It stands for whatever consumes a token in a real stack (a provider, a kubeconfig, a
 * CI secret).
 *
 * Against the IAM emulator it asks the emulator's `/_emulator/whoami` whose token it is; against
 * the real cloud it lists the clouds the service account can see (Resource Manager API).
 */
export interface TokenCheckArgs {
  /** The IAM token to call the API with (a secret). */
  iamToken: pulumi.Input<string>;
  /** When that token expires: a new value means a new token, so the check runs again. */
  expiresAt: pulumi.Input<string>;
  /** The IAM emulator's base URL. Leave unset against the real cloud. */
  emulatorUrl?: pulumi.Input<string>;
  /** The emulator's side-API secret, which its whoami requires. */
  emulatorAdminToken?: pulumi.Input<string>;
}

interface CheckInputs {
  iamToken: string;
  expiresAt: string;
  emulatorUrl?: string;
  emulatorAdminToken?: string;
}

/** What is kept in state: never the token. */
interface CheckOutputs {
  expiresAt: string;
  emulatorUrl: string;
  result: string;
}

const tokenCheckProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: CheckInputs) {
    return { id: `check-${Date.now()}`, outs: await runCheck(inputs) };
  },
  async diff(_id: string, olds: CheckOutputs, news: CheckInputs) {
    return { changes: olds.expiresAt !== news.expiresAt || olds.emulatorUrl !== (news.emulatorUrl ?? "") };
  },
  async update(_id: string, _olds: CheckOutputs, news: CheckInputs) {
    return { outs: await runCheck(news) };
  },
};

async function runCheck(inputs: CheckInputs): Promise<CheckOutputs> {
  const emulatorUrl = inputs.emulatorUrl ?? "";
  const url = emulatorUrl
    ? `${emulatorUrl}/_emulator/whoami`
    : "https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds";
  const headers: Record<string, string> = { authorization: `Bearer ${inputs.iamToken}` };
  if (inputs.emulatorAdminToken) headers["x-emulator-admin-token"] = inputs.emulatorAdminToken;
  const response = await fetch(url, { headers });
  const body = (await response.json().catch(() => ({}))) as {
    subjectId?: string;
    clouds?: unknown[];
    message?: string;
  };
  if (!response.ok) {
    throw new Error(
      `the IAM token was refused: ${url} answered HTTP ${response.status} ${body.message ?? ""}`,
    );
  }
  const result = emulatorUrl
    ? `token accepted, subject ${body.subjectId}`
    : `token accepted, ${(body.clouds ?? []).length} cloud(s) visible`;
  return { expiresAt: inputs.expiresAt, emulatorUrl, result };
}

/** Calls an API with the token; see {@link TokenCheckArgs}. */
export class TokenCheck extends pulumi.dynamic.Resource {
  /** What the API said about the token. */
  declare readonly result: pulumi.Output<string>;
  /** Expiry of the token last checked. */
  declare readonly expiresAt: pulumi.Output<string>;

  constructor(name: string, args: TokenCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(tokenCheckProvider, name, { ...args, result: undefined }, opts, "example", "TokenCheck");
  }
}
