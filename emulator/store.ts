import { createPublicKey, KeyObject } from "node:crypto";
import { formatRfc3339 } from "./clock";
import { defaultSettings, fractionDigitsForMint, paddedForMint, StoreSettings } from "./settings";
import { mintIamTokenString, mintOAuthTokenString, randomSubMsNanos } from "./tokens";

export type { ExpiresAtFormat, StoreSettings } from "./settings";

/** Default IAM token lifetime, in seconds (12 h, the real API's maximum). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 43_200;
/** Largest lifetime the emulator lets anyone configure, in seconds (the real maximum, 12 h). */
export const MAX_TOKEN_LIFETIME_SECONDS = 43_200;
/** The role that allows createForServiceAccount. */
export const TOKEN_CREATOR_ROLE = "iam.serviceAccounts.tokenCreator";

/** A registered service account. */
export interface ServiceAccount {
  /** Account id. */
  id: string;
  /** Folder holding the account; a tokenCreator binding on it covers the account. */
  folderId?: string;
  /** Lifetime of tokens issued for the account, in seconds. */
  tokenLifetimeSeconds: number;
}

/** An issued (or seeded) IAM token. */
export interface IamTokenRecord {
  /** The secret token. */
  readonly token: string;
  /** Whose token it is. */
  readonly subjectId: string;
  /** Emulator time of issue, Unix ms. */
  readonly issuedAtMs: number;
  /** Emulator time of expiry, Unix ms. */
  readonly expiresAtMs: number;
  /** `expiresAt` exactly as the API returns it (format fixed at mint, so repeats are identical). */
  readonly expiresAt: string;
  /** Lifetime the token was minted with, in seconds (the configured one, before rounding). */
  readonly lifetimeSeconds: number;
  /** Whether create calls may hand this token out again. */
  readonly reusable: boolean;
}

/** A registered authorized key (public half only). */
export interface AuthorizedKey {
  /** Key id (the JWT `kid`). */
  id: string;
  /** Owning service account. */
  serviceAccountId: string;
  /** RFC 3339 creation time. */
  createdAt: string;
  /** `RSA_2048` or `RSA_4096`. */
  keyAlgorithm: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** Parsed once at registration so JWT checks do no PEM parsing. */
  publicKey: KeyObject;
}

/** A role granted to a subject on a resource (service account or folder). */
export interface RoleBinding {
  /** Who holds the role. */
  subjectId: string;
  /** Role id, e.g. `iam.serviceAccounts.tokenCreator`. */
  role: string;
  /** Service account id or folder id. */
  resourceId: string;
}

/** JSON form of the whole store, as written to the `--state` file. */
export interface StoreSnapshot {
  /** Format version. */
  version: 1;
  /** Settings. */
  settings: StoreSettings;
  /** Service accounts. */
  serviceAccounts: ServiceAccount[];
  /** User ids. */
  users: string[];
  /** OAuth tokens and their subjects. */
  oauthTokens: { token: string; subjectId: string }[];
  /** Live IAM tokens. */
  iamTokens: IamTokenRecord[];
  /** Authorized keys (public half). */
  keys: Omit<AuthorizedKey, "publicKey">[];
  /** Role bindings. */
  roleBindings: RoleBinding[];
}

const bindingKey = (subjectId: string, role: string, resourceId: string): string =>
  `${subjectId}\u0000${role}\u0000${resourceId}`;

/**
 * All emulator state: principals, keys, bindings and tokens. Pure bookkeeping over Maps (O(1)
 * token validation); time is always passed in by the caller, so the store never reads a clock.
 */
export class EmulatorStore {
  /** Behaviour switches; mutable through the side API and seed. */
  readonly settings: StoreSettings = defaultSettings();
  private readonly serviceAccounts = new Map<string, ServiceAccount>();
  private readonly users = new Set<string>();
  private readonly oauthTokens = new Map<string, string>();
  private readonly iamTokens = new Map<string, IamTokenRecord>();
  private readonly latestReusable = new Map<string, IamTokenRecord>();
  private readonly keys = new Map<string, AuthorizedKey>();
  private readonly roleBindings = new Map<string, RoleBinding>();
  private mintCount = 0;

  /** Called after every change that should reach the state file. */
  onChange: () => void = () => {};

  /** Adds or replaces a service account. */
  upsertServiceAccount(account: ServiceAccount): ServiceAccount {
    const copy = { ...account };
    this.serviceAccounts.set(account.id, copy);
    this.onChange();
    return { ...copy };
  }

  /** Finds a service account. */
  getServiceAccount(id: string): ServiceAccount | undefined {
    return this.serviceAccounts.get(id);
  }

  /** Registers a user account id. */
  addUser(id: string): void {
    this.users.add(id);
    this.onChange();
  }

  /** Whether `id` is a known user or service account. */
  subjectExists(id: string): boolean {
    return this.users.has(id) || this.serviceAccounts.has(id);
  }

  /** Registers an OAuth token for a subject; generates one when `token` is absent. */
  addOAuthToken(subjectId: string, token = mintOAuthTokenString()): string {
    this.oauthTokens.set(token, subjectId);
    this.onChange();
    return token;
  }

  /** The subject of an OAuth token, if registered. */
  oauthSubject(token: string): string | undefined {
    return this.oauthTokens.get(token);
  }

  /** Registers an authorized key from its SPKI PEM; throws when the PEM does not parse as RSA. */
  addKey(key: Omit<AuthorizedKey, "publicKey">): AuthorizedKey {
    const publicKey = createPublicKey(key.publicKeyPem);
    if (publicKey.asymmetricKeyType !== "rsa") throw new Error("public_key must be an RSA key");
    const stored = { ...key, publicKey };
    this.keys.set(key.id, stored);
    this.onChange();
    return stored;
  }

  /** Finds an authorized key by id. */
  getKey(id: string): AuthorizedKey | undefined {
    return this.keys.get(id);
  }

  /** Grants a role. */
  addRoleBinding(binding: RoleBinding): void {
    this.roleBindings.set(bindingKey(binding.subjectId, binding.role, binding.resourceId), { ...binding });
    this.onChange();
  }

  /** Removes a role grant; returns whether it existed. */
  removeRoleBinding(binding: RoleBinding): boolean {
    const existed = this.roleBindings.delete(bindingKey(binding.subjectId, binding.role, binding.resourceId));
    if (existed) this.onChange();
    return existed;
  }

  /** Whether `subjectId` holds `role` directly on `resourceId`. */
  hasRole(subjectId: string, role: string, resourceId: string): boolean {
    return this.roleBindings.has(bindingKey(subjectId, role, resourceId));
  }

  /** Whether `subjectId` may create tokens for `account` (binding on the account or its folder). */
  canCreateTokenFor(subjectId: string, account: ServiceAccount): boolean {
    return (
      this.hasRole(subjectId, TOKEN_CREATOR_ROLE, account.id) ||
      (account.folderId !== undefined && this.hasRole(subjectId, TOKEN_CREATOR_ROLE, account.folderId))
    );
  }

  /** Token lifetime for a subject: the account's setting, or the default for users. */
  lifetimeSecondsFor(subjectId: string): number {
    return this.serviceAccounts.get(subjectId)?.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  }

  /**
   * Issues a token to `subjectId` as the create methods do: with reuse on, the subject's latest
   * token comes back while more than `reuseMinRemainingFraction` (default half) of its lifetime
   * remains and the configured lifetime has not changed since. The real API documents reuse but
   * not its threshold, hence the setting.
   */
  issueToken(subjectId: string, nowMs: number): IamTokenRecord {
    const lifetimeSeconds = this.lifetimeSecondsFor(subjectId);
    if (this.settings.reuseTokens) {
      const latest = this.latestReusable.get(subjectId);
      if (
        latest !== undefined &&
        this.iamTokens.get(latest.token) === latest &&
        latest.lifetimeSeconds === lifetimeSeconds &&
        latest.expiresAtMs - nowMs > this.settings.reuseMinRemainingFraction * lifetimeSeconds * 1000
      ) {
        return latest;
      }
    }
    const record = this.mint(subjectId, nowMs, lifetimeSeconds, true);
    this.latestReusable.set(subjectId, record);
    return record;
  }

  /** Mints a fresh token that is never handed out again (side API `iam-tokens`). */
  mintDirect(subjectId: string, nowMs: number, lifetimeSeconds: number): IamTokenRecord {
    return this.mint(subjectId, nowMs, lifetimeSeconds, false);
  }

  private mint(subjectId: string, nowMs: number, lifetimeSeconds: number, reusable: boolean): IamTokenRecord {
    const mintIndex = this.mintCount++;
    const expiresAtMs = nowMs + lifetimeSeconds * 1000;
    const digits = fractionDigitsForMint(this.settings.expiresAtFormat, mintIndex);
    const expiresAt = formatRfc3339(expiresAtMs, digits, digits > 3 ? randomSubMsNanos() : 0);
    const record: IamTokenRecord = {
      token: mintIamTokenString(paddedForMint(this.settings.tokenPadding, mintIndex)),
      subjectId,
      issuedAtMs: nowMs,
      // With no fraction digits the printed instant is earlier than the real one; keep expiry
      // at the printed second so a client computing from the string is never optimistic.
      expiresAtMs: digits === 0 ? Math.floor(expiresAtMs / 1000) * 1000 : expiresAtMs,
      expiresAt,
      lifetimeSeconds,
      reusable,
    };
    this.iamTokens.set(record.token, record);
    this.onChange();
    return record;
  }

  /** Registers a token as given (seed / state). */
  addIamToken(record: IamTokenRecord): void {
    this.iamTokens.set(record.token, { ...record });
    this.onChange();
  }

  /** The live record of `token`, or undefined when unknown, revoked or expired at `nowMs`. */
  validateToken(token: string, nowMs: number): IamTokenRecord | undefined {
    const record = this.iamTokens.get(token);
    if (record === undefined) return undefined;
    if (record.expiresAtMs <= nowMs) return undefined;
    return record;
  }

  /** Revokes one token; returns its record if it was live. */
  revokeToken(token: string): IamTokenRecord | undefined {
    const record = this.iamTokens.get(token);
    if (record === undefined) return undefined;
    this.iamTokens.delete(token);
    this.onChange();
    return record;
  }

  /** Revokes all tokens, or those of one subject; returns how many. */
  revokeAll(subjectId?: string): number {
    let count = 0;
    for (const [token, record] of this.iamTokens) {
      if (subjectId === undefined || record.subjectId === subjectId) {
        this.iamTokens.delete(token);
        count++;
      }
    }
    if (count > 0) this.onChange();
    return count;
  }

  /** Drops tokens expired at `nowMs` (memory hygiene; expired tokens are invalid anyway). */
  pruneExpired(nowMs: number): void {
    for (const [token, record] of this.iamTokens) {
      if (record.expiresAtMs <= nowMs) this.iamTokens.delete(token);
    }
    for (const [subject, record] of this.latestReusable) {
      if (!this.iamTokens.has(record.token)) this.latestReusable.delete(subject);
    }
  }

  /** JSON form of the store for the state file. */
  snapshot(): StoreSnapshot {
    return {
      version: 1,
      settings: { ...this.settings },
      serviceAccounts: [...this.serviceAccounts.values()].map((a) => ({ ...a })),
      users: [...this.users],
      oauthTokens: [...this.oauthTokens].map(([token, subjectId]) => ({ token, subjectId })),
      iamTokens: [...this.iamTokens.values()].map((r) => ({ ...r })),
      keys: [...this.keys.values()].map(({ publicKey: _publicKey, ...rest }) => rest),
      roleBindings: [...this.roleBindings.values()].map((b) => ({ ...b })),
    };
  }

  /** Loads a snapshot into this (empty) store. Reusable tokens become reuse candidates again. */
  restore(snapshot: StoreSnapshot): void {
    Object.assign(this.settings, snapshot.settings);
    for (const account of snapshot.serviceAccounts) this.serviceAccounts.set(account.id, { ...account });
    for (const user of snapshot.users) this.users.add(user);
    for (const { token, subjectId } of snapshot.oauthTokens) this.oauthTokens.set(token, subjectId);
    for (const key of snapshot.keys) this.addKey(key);
    for (const binding of snapshot.roleBindings) this.addRoleBinding(binding);
    for (const record of snapshot.iamTokens) {
      const copy = { ...record };
      this.iamTokens.set(copy.token, copy);
      const latest = this.latestReusable.get(copy.subjectId);
      if (copy.reusable && (latest === undefined || latest.issuedAtMs < copy.issuedAtMs)) {
        this.latestReusable.set(copy.subjectId, copy);
      }
    }
  }
}
