/**
 * Per-subscription throttling, as Azure Resource Manager throttles ("Understand how Azure Resource
 * Manager throttles requests"): a token bucket of reads and one of writes per subscription. A request
 * takes a token; tokens come back at a fixed rate up to the bucket's size; a request that finds the
 * bucket empty is refused, told how many seconds until a token is back. Lists are also capped in how
 * many of one subscription run at once: a list can cost a hundred times a Get.
 *
 * A bucket belongs to a subscription as one tenant calls it, so a stranger naming someone else's
 * subscription spends a bucket of its own, never the owner's. In memory, per process, at most
 * `MAX_BUCKETS` of them: no storage call and O(1) per request (Get Job's hot path pays a map
 * lookup). A Functions app that scales out therefore has a bucket per instance; docs/security.md
 * says what to put in front for a global limit.
 */
import type { Settings } from "../../config/settings";
import type { Clock } from "../../domain/clock";

/** As ARM counts them: GET (and HEAD) are reads, every other method a write. */
export type RequestKind = "reads" | "writes";

/** The budgets, as the settings schema checks them (`THROTTLE_*`). */
export type ThrottleSettings = Settings["throttle"];

export type Admission = { admitted: true; remaining: number } | { admitted: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * Buckets kept; beyond it the least recently used is forgotten. A bucket idle for `size /
 * refillPerSecond` seconds (10 s at ARM's read limits) is full again, and a forgotten bucket comes
 * back full, so forgetting the least recently used loses nothing unless this many subscriptions
 * called within those seconds.
 */
export const MAX_BUCKETS = 10_000;

export class SubscriptionThrottle {
  /** By kind and scope, least recently used first (a Map keeps insertion order; a use re-inserts). */
  private readonly buckets = new Map<string, Bucket>();
  private readonly listsRunning = new Map<string, number>();

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly clock: Clock,
  ) {}

  /** Takes a token of `scope`'s bucket of `kind`: the tokens left, or the seconds until one is back. */
  take(scope: string, kind: RequestKind): Admission {
    const limit = this.settings[kind];
    const key = `${kind} ${scope}`;
    const nowMs = this.clock.now().getTime();
    const bucket = this.buckets.get(key);
    let tokens = limit.size;
    if (bucket) {
      this.buckets.delete(key);
      // A clock set back (tests, a host's correction) refills nothing rather than taking tokens away.
      const elapsedSeconds = Math.max(0, nowMs - bucket.atMs) / 1000;
      tokens = Math.min(limit.size, bucket.tokens + elapsedSeconds * limit.refillPerSecond);
    } else if (this.buckets.size >= MAX_BUCKETS) {
      this.buckets.delete(this.buckets.keys().next().value!);
    }
    const admitted = tokens >= 1;
    if (admitted) tokens -= 1;
    this.buckets.set(key, { tokens, atMs: nowMs });
    if (admitted) return { admitted, remaining: Math.floor(tokens) };
    return { admitted, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.refillPerSecond)) };
  }

  /**
   * Starts a list of `scope` if fewer than `concurrentLists` of its lists run: the function that
   * ends it (call it once, when the list is answered), or undefined when the cap is reached.
   */
  startList(scope: string): (() => void) | undefined {
    const running = this.listsRunning.get(scope) ?? 0;
    if (running >= this.settings.concurrentLists) return undefined;
    this.listsRunning.set(scope, running + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.listsRunning.get(scope) ?? 1) - 1;
      if (left > 0) this.listsRunning.set(scope, left);
      else this.listsRunning.delete(scope);
    };
  }
}
