import { readFileSync } from "node:fs";
import { isClockInRange, parseRfc3339Ms } from "./clock";
import { applySettingsPatch, parseSettingsPatch, StoreSettings } from "./settings";
import {
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  EmulatorStore,
  MAX_TOKEN_LIFETIME_SECONDS,
  RoleBinding,
} from "./store";
import { asObject, FailFn, optionalArray, optionalNumber, optionalString, requiredString } from "./validate";

/**
 * Seed data (see emulator/CONTRACT.md): principals, keys, tokens and settings known at start. Every
 * behaviour setting ({@link StoreSettings}) may be given at the top level.
 */
export interface EmulatorSeed extends Partial<StoreSettings> {
  /** Fixed admin token for the side API (random when absent). */
  adminToken?: string;
  /** Initial emulator time, RFC 3339 (default: real time). */
  clock?: string;
  /** Service accounts; `tokenLifetimeSeconds` defaults to 43200. */
  serviceAccounts?: {
    /** Service account id; keys, bindings and `metadataServiceAccountId` refer to it. */
    id: string;
    /** Folder holding the account; a tokenCreator binding on the folder covers the account. */
    folderId?: string;
    /** Lifetime of IAM tokens issued for the account, in seconds (1..43200). */
    tokenLifetimeSeconds?: number;
  }[];
  /** User accounts. */
  users?: {
    /** User id, usable as a subject in OAuth tokens, IAM tokens and role bindings. */
    id: string;
  }[];
  /** OAuth tokens accepted by the create method. */
  oauthTokens?: {
    /** The secret OAuth token string, as sent to the create method. */
    token: string;
    /** Subject the token authenticates; registered as a user when not already known. */
    subjectId: string;
  }[];
  /** IAM tokens valid from the start. */
  iamTokens?: {
    /** The secret IAM token string, accepted as a Bearer token until `expiresAt`. */
    token: string;
    /** Subject (service account or user) the token authenticates. */
    subjectId: string;
    /** Expiry in emulator time, RFC 3339; returned verbatim wherever the token's expiry is shown. */
    expiresAt: string;
  }[];
  /** Authorized keys in `yc iam key create` form (`private_key`, if present, is ignored). */
  keys?: {
    /** Key id, matched against the `kid` header of signed JWTs. */
    id: string;
    /** Owning service account; must be listed in `serviceAccounts`. */
    service_account_id: string;
    /** Public half of the RSA key pair, PEM. */
    public_key: string;
    /** Creation time, RFC 3339 (default: emulator time at seeding). */
    created_at?: string;
    /** `RSA_2048` (default) or `RSA_4096`. */
    key_algorithm?: string;
    /** Private half as `yc iam key create` writes it; accepted so key files load as is, but ignored. */
    private_key?: string;
  }[];
  /** Role bindings. */
  roleBindings?: RoleBinding[];
}

const seedError: FailFn = (message) => new Error(`invalid seed: ${message}`);

/** Checks an untrusted value is a valid seed; throws an Error naming the bad field otherwise. */
export function validateSeed(value: unknown): EmulatorSeed {
  const seed = asObject(value, "the seed", seedError);
  const at =
    (list: string, i: number): FailFn =>
    (m) =>
      seedError(`${list}[${i}].${m}`);
  optionalString(seed, "adminToken", seedError);
  const clock = optionalString(seed, "clock", seedError);
  if (clock !== undefined && !isClockInRange(parseRfc3339Ms(clock) ?? Number.NaN)) {
    throw seedError("clock must be RFC 3339, from 1970 to 9998");
  }
  parseSettingsPatch(seed, seedError);
  const accountIds = new Set<string>();
  optionalArray(seed, "serviceAccounts", seedError).forEach((item, i) => {
    const fail = at("serviceAccounts", i);
    const account = asObject(item, "item", fail);
    accountIds.add(requiredString(account, "id", fail, 50));
    optionalString(account, "folderId", fail, 50);
    optionalNumber(account, "tokenLifetimeSeconds", fail, 1, MAX_TOKEN_LIFETIME_SECONDS, true);
  });
  optionalArray(seed, "users", seedError).forEach((item, i) => {
    requiredString(asObject(item, "item", at("users", i)), "id", at("users", i), 50);
  });
  optionalArray(seed, "oauthTokens", seedError).forEach((item, i) => {
    const fail = at("oauthTokens", i);
    const token = asObject(item, "item", fail);
    requiredString(token, "token", fail, 4000);
    requiredString(token, "subjectId", fail, 50);
  });
  optionalArray(seed, "iamTokens", seedError).forEach((item, i) => {
    const fail = at("iamTokens", i);
    const token = asObject(item, "item", fail);
    requiredString(token, "token", fail, 4096);
    requiredString(token, "subjectId", fail, 50);
    if (parseRfc3339Ms(requiredString(token, "expiresAt", fail)) === undefined)
      throw fail("expiresAt must be RFC 3339");
  });
  optionalArray(seed, "keys", seedError).forEach((item, i) => {
    const fail = at("keys", i);
    const key = asObject(item, "item", fail);
    requiredString(key, "id", fail, 50);
    const owner = requiredString(key, "service_account_id", fail, 50);
    if (!accountIds.has(owner)) throw fail(`service_account_id ${owner} is not in serviceAccounts`);
    requiredString(key, "public_key", fail, 20_000);
  });
  optionalArray(seed, "roleBindings", seedError).forEach((item, i) => {
    const fail = at("roleBindings", i);
    const binding = asObject(item, "item", fail);
    for (const field of ["subjectId", "role", "resourceId"]) requiredString(binding, field, fail, 100);
  });
  const metadataAccount = optionalString(seed, "metadataServiceAccountId", seedError, 50);
  if (metadataAccount !== undefined && !accountIds.has(metadataAccount)) {
    throw seedError(`metadataServiceAccountId ${metadataAccount} is not in serviceAccounts`);
  }
  return seed as EmulatorSeed;
}

/** Reads and validates a seed file; errors name the file and the problem. */
export function loadSeedFile(path: string): EmulatorSeed {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read seed file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a token or a key.
    throw new Error(`seed file ${path} is not valid JSON`);
  }
  try {
    return validateSeed(value);
  } catch (error) {
    throw new Error(`seed file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads a validated seed into an empty store (the clock and admin token are the caller's). */
export function applySeed(store: EmulatorStore, seed: EmulatorSeed, nowMs: number): void {
  applySettingsPatch(store.settings, parseSettingsPatch(seed as Record<string, unknown>, seedError));
  for (const account of seed.serviceAccounts ?? []) {
    store.upsertServiceAccount({
      id: account.id,
      folderId: account.folderId,
      tokenLifetimeSeconds: account.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    });
  }
  for (const user of seed.users ?? []) store.addUser(user.id);
  for (const { token, subjectId } of seed.oauthTokens ?? []) {
    if (!store.subjectExists(subjectId)) store.addUser(subjectId);
    store.addOAuthToken(subjectId, token);
  }
  for (const { token, subjectId, expiresAt } of seed.iamTokens ?? []) {
    const expiresAtMs = parseRfc3339Ms(expiresAt) as number;
    store.addIamToken({
      token,
      subjectId,
      issuedAtMs: Math.min(nowMs, expiresAtMs),
      expiresAtMs,
      expiresAt,
      lifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
      reusable: false,
    });
  }
  for (const key of seed.keys ?? []) {
    try {
      store.addKey({
        id: key.id,
        serviceAccountId: key.service_account_id,
        createdAt: key.created_at ?? new Date(nowMs).toISOString(),
        keyAlgorithm: key.key_algorithm ?? "RSA_2048",
        publicKeyPem: key.public_key,
      });
    } catch (error) {
      throw new Error(
        `invalid seed: key ${key.id}: public_key is not a valid RSA public key (${(error as Error).message})`,
        { cause: error },
      );
    }
  }
  for (const binding of seed.roleBindings ?? []) store.addRoleBinding(binding);
}
