/** The token buckets and the list cap of `SubscriptionThrottle`, on a clock moved by hand. */
import { MAX_BUCKETS, SubscriptionThrottle, ThrottleSettings } from "../../shared/auth/subscription-throttle";
import { TestClock } from "../support/service";

const SETTINGS: ThrottleSettings = { reads: { size: 3, refillPerSecond: 2 }, writes: { size: 2, refillPerSecond: 0.25 }, concurrentLists: 2 };

function throttle(settings = SETTINGS) {
  const clock = new TestClock(new Date("2026-11-23T10:00:00Z"));
  return { clock, throttle: new SubscriptionThrottle(settings, clock) };
}

test("a full bucket counts down to 0, then refuses with the seconds until a token is back", () => {
  const { throttle: buckets } = throttle();

  const taken = [1, 2, 3].map(() => buckets.take("sub-a", "writes"));
  const refused = buckets.take("sub-a", "writes");

  expect(taken).toEqual([{ admitted: true, remaining: 1 }, { admitted: true, remaining: 0 }, { admitted: false, retryAfterSeconds: 4 }]);
  expect(refused).toEqual({ admitted: false, retryAfterSeconds: 4 });
});

test("tokens come back at the refill rate, never beyond the bucket's size", () => {
  const { clock, throttle: buckets } = throttle();
  for (let i = 0; i < 3; i++) buckets.take("sub-a", "reads");

  clock.advance(250);
  expect(buckets.take("sub-a", "reads")).toEqual({ admitted: false, retryAfterSeconds: 1 });
  clock.advance(1250); // 1.5 s since empty: 3 tokens at 2 a second, capped at 3
  expect(buckets.take("sub-a", "reads")).toEqual({ admitted: true, remaining: 2 });
  clock.advance(60_000);
  expect(buckets.take("sub-a", "reads")).toEqual({ admitted: true, remaining: 2 });
});

test("a clock set back takes no tokens away", () => {
  const { clock, throttle: buckets } = throttle();
  buckets.take("sub-a", "reads");

  clock.advance(-10_000);

  expect(buckets.take("sub-a", "reads")).toEqual({ admitted: true, remaining: 1 });
});

test("each scope and each kind has a bucket of its own", () => {
  const { throttle: buckets } = throttle();
  for (let i = 0; i < 3; i++) buckets.take("sub-a", "reads");

  expect(buckets.take("sub-a", "reads").admitted).toBe(false);
  expect(buckets.take("sub-a", "writes")).toEqual({ admitted: true, remaining: 1 });
  expect(buckets.take("sub-b", "reads")).toEqual({ admitted: true, remaining: 2 });
});

test("at most MAX_BUCKETS are kept: the least recently used is forgotten, and comes back full", () => {
  const { throttle: buckets } = throttle();
  for (let i = 0; i < 3; i++) buckets.take("drained", "reads");
  buckets.take("recent", "reads");

  for (let i = 0; i < MAX_BUCKETS - 2; i++) buckets.take(`other-${i}`, "reads");
  buckets.take("recent", "reads"); // used again: now the most recent
  buckets.take("one-more", "reads");

  expect(buckets.take("drained", "reads")).toEqual({ admitted: true, remaining: 2 });
  expect(buckets.take("recent", "reads")).toEqual({ admitted: true, remaining: 0 });
});

test("lists: at most concurrentLists of a scope at once; ending one frees its place, once", () => {
  const { throttle: buckets } = throttle();
  const first = buckets.startList("sub-a")!;
  const second = buckets.startList("sub-a")!;

  expect(first).toBeDefined();
  expect(second).toBeDefined();
  expect(buckets.startList("sub-a")).toBeUndefined();
  expect(buckets.startList("sub-b")).toBeDefined();

  first();
  first(); // a second call frees nothing more
  expect(buckets.startList("sub-a")).toBeDefined();
  expect(buckets.startList("sub-a")).toBeUndefined();
});
