import { createPrivateKey, constants, sign } from "node:crypto";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator";
import type { AuthorizedKeyFile } from "../../emulator/sideApi";

/** A parsed HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** JSON body (serialised) or raw string body. */
  body?: unknown;
  /** Bearer token. */
  token?: string;
  /** Extra or overriding headers. */
  headers?: Record<string, string>;
  /** HTTP method (default POST when a body is given, else GET). */
  method?: string;
}

/** Calls the emulator over real HTTP with global fetch. */
export async function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  Object.assign(headers, options.headers);
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (body !== undefined ? "POST" : "GET"),
    headers,
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Asserts-friendly summary of a google.rpc.Status answer. */
export function statusOf(answer: HttpAnswer): { http: number; code: unknown; requestId: unknown } {
  const details = answer.json?.details as { "@type"?: string; requestId?: string }[] | undefined;
  return {
    http: answer.status,
    code: answer.json?.code,
    requestId:
      details?.[0]?.["@type"] === "type.googleapis.com/google.rpc.RequestInfo"
        ? details[0].requestId
        : undefined,
  };
}

/** Fixed ids used across the tests. */
export const IDS = {
  serviceAccount: "ajeserviceacc0000001",
  otherServiceAccount: "ajeserviceacc0000002",
  folder: "b1gfolder00000000001",
  caller: "ajeuser0000000000001",
  stranger: "ajeuser0000000000002",
} as const;

/** An emulator with a service account, a caller allowed to impersonate it and a caller token. */
export interface Fixture {
  emu: RunningEmulator;
  callerToken: string;
  strangerToken: string;
}

/** Starts an emulator on port 0 with the standard fixture. Close it with `fixture.emu.close()`. */
export async function startFixture(options: EmulatorOptions = {}): Promise<Fixture> {
  const emu = await startEmulator({ port: 0, ...options });
  await emu.admin.createServiceAccount({ id: IDS.serviceAccount, folderId: IDS.folder });
  await emu.admin.createServiceAccount({ id: IDS.otherServiceAccount, folderId: "b1gfolder00000000002" });
  await emu.admin.addRoleBinding({
    subjectId: IDS.caller,
    role: "iam.serviceAccounts.tokenCreator",
    resourceId: IDS.serviceAccount,
  });
  const callerToken = (await emu.admin.mintIamToken(IDS.caller)).iamToken;
  const strangerToken = (await emu.admin.mintIamToken(IDS.stranger)).iamToken;
  return { emu, callerToken, strangerToken };
}

/** Strips the `PLEASE DO NOT REMOVE THIS LINE!` prefix, as clients must before PEM parsing. */
export function pemFromKeyFile(privateKey: string): string {
  const start = privateKey.indexOf("-----BEGIN");
  if (start < 0) throw new Error("no PEM block in private_key");
  return privateKey.slice(start);
}

/** Claims and header overrides for {@link signJwt}. */
export interface JwtParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** RSA padding scheme: PSS (default) or PKCS#1 v1.5 (what RS256 would use). */
  padding?: "pss" | "pkcs1";
  /** PSS salt length (default 32). */
  saltLength?: number;
}

/**
 * Signs a service-account JWT as a client would (PS256 by default), from a key file created by
 * `POST /_emulator/keys`. `nowSeconds` is the emulator's time.
 */
export function signJwt(
  key: AuthorizedKeyFile,
  audience: string,
  nowSeconds: number,
  parts: JwtParts = {},
): string {
  const header = { typ: "JWT", alg: "PS256", kid: key.id, ...parts.header };
  const claims = {
    iss: key.service_account_id,
    aud: audience,
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    ...parts.claims,
  };
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode(header)}.${encode(claims)}`;
  const privateKey = createPrivateKey(pemFromKeyFile(key.private_key));
  const signature =
    parts.padding === "pkcs1"
      ? sign("sha256", Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PADDING })
      : sign("sha256", Buffer.from(input), {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: parts.saltLength ?? 32,
        });
  return `${input}.${signature.toString("base64url")}`;
}

/** The emulator's current time in Unix seconds (from its clock, not the real one). */
export async function emulatorNowSeconds(emu: RunningEmulator): Promise<number> {
  return Math.floor(Date.parse(await emu.admin.now()) / 1000);
}

/**
 * The documented IAM token pattern, anchored (for shape assertions only; clients must never
 * validate tokens by format): `t1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}`.
 */
export const TOKEN_SHAPE = /^t1\.[A-Za-z0-9_-]+[=]{0,2}\.[A-Za-z0-9_-]{86}[=]{0,2}$/;

/** A token of the documented pattern with no `=` padding, as the emulator mints unpadded ones. */
export const UNPADDED_TOKEN_SHAPE = /^t1\.[A-Za-z0-9_-]{60,100}\.[A-Za-z0-9_-]{86}$/;

/** A token of the documented pattern with `=` padding after both parts, as padded ones are minted. */
export const PADDED_TOKEN_SHAPE = /^t1\.[A-Za-z0-9_-]{60,100}={1,2}\.[A-Za-z0-9_-]{86}==$/;
