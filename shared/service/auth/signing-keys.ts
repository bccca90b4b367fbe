/**
 * The issuers' signing keys (JWKS), fetched from `AUTH_JWKS_URI` and kept in memory, so that
 * "the identity provider is failing" (a 503 for the caller) is told apart from "the token is bad"
 * (a 401). A key set that answers an error status, something that isn't JSON, or a malformed set
 * throws `KeySetUnavailable`; keys fetched earlier keep verifying tokens through such an incident.
 */
import type { Clock } from "../../domain/clock";
import { currentLogger } from "../../telemetry/log";

type Jose = typeof import("jose");
type KeyResolver = ReturnType<Jose["createLocalJWKSet"]>;

/** The key set can't be had right now: an outage of the identity provider, not the caller's fault. */
export class KeySetUnavailable extends Error {
  constructor(reason: string) {
    super(`The token issuer's signing keys can't be fetched: ${reason}`);
    this.name = "KeySetUnavailable";
  }
}

export interface SigningKeyTimings {
  /** Keys older than this are refetched in the background while they keep serving. */
  refreshAfterMs: number;
  /** Keys older than this are no longer trusted: without a fresh set, tokens can't be checked. */
  maxStaleMs: number;
  /** At most one fetch per this interval, whatever callers send (unknown key ids included). */
  cooldownMs: number;
  fetchTimeoutMs: number;
}

/** Hourly refresh; Microsoft's guidance is that published keys may be cached for up to 24 hours. */
const DEFAULT_KEY_TIMINGS: SigningKeyTimings = {
  refreshAfterMs: 60 * 60_000,
  maxStaleMs: 24 * 60 * 60_000,
  cooldownMs: 30_000,
  fetchTimeoutMs: 5_000,
};

export class SigningKeys {
  private keys?: { resolve: KeyResolver; fetchedAt: number };
  /**
   * Counts the key sets fetched: what was verified under an earlier set (whose keys may since have
   * been withdrawn) is verified again, not taken from a cache.
   */
  generation = 0;
  private fetching?: Promise<void>;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastAttemptFailed = false;

  constructor(
    private readonly uri: URL,
    private readonly jose: Jose,
    private readonly clock: Clock,
    private readonly timings: SigningKeyTimings = DEFAULT_KEY_TIMINGS,
  ) {}

  /** The key for a token's header, as `jose.jwtVerify` asks for it. */
  readonly resolve: KeyResolver = async (header, token) => {
    const age = this.keys ? this.now() - this.keys.fetchedAt : Number.POSITIVE_INFINITY;
    if (age >= this.timings.maxStaleMs) await this.fetchUnlessCoolingDown();
    else if (age >= this.timings.refreshAfterMs && !this.coolingDown()) {
      // In the background: the keys in hand still serve; a failed refresh is tried again after the cool-down.
      this.refresh().catch((error) => currentLogger().warn("Refreshing the token issuers' signing keys failed; the keys in hand still serve", { error }));
    }
    try {
      return await this.keys!.resolve(header, token);
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY") throw error;
      // An unknown key id: the issuer may have rotated its keys since the last fetch.
      if (!(await this.fetchUnlessCoolingDown())) throw error;
      return this.keys!.resolve(header, token);
    }
  };

  /**
   * Fetches the set now unless one was fetched within the cooldown; true when it fetched. A recent
   * attempt that failed means the set can't be had: that is an outage, not an unknown key.
   */
  private async fetchUnlessCoolingDown(): Promise<boolean> {
    if (this.fetching) {
      await this.fetching;
      return true;
    }
    if (this.coolingDown()) {
      if (this.lastAttemptFailed || !this.keys) throw new KeySetUnavailable("the last attempt failed; retrying shortly");
      return false;
    }
    await this.refresh();
    return true;
  }

  private refresh(): Promise<void> {
    this.fetching ??= this.fetchKeys().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchKeys(): Promise<void> {
    const startedAt = this.now();
    this.lastAttemptAt = startedAt;
    this.lastAttemptFailed = true;
    let response: Response;
    try {
      response = await fetch(this.uri, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.timings.fetchTimeoutMs) });
    } catch (error) {
      throw new KeySetUnavailable(error instanceof Error && error.name === "TimeoutError" ? "the request timed out" : "the request failed");
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new KeySetUnavailable(`it answered ${response.status}`);
    }
    let resolve: KeyResolver;
    try {
      resolve = this.jose.createLocalJWKSet((await response.json()) as import("jose").JSONWebKeySet);
    } catch {
      throw new KeySetUnavailable("the answer is not a JSON Web Key Set");
    }
    this.keys = { resolve, fetchedAt: startedAt };
    this.generation++;
    this.lastAttemptFailed = false;
  }

  private coolingDown(): boolean {
    return this.now() - this.lastAttemptAt < this.timings.cooldownMs;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
