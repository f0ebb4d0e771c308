/**
 * The caller-token cache: one caller IAM token per provider process, obtained by one exchange
 * shared by all concurrent callers (single flight), renewed before its own `expiresAt` and never
 * handed out at or after it.
 */
import type { IssuedToken } from "./apiClient";
import type { Clock } from "./clock";

/**
 * How long before its `expiresAt` a cached caller token is renewed, in milliseconds (5 minutes).
 * Tokens living less than twice this are renewed at half their lifetime instead.
 */
export const CALLER_TOKEN_RENEW_BEFORE_MS = 5 * 60 * 1000;

/** Options of {@link CallerTokenCache}. */
export interface CallerTokenCacheOptions {
  /** Where time comes from. */
  clock: Clock;
  /** Obtains a fresh caller token (an OAuth, JWT or metadata exchange). */
  exchange: () => Promise<IssuedToken>;
  /** Renewal margin before expiry in ms (default {@link CALLER_TOKEN_RENEW_BEFORE_MS}). */
  renewBeforeMs?: number;
  /** Receives one line when a renewal fails but the current token is still valid. */
  logger?: (message: string) => void;
}

interface CachedToken {
  token: IssuedToken;
  /** When renewal starts (Unix ms). */
  renewAtMs: number;
}

/** A caller-token source: either a fixed IAM token or a cache over an exchange. */
export interface CallerTokenSource {
  /** The caller IAM token to use now. */
  get(): Promise<string>;
  /** Forgets `iamToken` after the API rejected it (401), so the next {@link get} exchanges again. */
  invalidate(iamToken: string): void;
  /** Whether the token comes from an exchange (and can therefore be re-obtained). */
  readonly exchanged: boolean;
}

/** A fixed IAM token (YC_TOKEN / yandex:token starting with `t1.`): used as-is, never renewed. */
export class StaticCallerToken implements CallerTokenSource {
  readonly exchanged = false;
  constructor(private readonly iamToken: string) {}
  /** Returns the fixed token. */
  get(): Promise<string> {
    return Promise.resolve(this.iamToken);
  }
  /** A fixed token cannot be re-obtained: nothing to forget. */
  invalidate(): void {}
}

/** The exchanged caller token with single-flight renewal. */
export class CallerTokenCache implements CallerTokenSource {
  readonly exchanged = true;
  private readonly clock: Clock;
  private readonly exchange: () => Promise<IssuedToken>;
  private readonly renewBeforeMs: number;
  private readonly logger: ((message: string) => void) | undefined;
  private cached: CachedToken | undefined;
  private inFlight: Promise<IssuedToken> | undefined;

  constructor(options: CallerTokenCacheOptions) {
    this.clock = options.clock;
    this.exchange = options.exchange;
    this.renewBeforeMs = options.renewBeforeMs ?? CALLER_TOKEN_RENEW_BEFORE_MS;
    this.logger = options.logger;
  }

  /**
   * The cached token while it is before its renewal point; otherwise joins (or starts) the one
   * exchange in flight. If a renewal fails while the old token has not yet expired, the old one is
   * returned (renewing early is an optimisation, not a requirement); past `expiresAt` the failure
   * propagates.
   */
  async get(): Promise<string> {
    const nowMs = this.clock.now().toMillis();
    const cached = this.cached;
    if (cached && nowMs < cached.renewAtMs) return cached.token.iamToken;
    try {
      return (await this.renew()).iamToken;
    } catch (error) {
      const stillValid =
        cached && this.cached === cached && this.clock.now().toMillis() < cached.token.expiresAtMs;
      if (stillValid) {
        this.logger?.(
          `Renewing the caller IAM token failed; using the current one until ${cached.token.expiresAt}.`,
        );
        return cached.token.iamToken;
      }
      throw error;
    }
  }

  /** Forgets the cached token if it is `iamToken` (concurrent 401s then cause one exchange, not many). */
  invalidate(iamToken: string): void {
    if (this.cached?.token.iamToken === iamToken) this.cached = undefined;
  }

  private renew(): Promise<IssuedToken> {
    if (this.inFlight) return this.inFlight;
    const flight = (async () => {
      try {
        const obtainedAtMs = this.clock.now().toMillis();
        const token = await this.exchange();
        this.cached = { token, renewAtMs: renewAtMs(obtainedAtMs, token.expiresAtMs, this.renewBeforeMs) };
        return token;
      } finally {
        this.inFlight = undefined;
      }
    })();
    this.inFlight = flight;
    return flight;
  }
}

/**
 * When to renew a token obtained at `obtainedAtMs` that expires at `expiresAtMs` (Unix ms):
 * `renewBeforeMs` before expiry, but not before half its lifetime (so a short-lived token is not
 * renewed on every use), and never after expiry.
 */
export function renewAtMs(obtainedAtMs: number, expiresAtMs: number, renewBeforeMs: number): number {
  const halfLifeMs = obtainedAtMs + Math.max(0, expiresAtMs - obtainedAtMs) / 2;
  return Math.min(expiresAtMs, Math.max(expiresAtMs - renewBeforeMs, halfLifeMs));
}
