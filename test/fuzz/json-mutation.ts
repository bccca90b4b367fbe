/**
 * JSON bodies as trees that generated mutations edit: drop a property, replace a value with one of
 * the wrong type, a huge or odd Unicode string or a number out of range, add properties (including
 * `__proto__`), repeat array items past their limits, bury a value in deep nesting. `RawJson` is
 * text written as it is (numbers JSON.stringify cannot write, deep nesting without deep recursion).
 */
import * as fc from "fast-check";

export class RawJson {
  constructor(readonly text: string) {}
}

export type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

type Step = string | number;

export type Mutation =
  | { kind: "drop"; pick: number }
  | { kind: "replace"; pick: number; value: Json }
  | { kind: "extra"; pick: number; key: string; value: Json }
  | { kind: "repeat"; pick: number; times: number }
  | { kind: "nest"; pick: number; depth: number; open: "[" | "{" }
  | { kind: "retype"; pick: number }
  | { kind: "recase"; pick: number; upper: boolean }
  | { kind: "pad"; pick: number; pad: string };

function isPlainObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof RawJson);
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function define(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) {
    const copy: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) define(copy, key, clone(item));
    return copy;
  }
  return value;
}

/** The JSON text of a tree; RawJson nodes are written as they are. */
export function toJsonText(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

function paths(value: Json, prefix: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, index) => paths(item, [...prefix, index], out));
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) paths(item, [...prefix, key], out);
  return out;
}

function getAt(value: Json, path: Step[]): Json | undefined {
  let node: Json | undefined = value;
  for (const step of path) {
    if (Array.isArray(node) && typeof step === "number") node = node[step];
    else if (isPlainObject(node) && typeof step === "string") node = Object.prototype.hasOwnProperty.call(node, step) ? node[step] : undefined;
    else return undefined;
  }
  return node;
}

/** A copy of `root` with the node at `path` replaced (or removed when `next` is undefined). */
function updateAt(root: Json, path: Step[], next: Json | undefined): Json {
  if (path.length === 0) return next === undefined ? null : next;
  const [step, ...rest] = path;
  if (Array.isArray(root) && typeof step === "number") {
    const copy = [...root];
    if (rest.length === 0 && next === undefined) copy.splice(step, 1);
    else copy[step] = updateAt(root[step], rest, next);
    return copy;
  }
  if (isPlainObject(root) && typeof step === "string") {
    const copy: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(root)) if (key !== step) define(copy, key, item);
    if (!(rest.length === 0 && next === undefined)) define(copy, step, updateAt(root[step] ?? {}, rest, next));
    return copy;
  }
  return root;
}

/**
 * Sets `value` at a property path, turning whatever is in the way into objects: the path then
 * certainly holds `value`, whatever mutations came before.
 */
export function forceAt(root: Json, path: string[], value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const [step, ...rest] = path;
  const base = isPlainObject(root) ? root : {};
  const copy: { [key: string]: Json } = {};
  for (const [key, item] of Object.entries(base)) if (key !== step) define(copy, key, item);
  if (rest.length === 0) {
    if (value !== undefined) define(copy, step, value);
  } else {
    define(copy, step, forceAt(base[step] ?? {}, rest, value));
  }
  return copy;
}

export function applyMutation(root: Json, mutation: Mutation): Json {
  const all = paths(root);
  const path = all[mutation.pick % all.length];
  const current = getAt(root, path);
  switch (mutation.kind) {
    case "drop":
      return path.length === 0 ? root : updateAt(root, path, undefined);
    case "replace":
      return updateAt(root, path, mutation.value);
    case "extra": {
      const objects = all.filter((candidate) => isPlainObject(getAt(root, candidate)));
      if (objects.length === 0) return root;
      const target = objects[mutation.pick % objects.length];
      const node = getAt(root, target) as { [key: string]: Json };
      const copy = clone(node) as { [key: string]: Json };
      define(copy, mutation.key, mutation.value);
      return updateAt(root, target, copy);
    }
    case "repeat": {
      const item = Array.isArray(current) ? (current[0] ?? "x") : (current ?? null);
      return updateAt(root, path, Array.from({ length: mutation.times }, () => clone(item)));
    }
    case "nest": {
      const inner = toJsonText(current ?? null);
      const text =
        mutation.open === "[" ? `${"[".repeat(mutation.depth)}${inner}${"]".repeat(mutation.depth)}` : `${'{"a":'.repeat(mutation.depth)}${inner}${"}".repeat(mutation.depth)}`;
      return updateAt(root, path, new RawJson(text));
    }
    case "retype": {
      if (typeof current === "number" || typeof current === "boolean") return updateAt(root, path, String(current));
      if (typeof current === "string") return updateAt(root, path, Number.isNaN(Number(current)) ? [current] : Number(current));
      return updateAt(root, path, current === null ? 0 : toJsonText(current ?? null));
    }
    case "recase":
      return typeof current === "string" ? updateAt(root, path, mutation.upper ? current.toUpperCase() : current.toLowerCase()) : root;
    case "pad":
      return typeof current === "string" ? updateAt(root, path, `${mutation.pad}${current}${mutation.pad}`) : root;
  }
}

export function applyMutations(root: Json, mutations: Mutation[]): Json {
  return mutations.reduce(applyMutation, clone(root));
}

// ---- Odd values ----

const HUGE_UNITS = ["x", "é", "€", "😀", " ", "\u0000", "\ud800", "'", '"', "\\", "%", "\u202e", "\n"];
const HUGE_LENGTHS = [2, 33, 65, 91, 129, 257, 1025, 4097, 8193, 33_000, 70_000];

/** Strings at and past every length limit of the schemas, in 1- to 4-byte characters. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...HUGE_UNITS), fc.constantFrom(...HUGE_LENGTHS))
  .map(([unit, length]) => unit.repeat(length));

/** Unicode that trips case mapping, normalization, trimming and UTF-16 handling. */
export const oddUnicode: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "İstanbul",
    "ımport",
    "ſhipping",
    "Ｉｍｐｏｒｔ",
    "\uFEFFImport",
    "Import\u0000",
    "Impor\u200Bt",
    "\ud83d",
    "\udc00x",
    "e\u0301",
    "👩‍👩‍👧",
    "\u202eevil",
    "West\u00a0US",
    "west\tus",
    "WestUS\n",
    "Shipping\u0000",
    "ＳＨＩＰＰＩＮＧ",
    "\u2028",
    "'; DROP TABLE jobs; --",
    "' or PartitionKey ne '",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "%00",
    "\\u0000",
  ),
);

/** Values of the wrong type, out of range, or odd: what a mutation puts in place of a valid one. */
export const oddValue: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1,
      1.5,
      10,
      11,
      50,
      51,
      60,
      61,
      90,
      91,
      100,
      101,
      1e21,
      -1e21,
      2 ** 53 + 1,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      "",
      " ",
      "\t\n ",
      "null",
      "true",
      "0",
      "10",
      "[]",
      "{}",
      [],
      {},
      [null],
      [1, 2, 3],
      [""],
      [{}],
      { a: 1 },
    ),
  },
  { weight: 2, arbitrary: oddUnicode },
  { weight: 1, arbitrary: hugeString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      new RawJson("1e400"),
      new RawJson("-1e400"),
      new RawJson("-0"),
      new RawJson("123456789012345678901234567890"),
      new RawJson("1E-400"),
      new RawJson("5.0"),
      new RawJson("0.1e1"),
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);

const extraKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", " ", "$type", "id", "name", "properties", "tags", "state", "type", "odata.type", "😀", "\u0000"),
  fc.string({ maxLength: 20 }),
);

const pick = fc.nat();

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("replace" as const), pick, value: oddValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("extra" as const), pick, key: extraKey, value: oddValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("repeat" as const), pick, times: fc.constantFrom(0, 2, 11, 21, 51, 101, 1001) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("nest" as const), pick, depth: fc.constantFrom(2, 64, 1000, 10_000, 50_000), open: fc.constantFrom("[" as const, "{" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("retype" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("recase" as const), pick, upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pad" as const), pick, pad: fc.constantFrom(" ", "\t", "\u00a0", "\u200b", "\n", "😀") }) },
);

/** Zero to three mutations, most often one. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 0, maxLength: 3 });
