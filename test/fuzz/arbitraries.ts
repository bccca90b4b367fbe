/**
 * Generators of HTTP requests for the fuzz tests: valid create, update, event and arrival bodies and
 * their mutations; paths with mutated segments; list queries ($filter from a grammar of valid and
 * near-valid OData, $top, $skiptoken, api-version); Authorization, Content-Type and other headers;
 * oversized and deeply nested bodies; every method.
 *
 * A request marked `mustReject` carries one "fatal" defect that the service must refuse whatever
 * else the request holds (an invalid Authorization, a schema violation, broken JSON, a body over
 * the limit, ...): only such requests, and reads, are aimed at the seeded jobs.
 */
import * as fc from "fast-check";
import { DEV_TENANT, DEV_TOKENS } from "../../shared/service/auth/authenticator";
import { DRIVE_STATES } from "../../shared/domain/drive-state-machine";
import { JOB_STATES } from "../../shared/domain/job-state-machine";
import { BITLOCKER_KEY, DELIVERY_PACKAGE, devToken, MANIFEST_HASH, RETURN_ADDRESS } from "../support/service";
import { applyMutations, forceAt, hugeString, Json, Mutation, mutations, oddUnicode, toJsonText } from "./json-mutation";
import { FuzzRequest, withDescription } from "./support";

export const API_VERSION = "2021-01-01";
const OPERATOR_ROLE = "ImportExport.Operator";
const OTHER_TENANT = "11111111-1111-1111-1111-111111111111";

export interface JobTarget {
  sub: string;
  rg: string;
  name: string;
  jobType: "Import" | "Export";
  driveIds: string[];
}

export interface FuzzTargets {
  /** Jobs whose entities must not change: only reads and certainly invalid requests go to them. */
  seeded: JobTarget[];
  /** Where near-valid traffic goes: jobs are created, updated and deleted here. */
  fuzzSub: string;
  fuzzRgs: string[];
  fuzzNames: string[];
  /** Ids of unmatched arrivals that name no seeded job. */
  arrivalIds: string[];
  /** Continuation tokens the service issued. */
  skipTokens: string[];
  /** Timer names the admin endpoint runs: never generated. */
  timers: string[];
  maxBodyBytes: number;
}

// ---- Characters and small values ----

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const latin1 = fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code));
/** Any text Node accepts in a header value. */
const headerText = fc.string({ unit: fc.oneof({ weight: 5, arbitrary: printable }, { weight: 1, arbitrary: latin1 }), maxLength: 60 });

function recase(text: string, style: number): string {
  switch (style % 4) {
    case 1:
      return text.toLowerCase();
    case 2:
      return text.toUpperCase();
    case 3:
      return [...text].map((char, index) => (index % 2 ? char.toUpperCase() : char.toLowerCase())).join("");
    default:
      return text;
  }
}

/** Every character as %XX (UTF-8): decodes to the same text. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDFFF]/gu, "\uFFFD");
}

function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(text);
}

function percentEncodeAll(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

// ---- Authorization ----

export type AuthKind = "customer" | "operator" | "otherTenant" | "otherOperator" | "invalid";

export interface Auth {
  kind: AuthKind;
  /** undefined: no Authorization header. */
  header?: string;
}

const bearer = (token: string) => `Bearer ${token}`;

const customerAuth: fc.Arbitrary<Auth> = fc
  .constantFrom(
    bearer(DEV_TOKENS.customer),
    `bearer ${DEV_TOKENS.customer}`,
    `BEARER   ${DEV_TOKENS.customer}  `,
    `Bearer\t${DEV_TOKENS.customer}`,
    bearer(devToken({ tid: DEV_TENANT, upn: "fuzz@contoso.test" })),
    bearer(devToken({ tid: DEV_TENANT, name: "n".repeat(300), idtyp: "app" })),
    bearer(devToken({ tid: DEV_TENANT, roles: "not-an-array", oid: 5 })),
  )
  .map((header) => ({ kind: "customer" as const, header }));

const operatorAuth: fc.Arbitrary<Auth> = fc
  .constantFrom(bearer(DEV_TOKENS.operator), bearer(devToken({ tid: DEV_TENANT, oid: "fuzz-operator", roles: [OPERATOR_ROLE, 5] })))
  .map((header) => ({ kind: "operator" as const, header }));

/** Another tenant, or a tenant id that is odd: never the dev tenant, never an operator. */
const otherTenantAuth: fc.Arbitrary<Auth> = fc
  .constantFrom<unknown>(OTHER_TENANT, DEV_TENANT.toUpperCase(), `${DEV_TENANT} `, "\ud800", "t\u0000", "a'b", "😀", " ", "x".repeat(3000))
  .map((tid) => ({ kind: "otherTenant" as const, header: bearer(devToken({ tid, roles: ["Reader"] })) }));

const otherOperatorAuth: fc.Arbitrary<Auth> = fc.constant({ kind: "otherOperator" as const, header: bearer(devToken({ tid: OTHER_TENANT, roles: [OPERATOR_ROLE] })) });

const DEV_TOKEN_VALUES: string[] = [DEV_TOKENS.customer, DEV_TOKENS.operator];

/** An Authorization that no route accepts. */
const invalidAuth: fc.Arbitrary<Auth> = fc
  .oneof(
    fc.constantFrom<string | undefined>(
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Basic ZGV2OmRldg==",
      "Bearer dev dev",
      "Token dev",
      "dev",
      "Bearer x.%%%.y",
      "Bearer ..",
      bearer(devToken({ upn: "no tenant" })),
      bearer(devToken({ tid: 42 })),
      bearer(devToken({ tid: "" })),
      bearer(devToken({ tid: ["a"] })),
      bearer(devToken({ tid: null })),
      `Bearer e30.${Buffer.from("not json").toString("base64url")}.`,
      `Bearer ${"x".repeat(8000)}`,
    ),
    // No dots: never a JWT; never one of the dev tokens.
    fc
      .string({ unit: printable.filter((char) => char !== "."), minLength: 1, maxLength: 50 })
      .filter((token) => !DEV_TOKEN_VALUES.includes(token.trim()))
      .map((token) => `Bearer ${token}`),
    headerText.filter((text) => !/^bearer\s/i.test(text.trim())),
  )
  .map((header) => ({ kind: "invalid" as const, header }));

// ---- Content types and other headers ----

const GOOD_CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "text/json",
  "application/merge-patch+json",
  "application/vnd.api+json",
  "application/json;odata=verbose",
  "application/json ; charset=latin1",
];
const BAD_CONTENT_TYPES = [
  "text/plain",
  "application/xml",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/jsonp",
  "json",
  "application/json-seq",
  "*/*",
  "text/html; charset=utf-8",
  "application/octet-stream",
  "application",
  "application/ json",
];

/** A JSON content type, or none at all (the body is read as JSON either way). */
const goodContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  { weight: 3, arbitrary: fc.constantFrom(...GOOD_CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const noiseHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  headerText.map((value): [string, string] => ["x-ms-correlation-request-id", value]),
  fc
    .constantFrom(
      "http://evil.example/x",
      "not a url",
      "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$top=1",
      "javascript:alert(1)",
      "http://[::1]:99999/",
    )
    .map((value): [string, string] => ["referer", value]),
  fc.constantFrom("application/xml", "*/*", "text/html").map((value): [string, string] => ["accept", value]),
  fc.constantFrom("DELETE", "PUT", "GET").map((value): [string, string] => ["x-http-method-override", value]),
  fc.constantFrom("gzip", "br", "identity").map((value): [string, string] => ["content-encoding", value]),
  fc.constantFrom("*", '"garbage"', 'W/"x"').map((value): [string, string] => ["if-match", value]),
  headerText.map((value): [string, string] => ["x-ms-client-tenant-id", value]),
  headerText.map((value): [string, string] => ["user-agent", value]),
);

/** Host headers a URL cannot be built from, among ordinary ones. */
const oddHost: fc.Arbitrary<[string, string]> = fc
  .constantFrom("a b", "[", "x:99999", "example.com", "localhost:1", "%", "[::1]:80", "", "a@b", "ex ample.com:1", "\u00e9t\u00e9")
  .map((value): [string, string] => ["host", value]);

const noiseHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  { weight: 30, arbitrary: fc.array(noiseHeader, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.tuple(oddHost).map((headers) => headers) },
);

// ---- Paths ----

/** Writes a path that names the same resource in another form: case, %-encoding, dot segments, trailing slash. */
export interface EquivalentStyle {
  literalCase: number;
  nameCase: number;
  encodeNames: boolean;
  dotSegment: number;
  trailingSlash: boolean;
}

const equivalentStyle: fc.Arbitrary<EquivalentStyle> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ literalCase: 0, nameCase: 0, encodeNames: false, dotSegment: 0, trailingSlash: false }) },
  {
    weight: 2,
    arbitrary: fc.record({ literalCase: fc.nat(3), nameCase: fc.nat(3), encodeNames: fc.boolean(), dotSegment: fc.nat(3), trailingSlash: fc.boolean() }),
  },
);

function writePath(segments: { text: string; literal: boolean }[], style: EquivalentStyle): string {
  const written = segments.map(({ text, literal }) =>
    literal ? recase(text, style.literalCase) : style.encodeNames ? percentEncodeAll(recase(text, style.nameCase)) : recase(text, style.nameCase),
  );
  // "/." and "/x/.." are removed when the URL is parsed.
  if (style.dotSegment === 1) written.splice(1, 0, ".");
  if (style.dotSegment === 2) written.splice(1, 0, "x", "..");
  return `/${written.join("/")}${style.trailingSlash ? "/" : ""}`;
}

const lit = (text: string) => ({ text, literal: true });
const name = (text: string) => ({ text, literal: false });

function customerJobSegments(job: { sub: string; rg: string; name: string }, suffix?: string) {
  return [
    lit("subscriptions"),
    name(job.sub),
    lit("resourceGroups"),
    name(job.rg),
    lit("providers"),
    lit("Microsoft.ImportExport"),
    lit("jobs"),
    name(job.name),
    ...(suffix ? [lit(suffix)] : []),
  ];
}

function operatorJobSegments(job: { sub: string; rg: string; name: string }, suffix?: string) {
  return [lit("operator"), lit("subscriptions"), name(job.sub), lit("resourceGroups"), name(job.rg), lit("jobs"), name(job.name), ...(suffix ? [lit(suffix)] : [])];
}

/** Segments that are not names: reserved, encoded, dot, too long, Unicode. */
const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "%2e",
    "%2e%2e",
    "%2F",
    "a%2Fb",
    "%3F",
    "a%3Fb",
    "%23",
    "%00",
    "a%00b",
    "%20",
    "%",
    "%zz",
    "%E0%A4%A",
    "%C3%A9t%C3%A9",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "$metadata",
    "*",
    "a;b=c",
    "a,b",
    "+",
    "~",
    "(x)",
    "'",
    "%22",
    "%3Cx%3E",
    "%5C",
    "a:b",
    "@",
    "!",
    "-x",
    "_x",
    "x",
    "x".repeat(64),
    "x".repeat(65),
    "x".repeat(91),
    "x".repeat(2000),
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-00000000000G",
    "jobs",
    "subscriptions",
    "operator",
  ),
  oddUnicode.filter(isWellFormed).map((text) => encodeURIComponent(text)),
  fc.string({ unit: printable.filter((char) => !"/?# %".includes(char)), maxLength: 20 }),
);

export type PathEdit =
  | { kind: "replace"; at: number; segment: string }
  | { kind: "remove"; at: number }
  | { kind: "insert"; at: number; segment: string }
  | { kind: "doubleSlash"; at: number }
  | { kind: "joinEncoded"; at: number }
  | { kind: "recase"; at: number; style: number };

const pathEdit: fc.Arbitrary<PathEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), segment: oddSegment }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), segment: oddSegment }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("doubleSlash" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("joinEncoded" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("recase" as const), at: fc.nat(), style: fc.nat(3) }) },
);

function editPath(segments: string[], edits: PathEdit[]): string {
  let current = [...segments];
  for (const edit of edits) {
    const at = current.length === 0 ? 0 : edit.at % (current.length + (edit.kind === "insert" ? 1 : 0));
    switch (edit.kind) {
      case "replace":
        if (current.length > 0) current[at] = edit.segment;
        break;
      case "remove":
        current.splice(at, 1);
        break;
      case "insert":
        current.splice(at, 0, edit.segment);
        break;
      case "doubleSlash":
        current.splice(at, 0, "");
        break;
      case "joinEncoded":
        if (at + 1 < current.length) current = [...current.slice(0, at), `${current[at]}%2F${current[at + 1]}`, ...current.slice(at + 2)];
        break;
      case "recase":
        if (current.length > 0) current[at] = recase(current[at], edit.style);
        break;
    }
  }
  return `/${current.join("/")}`;
}

// ---- Queries ----

type QueryPair = [string, string];

function writeQuery(pairs: (QueryPair | string)[]): string {
  const parts = pairs.map((pair) => (typeof pair === "string" ? pair : `${pair[0]}=${pair[1]}`));
  return parts.length ? `?${parts.join("&")}` : "";
}

/** Encodes a query value as a client would, in one of the forms a server must read alike. */
const encodedValue = (value: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    encodeURIComponent(wellFormed(value)),
    new URLSearchParams({ v: wellFormed(value) }).toString().slice(2),
    // As it is, when it is plain enough to be sent that way.
    /^[\x21-\x7e]*$/.test(value) && !/[#&+%]/.test(value) ? value : encodeURIComponent(wellFormed(value)),
  );

const VALID_API_VERSION: fc.Arbitrary<string[]> = fc.constantFrom(
  [`api-version=${API_VERSION}`],
  [`api-version=${API_VERSION}`, "api-version=garbage"],
  ["API-VERSION=x", `api-version=${API_VERSION}`],
);

/** Missing, empty or unsupported: refused by every ARM route. */
const INVALID_API_VERSION: fc.Arbitrary<string[]> = fc.constantFrom(
  [],
  ["api-version="],
  ["api-version"],
  ["api-version=2021-01-02"],
  ["api-version=2020-01-01"],
  ["api-version=2021-01-01%20"],
  ["API-VERSION=2021-01-01"],
  ["Api-Version=2021-01-01"],
  ["api-version=garbage", `api-version=${API_VERSION}`],
  ["api-version=2021-01-01-preview"],
  ["api-version=%E2%80%8B2021-01-01"],
  ["api-version=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%91-01-01"],
  ["api%2Dversion=2021-01-01%3F"],
);

const noiseQuery: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    fc.constantFrom("foo=bar", "$expand=x", "$orderby=name", "%zz=1", "a", "&", "=x", "$select=*", "x=%E0%A4%A", "__proto__=1", "constructor=x", "$FILTER=state%20eq%20'Creating'"),
    fc.tuple(fc.string({ unit: printable.filter((char) => !"&=#+% ".includes(char)), maxLength: 10 }), fc.string({ maxLength: 20 })).map(
      ([key, value]) => `${key}=${encodeURIComponent(wellFormed(value))}`,
    ),
  ),
  { maxLength: 2 },
);

// OData $filter: a grammar of valid comparisons combined with and/or/parentheses, and near misses.

function quoted(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const filterField = (names: string[]) => fc.tuple(fc.constantFrom(...names), fc.nat(3)).map(([field, style]) => recase(field, style));

const validDate: fc.Arbitrary<string> = fc
  .tuple(
    fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
    fc.constantFrom("iso", "date", "noMillis", "offset", "noZone", "lower"),
  )
  .map(([date, form]) => {
    const iso = date.toISOString();
    switch (form) {
      case "date":
        return iso.slice(0, 10);
      case "noMillis":
        return `${iso.slice(0, 19)}Z`;
      case "offset":
        return `${iso.slice(0, 19)}+05:30`;
      case "noZone":
        return iso.slice(0, 19);
      case "lower":
        return iso.toLowerCase();
      default:
        return iso;
    }
  });

const oddDate = fc.constantFrom(
  "2026-02-30",
  "2026-13-01",
  "0001-01-01",
  "0100-01-01",
  "1600-01-01T00:00:00Z",
  "1601-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T00:00:00+24:00",
  "2026-1-1",
  "20260101",
  "",
  "now",
  "2026-01-01T00:00:00.123456789Z",
  "2026-01-01T00:00:00Zjunk",
  "2026-01-01 00:00:00",
  "+002026-01-01",
  "2026-01-01T00:00:00-00:00",
);

const stateComparison = fc
  .tuple(
    filterField(["state", "properties/state"]),
    fc.oneof({ weight: 10, arbitrary: fc.constantFrom("eq", "ne", "EQ", "Ne") }, { weight: 1, arbitrary: fc.constantFrom("gt", "=", "eqq", "") }),
    fc.oneof(
      { weight: 10, arbitrary: fc.tuple(fc.constantFrom(...JOB_STATES), fc.nat(3)).map(([state, style]) => quoted(recase(state, style))) },
      { weight: 1, arbitrary: fc.constantFrom("'Nope'", "''", "Creating", "'Creating", "'Creating' or '1'='1'", "'Crea''ting'", "datetime'2026-01-01'", "'Creating\u0000'") },
    ),
  )
  .map(([field, op, value]) => `${field} ${op} ${value}`);

const typeComparison = fc
  .tuple(
    filterField(["jobType", "properties/jobType"]),
    fc.oneof({ weight: 10, arbitrary: fc.constantFrom("eq", "ne") }, { weight: 1, arbitrary: fc.constant("gt") }),
    fc.oneof({ weight: 10, arbitrary: fc.constantFrom("'Import'", "'export'", "'IMPORT'") }, { weight: 1, arbitrary: fc.constantFrom("'Both'", "Import", "''") }),
  )
  .map(([field, op, value]) => `${field} ${op} ${value}`);

const timeComparison = fc
  .tuple(
    filterField(["creationTime", "createdAt", "systemData/createdAt"]),
    fc.oneof({ weight: 10, arbitrary: fc.constantFrom("gt", "ge", "lt", "le") }, { weight: 1, arbitrary: fc.constantFrom("eq", "ne", "") }),
    fc.oneof({ weight: 8, arbitrary: validDate }, { weight: 1, arbitrary: oddDate }),
    fc.oneof({ weight: 8, arbitrary: fc.constant("datetime") }, { weight: 1, arbitrary: fc.constantFrom("DateTime", "", "date") }),
  )
  .map(([field, op, date, prefix]) => `${field} ${op} ${prefix}${quoted(date)}`);

const oddComparison = fc.constantFrom(
  "name eq 'x'",
  "PartitionKey ne ''",
  "TenantId ne 'x'",
  "location eq 'westus'",
  "tags/x eq 'y'",
  "state",
  "state eq",
  "eq 'Creating'",
  "1 eq 1",
  "state eq 'Creating' and",
  "not state eq 'Creating'",
  "state in ('Creating')",
  "startswith(name,'a')",
);

const comparison = fc.oneof(
  { weight: 3, arbitrary: stateComparison },
  { weight: 2, arbitrary: typeComparison },
  { weight: 3, arbitrary: timeComparison },
  { weight: 1, arbitrary: oddComparison },
);

const filterExpression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 4, depthIdentifier: "filter" },
    comparison,
    tie("expr").map((inner) => `(${inner})`),
    fc.tuple(tie("expr"), fc.constantFrom(" and ", " or ", " AND ", " Or ", "  and\t", " && ", " ", " xor "), tie("expr")).map(([left, op, right]) => `${left}${op}${right}`),
  ),
})).expr;

const filterText: fc.Arbitrary<string> = fc.oneof(
  { weight: 16, arbitrary: filterExpression },
  // Past the parser's limits, and broken text.
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      `${"(".repeat(11)}state eq 'Creating'${")".repeat(11)}`,
      `${"(".repeat(10)}state eq 'Creating'${")".repeat(10)}`,
      Array.from({ length: 21 }, () => "state eq 'Creating'").join(" or "),
      Array.from({ length: 20 }, () => "state eq 'Creating'").join(" or "),
      `state eq '${"x".repeat(2100)}'`,
      "(".repeat(5000),
      "",
      "   ",
      "'",
      "''",
      "()",
      "state eq 'Creating')",
      "(state eq 'Creating'",
    ),
  },
  { weight: 1, arbitrary: fc.tuple(filterExpression, fc.nat(), oddUnicode).map(([text, at, insert]) => `${text.slice(0, at % (text.length + 1))}${insert}${text.slice(at % (text.length + 1))}`) },
  { weight: 1, arbitrary: fc.tuple(filterExpression, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))) },
);

const topValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("0", "101", "-1", "1.5", "1e2", "0x10", "", " 5", "5 ", "١٢", "00001", "999", "1000", "abc", "NaN", "Infinity", "9".repeat(400)) },
);

function base64Json(value: unknown, url: boolean): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString(url ? "base64url" : "base64");
}

const tokenKey = fc.oneof(
  fc.constantFrom("", "a", "zz", "'", "''", "a'b", "\u0000", "\ud800", "😀", "x".repeat(1024), "x".repeat(1025), "sub:rg", "00000000-0000-0000-0000-000000000000:rg", "%", "\\", "/", "#", "?", "1!2", "\n"),
  oddUnicode,
);

const skipToken = (targets: FuzzTargets): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: targets.skipTokens.length ? fc.constantFrom(...targets.skipTokens) : fc.constant("") },
    {
      weight: 2,
      arbitrary: targets.skipTokens.length
        ? fc.tuple(fc.constantFrom(...targets.skipTokens), fc.nat(), fc.constantFrom("A", "=", "-", "_", "!", "")).map(([token, at, char]) => {
            const cut = at % (token.length + 1);
            return `${token.slice(0, cut)}${char}${token.slice(cut + 1)}`;
          })
        : fc.constant("x"),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(tokenKey, fc.option(tokenKey, { nil: undefined }), fc.boolean(), fc.option(fc.constantFrom<unknown>(1, null, "x", [1]), { nil: undefined }))
        .map(([pk, rk, url, extra]) => base64Json({ nextPartitionKey: pk, ...(rk !== undefined ? { nextRowKey: rk } : {}), ...(extra !== undefined ? { extra } : {}) }, url)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(null, [], {}, "x", 1, { nextPartitionKey: 5 }, { nextRowKey: "x" }, { nextPartitionKey: ["a"] }).map((value) => base64Json(value, false)),
    },
    { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 40 }), fc.constantFrom("", "===", "x".repeat(4097), "e30", "bnVsbA")) },
  );

// ---- Bodies ----

const drivePool = ["DRIVE01", "DRIVE02", "drive03", "D4", "X_5", "Y-6"];

const bitLockerKey = fc.oneof(
  { weight: 3, arbitrary: fc.constant(BITLOCKER_KEY) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 999_999 }), { minLength: 8, maxLength: 8 }).map((groups) => groups.map((n) => String(n).padStart(6, "0")).join("-")) },
);

const manifestHash = fc.oneof(fc.constant(MANIFEST_HASH), fc.stringMatching(/^[0-9A-Fa-f]{32,64}$/));

const driveSpec = (driveId: fc.Arbitrary<string>) =>
  fc.record(
    {
      driveId,
      bitLockerKey,
      manifestFile: fc.constantFrom("\\DriveManifest.xml", "\\m.xml", "manifest"),
      manifestHash,
      driveHeaderHash: fc.constantFrom("", "abc", "x".repeat(100)),
    },
    { requiredKeys: ["driveId", "bitLockerKey", "manifestFile", "manifestHash"] },
  );

const driveList = fc.uniqueArray(driveSpec(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...drivePool) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) })), {
  minLength: 1,
  maxLength: 10,
  selector: (drive) => drive.driveId.toUpperCase(),
});

const returnAddress = fc.record(
  {
    recipientName: fc.constantFrom("Test Person", "Zoë Ølsen", "李雷"),
    streetAddress1: fc.constant("1 Main Street"),
    streetAddress2: fc.constantFrom("", "Suite 2"),
    city: fc.constantFrom("Redmond", "København"),
    stateOrProvince: fc.constant("WA"),
    postalCode: fc.constantFrom("98007", "DK-1050"),
    countryOrRegion: fc.constantFrom("USA", "Denmark"),
    phone: fc.constantFrom("4250000000", "+45 12 34 56 78"),
    email: fc.constantFrom("test@contoso.com", "a.b+c@example.org"),
  },
  { requiredKeys: ["recipientName", "streetAddress1", "city", "postalCode", "countryOrRegion", "phone", "email"] },
);

const returnShipping = fc.record({ carrierName: fc.constantFrom("FedEx", "UPS", "DHL"), carrierAccountNumber: fc.constantFrom("123456789", "ACC-1") });

const deliveryPackage = fc.record(
  {
    carrierName: fc.constantFrom("FedEx", "UPS"),
    trackingNumber: fc.constantFrom("123456789012", "1Z999", "T-1"),
    driveCount: fc.integer({ min: 0, max: 10 }),
    shipDate: fc.constantFrom("2026-11-20", "2026-11-20T10:00:00Z"),
  },
  { requiredKeys: ["carrierName", "trackingNumber"] },
);

const tags = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 4 });

const location = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("West US", "westus", "WESTUS", "west us", "East US", "North Europe", "japaneast") },
  { weight: 1, arbitrary: fc.constantFrom("Mars Central", "") },
);

function storageAccountId(sub: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    `/subscriptions/${sub}/resourceGroups/storage-rg/providers/Microsoft.Storage/storageAccounts/teststore`,
    `/subscriptions/${sub}/resourceGroups/storage-rg/providers/Microsoft.ClassicStorage/storageAccounts/classic1`,
    `/SUBSCRIPTIONS/${sub}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/abc`,
  );
}

const optionalJobProperties = {
  returnAddress,
  returnShipping,
  deliveryPackage,
  diagnosticsPath: fc.constantFrom("waimportexport", "diag/path"),
  logLevel: fc.constantFrom("Error", "Verbose", "verbose", "ERROR"),
  backupDriveManifest: fc.boolean(),
  encryptionKey: fc.oneof(
    fc.constant({ kekType: "MicrosoftManaged" }),
    fc.constant({ kekType: "CustomerManaged", kekUrl: "https://vault.example/keys/k1", kekVaultResourceID: "/subscriptions/x/vault" }),
  ),
};

function putImportBody(sub: string): fc.Arbitrary<Json> {
  return fc.record(
    {
      location,
      tags,
      properties: fc.record(
        { jobType: fc.constantFrom("Import", "import", "IMPORT"), storageAccountId: storageAccountId(sub), driveList, ...optionalJobProperties },
        { requiredKeys: ["jobType", "storageAccountId", "driveList"] },
      ),
    },
    { requiredKeys: ["location", "properties"] },
  ) as fc.Arbitrary<Json>;
}

function putExportBody(sub: string): fc.Arbitrary<Json> {
  const exportSpec = fc.oneof(
    fc.record({ blobList: fc.record({ blobPathPrefix: fc.array(fc.constantFrom("/container/", "/c/photos/", "$root/"), { minLength: 1, maxLength: 3 }) }) }),
    fc.record({ blobList: fc.record({ blobPath: fc.array(fc.constantFrom("/c/a.txt", "/c/b.bin"), { minLength: 1, maxLength: 3 }) }) }),
    fc.constant({ blobListBlobPath: "/container/list.xml" }),
  );
  return fc.record(
    {
      location,
      tags,
      properties: fc.record(
        { jobType: fc.constantFrom("Export", "export"), storageAccountId: storageAccountId(sub), export: exportSpec, ...optionalJobProperties },
        { requiredKeys: ["jobType", "storageAccountId", "export"] },
      ),
    },
    { requiredKeys: ["location", "properties"] },
  ) as fc.Arbitrary<Json>;
}

const patchBody: fc.Arbitrary<Json> = fc.record(
  {
    tags,
    properties: fc.record(
      {
        cancelRequested: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        state: fc.constantFrom("", "Shipping", "shipping", "SHIPPING"),
        returnAddress,
        returnShipping,
        deliveryPackage,
        logLevel: fc.constantFrom("Error", "Verbose"),
        backupDriveManifest: fc.boolean(),
        driveList,
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Json>;

const reason = fc.constantFrom("Damaged label", "Broken drive", "x".repeat(1024), "Zoë");
const logLines = fc.array(fc.constantFrom("line", "", "ERROR x", "x".repeat(200)), { maxLength: 3 });

function eventBody(driveIds: string[]): fc.Arbitrary<Json> {
  const driveId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...driveIds, ...drivePool) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) });
  const carrier = fc.constantFrom("FedEx", "UPS");
  const tracking = fc.constantFrom("IN-0001", "IN-0002", "T".repeat(64));
  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const events: fc.Arbitrary<Record<string, unknown>>[] = [
    fc.record({ type: fc.constant("PackageReceived"), carrierName: carrier, trackingNumber: tracking, driveIds: fc.uniqueArray(driveId, { minLength: 1, maxLength: 6, selector: (id) => id.toUpperCase() }) }),
    fc.record({ type: fc.constant("DriveReceived"), driveId, carrierName: optional(carrier), trackingNumber: optional(tracking) }),
    fc.record({ type: fc.constant("TransferStarted"), driveId, totalBytes: optional(fc.integer({ min: 1, max: 2 ** 40 })), manifest: optional(fc.constantFrom("<xml/>", "")) }),
    fc.record({
      type: fc.constant("TransferProgress"),
      driveId,
      bytesSucceeded: fc.integer({ min: 0, max: 2 ** 40 }),
      totalBytes: optional(fc.integer({ min: 1, max: 2 ** 40 })),
      percentComplete: fc.integer({ min: 0, max: 100 }),
      copyStatus: optional(fc.constantFrom("Copying", "x".repeat(256))),
      errorLog: optional(logLines),
      verboseLog: optional(logLines),
    }),
    fc.record({
      type: fc.constant("TransferFinished"),
      driveId,
      outcome: fc.constantFrom("Completed", "CompletedMoreInfo"),
      bytesSucceeded: optional(fc.integer({ min: 0, max: 2 ** 40 })),
      copyStatus: optional(fc.constant("Done")),
      errorLog: optional(logLines),
      verboseLog: optional(logLines),
      incompleteBlobs: optional(fc.array(fc.constantFrom("/c/a", "/c/b"), { maxLength: 3 })),
    }),
    fc.record({ type: fc.constant("ShippedBack"), carrierName: carrier, trackingNumber: tracking, driveCount: fc.integer({ min: 0, max: 60 }), shipDate: fc.constantFrom("2026-12-01", "2026-12-01T00:00:00Z") }),
    fc.record({ type: fc.constant("ReturnAddressProblem"), reason }),
    fc.record({ type: fc.constant("FaultJob"), reason }),
    fc.record({ type: fc.constant("ClearJobFault"), returnTo: optional(fc.constantFrom(...JOB_STATES)), reason }),
    fc.record({ type: fc.constant("FaultDrive"), driveId, reason }),
    fc.record({ type: fc.constant("ClearDriveFault"), driveId, returnTo: optional(fc.constantFrom(...DRIVE_STATES)), reason }),
    fc.record({ type: fc.constant("ExtendShippingWait"), days: fc.integer({ min: 1, max: 90 }), reason: optional(reason) }),
    fc.record({ type: fc.constant("CloseUnresponsive"), reason }),
  ];
  // Optional fields generated as undefined are left out of the JSON.
  return fc.oneof(...events).map((event) => Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as Json);
}

function arrivalBody(job?: fc.Arbitrary<{ sub: string; rg: string; name: string } | undefined>): fc.Arbitrary<Json> {
  return fc
    .tuple(
      fc.record({
        carrierName: fc.constantFrom("FedEx", "UPS"),
        trackingNumber: fc.constantFrom("DESK-1", "DESK-2"),
        driveIds: fc.uniqueArray(fc.constantFrom(...drivePool), { minLength: 1, maxLength: 4, selector: (id) => id.toUpperCase() }),
      }),
      job ?? fc.constant(undefined),
    )
    .map(([body, named]) => (named ? { ...body, subscriptionId: named.sub, resourceGroupName: named.rg, jobName: named.name } : body) as Json);
}

// ---- Fatal defects ----

type FieldFatal = [string[], Json | undefined];

const ROOT_NOT_OBJECT: FieldFatal[] = [
  [[], null],
  [[], []],
  [[], "body"],
  [[], 42],
  [[], true],
];

function tagsOf(count: number): Json {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, "v"]));
}

function drivesOf(count: number): Json {
  return Array.from({ length: count }, (_, i) => ({ driveId: `D${i}`, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\m.xml", manifestHash: MANIFEST_HASH }));
}

/** Schema violations of a create body, each certain whatever else the body holds. */
const PUT_FATAL: FieldFatal[] = [
  ...ROOT_NOT_OBJECT,
  [["location"], undefined],
  [["location"], 5],
  [["location"], null],
  [["location"], ""],
  [["location"], "   "],
  [["location"], "x".repeat(65)],
  [["location"], ["westus"]],
  [["properties"], undefined],
  [["properties"], "x"],
  [["properties"], []],
  [["properties"], null],
  [["properties", "jobType"], undefined],
  [["properties", "jobType"], "Imports"],
  [["properties", "jobType"], ""],
  [["properties", "jobType"], 1],
  [["properties", "jobType"], "Ｉｍｐｏｒｔ"],
  [["properties", "storageAccountId"], undefined],
  [["properties", "storageAccountId"], "teststore"],
  [["properties", "storageAccountId"], "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/ab"],
  [["properties", "storageAccountId"], "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/storageAccounts/abc"],
  [["properties", "driveList"], "DRIVE01"],
  [["properties", "driveList"], {}],
  [["properties", "driveList"], drivesOf(11)],
  [["properties", "driveList"], [{ driveId: "D1" }]],
  [["properties", "driveList"], [{ driveId: "bad id", bitLockerKey: BITLOCKER_KEY, manifestFile: "m", manifestHash: MANIFEST_HASH }]],
  [["properties", "driveList"], [{ driveId: "D1", bitLockerKey: "123", manifestFile: "m", manifestHash: MANIFEST_HASH }]],
  [["properties", "logLevel"], "Loud"],
  [["properties", "backupDriveManifest"], "yes"],
  [["properties", "returnAddress"], { recipientName: "x" }],
  [["properties", "returnAddress"], { ...RETURN_ADDRESS, email: "not-an-email" }],
  [["properties", "deliveryPackage"], { ...DELIVERY_PACKAGE, driveCount: 11 }],
  [["properties", "deliveryPackage"], { ...DELIVERY_PACKAGE, shipDate: "yesterday" }],
  [["properties", "encryptionKey"], { kekType: "Nope" }],
  [["properties", "encryptionKey"], { kekType: "CustomerManaged", kekUrl: "not a url" }],
  [["properties", "diagnosticsPath"], "x".repeat(1025)],
  [["properties", "export"], { blobList: { blobPath: Array.from({ length: 101 }, () => "/c/b") } }],
  [["tags"], "x"],
  [["tags"], { "": "empty key" }],
  [["tags"], { a: 1 }],
  [["tags"], tagsOf(51)],
  [["tags"], { k: "v".repeat(257) }],
];

const PATCH_FATAL: FieldFatal[] = [
  ...ROOT_NOT_OBJECT,
  [["tags"], "x"],
  [["tags"], null],
  [["tags"], { a: 1 }],
  [["tags"], tagsOf(51)],
  [["properties"], "x"],
  [["properties"], []],
  [["properties"], 1],
  [["properties"], null],
  [["properties", "state"], "Completed"],
  [["properties", "state"], "Received"],
  [["properties", "state"], "ship"],
  [["properties", "state"], 1],
  [["properties", "state"], null],
  [["properties", "cancelRequested"], "true"],
  [["properties", "cancelRequested"], 1],
  [["properties", "cancelRequested"], null],
  [["properties", "logLevel"], "Loud"],
  [["properties", "driveList"], "x"],
  [["properties", "driveList"], drivesOf(11)],
  [["properties", "returnAddress"], {}],
  [["properties", "deliveryPackage"], { carrierName: "" }],
  [["properties", "backupDriveManifest"], "false"],
];

const EVENT_FATAL_COMMON: FieldFatal[] = [
  ...ROOT_NOT_OBJECT,
  [[], "PackageReceived"],
  [["type"], undefined],
  [["type"], "packagereceived"],
  [["type"], "Unknown"],
  [["type"], 5],
  [["type"], null],
  [["type"], ""],
  [["type"], ["FaultJob"]],
];

const EVENT_FATAL: Record<string, FieldFatal[]> = {
  PackageReceived: [
    [["driveIds"], []],
    [["driveIds"], ["bad id"]],
    [["carrierName"], " "],
    [["driveIds"], Array.from({ length: 51 }, (_, i) => `D${i}`)],
  ],
  DriveReceived: [
    [["driveId"], "a/b"],
    [["driveId"], undefined],
  ],
  TransferStarted: [
    [["totalBytes"], 0],
    [["driveId"], ""],
  ],
  TransferProgress: [
    [["percentComplete"], 101],
    [["bytesSucceeded"], -1],
    [["bytesSucceeded"], 1.5],
    [["errorLog"], Array.from({ length: 1001 }, () => "x")],
  ],
  TransferFinished: [
    [["outcome"], "Failed"],
    [["incompleteBlobs"], [""]],
  ],
  ShippedBack: [
    [["driveCount"], 61],
    [["shipDate"], "soon"],
  ],
  ReturnAddressProblem: [[["reason"], ""]],
  FaultJob: [[["reason"], undefined]],
  ClearJobFault: [[["returnTo"], "Nowhere"]],
  FaultDrive: [[["reason"], "x".repeat(1025)]],
  ClearDriveFault: [[["returnTo"], "Gone"]],
  ExtendShippingWait: [
    [["days"], 0],
    [["days"], 91],
    [["days"], 1.5],
  ],
  CloseUnresponsive: [[["reason"], "  "]],
};

const ARRIVAL_FATAL: FieldFatal[] = [
  ...ROOT_NOT_OBJECT,
  [["carrierName"], undefined],
  [["carrierName"], " "],
  [["driveIds"], []],
  [["driveIds"], Array.from({ length: 51 }, (_, i) => `D${i}`)],
  [["driveIds"], "D1"],
  [["trackingNumber"], 5],
  [["subscriptionId"], "not-a-guid"],
];

const ATTACH_FATAL: FieldFatal[] = [
  ...ROOT_NOT_OBJECT,
  [["subscriptionId"], "x"],
  [["subscriptionId"], undefined],
  [["jobName"], "-x"],
  [["jobName"], "a"],
  [["jobName"], undefined],
  [["resourceGroupName"], ""],
  [["resourceGroupName"], "x".repeat(91)],
];

export type BodyKind = "put" | "patch" | "event" | "arrival" | "attach";

/** A defect that makes a request certainly invalid. */
export type Fatal =
  | { kind: "schema"; fatal: FieldFatal }
  | { kind: "json"; breaker: number; garbage: string }
  | { kind: "emptyBody"; text: string }
  | { kind: "contentType"; contentType: string }
  | { kind: "oversized"; extra: number; how: "spaces" | "property" | "chunked" }
  | { kind: "auth"; auth: Auth }
  | { kind: "apiVersion"; query: string[] };

function schemaFatal(kind: BodyKind, body: Json): fc.Arbitrary<Fatal> {
  const table =
    kind === "put"
      ? PUT_FATAL
      : kind === "patch"
        ? PATCH_FATAL
        : kind === "arrival"
          ? ARRIVAL_FATAL
          : kind === "attach"
            ? ATTACH_FATAL
            : [...EVENT_FATAL_COMMON, ...(EVENT_FATAL[String((body as { type?: unknown }).type)] ?? [])];
  return fc.constantFrom(...table).map((fatal) => ({ kind: "schema" as const, fatal }));
}

const transportFatal: fc.Arbitrary<Fatal> = fc.oneof(
  fc.record({ kind: fc.constant("json" as const), breaker: fc.nat(5), garbage: fc.constantFrom("x", ",", "}", "]", "{", "\u0000", "//", "/* */", "'") }),
  fc.record({ kind: fc.constant("emptyBody" as const), text: fc.constantFrom("", " ", "\r\n\t ") }),
  fc.record({ kind: fc.constant("contentType" as const), contentType: fc.constantFrom(...BAD_CONTENT_TYPES) }),
  fc.record({ kind: fc.constant("oversized" as const), extra: fc.integer({ min: 1, max: 40_000 }), how: fc.constantFrom("spaces" as const, "property" as const, "chunked" as const) }),
);

/** Fatal defects of a request with a body, by route audience. */
function bodyFatal(kind: BodyKind, body: Json, audience: "customer" | "operator", atSeededJob: boolean): fc.Arbitrary<Fatal> {
  const auths: fc.Arbitrary<Auth>[] = [invalidAuth];
  if (audience === "operator") auths.push(customerAuth, otherTenantAuth);
  // Another tenant's request for an existing job is answered as if there were none (at a new name it creates one).
  if (audience === "customer" && atSeededJob) auths.push(otherTenantAuth);
  const authFatal = fc.oneof(...auths).map((auth) => ({ kind: "auth" as const, auth }));
  const options: fc.WeightedArbitrary<Fatal>[] = [
    { weight: 6, arbitrary: schemaFatal(kind, body) },
    { weight: 3, arbitrary: transportFatal },
    { weight: 2, arbitrary: authFatal },
  ];
  if (audience === "customer") options.push({ weight: 1, arbitrary: INVALID_API_VERSION.map((query) => ({ kind: "apiVersion" as const, query })) });
  return fc.oneof(...options);
}

/** Fatal defects of a request without a body (reads, deletes). */
function headerFatal(audience: "customer" | "operator", atSeededJob: boolean): fc.Arbitrary<Fatal> {
  const auths: fc.Arbitrary<Auth>[] = [invalidAuth];
  if (audience === "operator") auths.push(customerAuth, otherTenantAuth);
  // Another tenant's request for an existing job is answered as if there were none.
  if (audience === "customer" && atSeededJob) auths.push(otherTenantAuth, otherOperatorAuth);
  const options: fc.Arbitrary<Fatal>[] = [fc.oneof(...auths).map((auth) => ({ kind: "auth" as const, auth }))];
  if (audience === "customer") options.push(INVALID_API_VERSION.map((query) => ({ kind: "apiVersion" as const, query })));
  return fc.oneof(...options);
}

// ---- Building requests ----

interface Draft {
  label: string;
  method: string;
  path: string;
  query: string[];
  auth: Auth;
  contentType?: string;
  body?: Json;
  /** Body text that replaces `body` (broken JSON, garbage). */
  text?: string;
  chunked?: boolean;
  mutations: Mutation[];
  noise: [string, string][];
  fatal?: Fatal;
}

function breakJson(text: string, breaker: number, garbage: string): string {
  switch (breaker) {
    case 0:
      return text.slice(0, Math.max(0, text.length - 1 - (text.length > 2 ? 1 : 0)));
    case 1:
      return `${text}${garbage}`;
    case 2:
      return `${text}${text}`;
    case 3:
      return text.includes('"') ? text.replace(/"/g, "'") : `${text}'`;
    case 4:
      return `${garbage}${text}`.replace(/^[[{"0-9tfn-]/, "x");
    default:
      return text.slice(0, Math.floor(text.length / 2)) || "{";
  }
}

export function build(draft: Draft, targets: FuzzTargets): FuzzRequest {
  let body = draft.body === undefined ? undefined : applyMutations(draft.body, draft.mutations);
  let auth = draft.auth;
  let contentType = draft.contentType;
  let query = draft.query;
  let chunked = draft.chunked ?? false;
  const fatal = draft.fatal;
  if (fatal?.kind === "schema" && body !== undefined) body = forceAt(body, fatal.fatal[0], fatal.fatal[1]);
  let text = draft.text ?? (body === undefined ? undefined : toJsonText(body));
  switch (fatal?.kind) {
    case "json":
      text = breakJson(text ?? "{}", fatal.breaker, fatal.garbage);
      break;
    case "emptyBody":
      text = fatal.text;
      break;
    case "contentType":
      contentType = fatal.contentType;
      text ??= "{}";
      break;
    case "oversized": {
      const base = text ?? "{}";
      const missing = Math.max(0, targets.maxBodyBytes + fatal.extra - Buffer.byteLength(base, "utf8"));
      text = fatal.how === "property" && base.startsWith("{") ? `{"pad":"${"p".repeat(missing + 8)}",${base.slice(1)}` : `${base}${" ".repeat(missing)}`;
      chunked = fatal.how === "chunked";
      break;
    }
    case "auth":
      auth = fatal.auth;
      break;
    case "apiVersion":
      query = [...fatal.query, ...query.filter((part) => !/^api-version/i.test(part))];
      break;
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of draft.noise) headers[key] = value;
  if (auth.header !== undefined) headers.authorization = auth.header;
  if (text !== undefined && contentType !== undefined) headers["content-type"] = contentType;
  return withDescription({
    label: fatal ? `${draft.label}, fatal ${fatal.kind}` : draft.label,
    method: draft.method,
    path: `${draft.path}${writeQuery(query)}`,
    headers,
    body: text,
    chunked: text !== undefined && chunked,
    mustReject: fatal !== undefined,
  });
}

const chunkedOften = fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

function validBodyFor(kind: BodyKind, job: JobTarget): fc.Arbitrary<Json> {
  switch (kind) {
    case "put":
      return job.jobType === "Import" ? putImportBody(job.sub) : putExportBody(job.sub);
    case "patch":
      return patchBody;
    case "event":
      return eventBody(job.driveIds);
    case "arrival":
      return arrivalBody(fc.constant(job));
    case "attach":
      return fc.constant({ subscriptionId: job.sub, resourceGroupName: job.rg, jobName: job.name } as Json);
  }
}

// ---- Requests aimed at the seeded jobs: reads, and writes that must be refused ----

function seededWrite(targets: FuzzTargets, kind: BodyKind): fc.Arbitrary<FuzzRequest> {
  const audience = kind === "put" || kind === "patch" ? "customer" : "operator";
  return fc.constantFrom(...targets.seeded).chain((job) =>
    validBodyFor(kind, job).chain((body) =>
      fc
        .record({
          style: equivalentStyle,
          mutations,
          fatal: bodyFatal(kind, body, audience, true),
          auth: audience === "customer" ? fc.oneof({ weight: 4, arbitrary: customerAuth }, { weight: 1, arbitrary: operatorAuth }) : fc.oneof(operatorAuth, otherOperatorAuth),
          contentType: goodContentType,
          apiVersion: VALID_API_VERSION,
          noiseQuery,
          noise: noiseHeaders,
          chunked: chunkedOften,
          arrivalId: targets.arrivalIds.length ? fc.constantFrom(...targets.arrivalIds) : fc.constant("20260101T000000000Z-00000000"),
        })
        .map((parts) => {
          const method = kind === "put" ? "PUT" : kind === "patch" ? "PATCH" : "POST";
          const path =
            kind === "put" || kind === "patch"
              ? writePath(customerJobSegments(job), parts.style)
              : kind === "event"
                ? writePath(operatorJobSegments(job, "events"), parts.style)
                : kind === "arrival"
                  ? "/operator/arrivals"
                  : `/operator/arrivals/${parts.arrivalId}/attach`;
          return build(
            {
              label: `seeded ${kind} ${job.name}`,
              method,
              path,
              query: audience === "customer" ? [...parts.apiVersion, ...parts.noiseQuery] : parts.noiseQuery,
              auth: parts.auth,
              contentType: parts.contentType,
              body,
              chunked: parts.chunked,
              mutations: parts.mutations,
              noise: parts.noise,
              fatal: parts.fatal,
            },
            targets,
          );
        }),
    ),
  );
}

function seededDelete(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      job: fc.constantFrom(...targets.seeded),
      style: equivalentStyle,
      fatal: headerFatal("customer", true),
      apiVersion: VALID_API_VERSION,
      noise: noiseHeaders,
    })
    .map(({ job, style, fatal, apiVersion, noise }) =>
      build({ label: `seeded delete ${job.name}`, method: "DELETE", path: writePath(customerJobSegments(job), style), query: apiVersion, auth: { kind: "customer", header: bearer(DEV_TOKENS.customer) }, mutations: [], noise, fatal }, targets),
    );
}

const anyAuth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 6, arbitrary: customerAuth },
  { weight: 3, arbitrary: operatorAuth },
  { weight: 1, arbitrary: otherTenantAuth },
  { weight: 1, arbitrary: otherOperatorAuth },
  { weight: 1, arbitrary: invalidAuth },
);

/** Reads of the seeded jobs (and methods that change nothing), with odd queries and headers. */
function seededRead(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      job: fc.constantFrom(...targets.seeded),
      route: fc.constantFrom("get", "keys", "operatorGet", "history", "head", "options", "trace"),
      style: equivalentStyle,
      auth: anyAuth,
      apiVersion: fc.oneof({ weight: 4, arbitrary: VALID_API_VERSION }, { weight: 1, arbitrary: INVALID_API_VERSION }),
      noiseQuery,
      noise: noiseHeaders,
      body: fc.option(fc.constantFrom<Json>({}, { properties: { cancelRequested: true } }, "x"), { nil: undefined }),
      fatal: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .chain((parts) => {
      const operator = parts.route === "operatorGet" || parts.route === "history";
      const fatal: fc.Arbitrary<Fatal | undefined> = parts.fatal ? headerFatal(operator ? "operator" : "customer", true) : fc.constant(undefined);
      return fatal.map((chosen) => {
        const segments = operator ? operatorJobSegments(parts.job, parts.route === "history" ? "history" : undefined) : customerJobSegments(parts.job, parts.route === "keys" ? "listBitLockerKeys" : undefined);
        const method = { get: "GET", keys: "POST", operatorGet: "GET", history: "GET", head: "HEAD", options: "OPTIONS", trace: "TRACE" }[parts.route];
        return build(
          {
            label: `seeded read ${parts.route} ${parts.job.name}`,
            method,
            path: writePath(segments, parts.style),
            query: [...(operator ? [] : parts.apiVersion), ...parts.noiseQuery],
            auth: parts.auth,
            contentType: "application/json",
            body: method === "TRACE" ? undefined : parts.body,
            mutations: [],
            noise: parts.noise,
            fatal: chosen,
          },
          targets,
        );
      });
    });
}

/** Requests aimed at the seeded jobs: only reads, and writes that carry a fatal defect. */
export function seededRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 4, arbitrary: seededWrite(targets, "put") },
    { weight: 4, arbitrary: seededWrite(targets, "patch") },
    { weight: 3, arbitrary: seededWrite(targets, "event") },
    { weight: 1, arbitrary: seededWrite(targets, "arrival") },
    { weight: 1, arbitrary: seededWrite(targets, "attach") },
    { weight: 1, arbitrary: seededDelete(targets) },
    { weight: 3, arbitrary: seededRead(targets) },
  );
}

// ---- Near-valid traffic at the fuzz subscription's jobs ----

function fuzzJob(targets: FuzzTargets): fc.Arbitrary<JobTarget> {
  return fc.record({
    sub: fc.constant(targets.fuzzSub),
    rg: fc.constantFrom(...targets.fuzzRgs),
    name: fc.constantFrom(...targets.fuzzNames),
    jobType: fc.constantFrom("Import" as const, "Export" as const),
    driveIds: fc.constant(drivePool.slice(0, 3)),
  });
}

/** Mostly valid, sometimes mutated, sometimes certainly invalid: the states these jobs reach vary. */
function nearValid(kind: BodyKind, targets: FuzzTargets, job: fc.Arbitrary<JobTarget>): fc.Arbitrary<FuzzRequest> {
  const audience = kind === "put" || kind === "patch" ? "customer" : "operator";
  return job.chain((target) =>
    validBodyFor(kind, target).chain((body) =>
      fc
        .record({
          style: equivalentStyle,
          mutations: fc.oneof({ weight: 2, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 1, arbitrary: mutations }),
          fatal: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyFatal(kind, body, audience, false) }),
          auth:
            audience === "customer"
              ? fc.oneof({ weight: 12, arbitrary: customerAuth }, { weight: 2, arbitrary: operatorAuth }, { weight: 1, arbitrary: otherTenantAuth })
              : fc.oneof({ weight: 8, arbitrary: operatorAuth }, { weight: 1, arbitrary: otherOperatorAuth }),
          contentType: goodContentType,
          apiVersion: VALID_API_VERSION,
          noiseQuery,
          noise: noiseHeaders,
          chunked: chunkedOften,
          arrivalId: targets.arrivalIds.length ? fc.constantFrom(...targets.arrivalIds) : fc.constant("20260101T000000000Z-00000000"),
        })
        .map((parts) => {
          const method = kind === "put" ? "PUT" : kind === "patch" ? "PATCH" : "POST";
          const path =
            kind === "put" || kind === "patch"
              ? writePath(customerJobSegments(target), parts.style)
              : kind === "event"
                ? writePath(operatorJobSegments(target, "events"), parts.style)
                : kind === "arrival"
                  ? "/operator/arrivals"
                  : `/operator/arrivals/${parts.arrivalId}/attach`;
          return build(
            {
              label: `near-valid ${kind} ${target.name}`,
              method,
              path,
              query: audience === "customer" ? [...parts.apiVersion, ...parts.noiseQuery] : parts.noiseQuery,
              auth: parts.auth,
              contentType: parts.contentType,
              body,
              chunked: parts.chunked,
              mutations: parts.mutations,
              noise: parts.noise,
              fatal: parts.fatal,
            },
            targets,
          );
        }),
    ),
  );
}

function fuzzSimple(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      job: fuzzJob(targets),
      route: fc.constantFrom("delete", "get", "keys", "operatorGet", "history"),
      style: equivalentStyle,
      // The operator is a customer of the dev tenant too: it may call both surfaces.
      auth: fc.oneof({ weight: 6, arbitrary: operatorAuth }, { weight: 3, arbitrary: customerAuth }, { weight: 1, arbitrary: anyAuth }),
      apiVersion: fc.oneof({ weight: 6, arbitrary: VALID_API_VERSION }, { weight: 1, arbitrary: INVALID_API_VERSION }),
      noise: noiseHeaders,
    })
    .map((parts) => {
      const operator = parts.route === "operatorGet" || parts.route === "history";
      const segments = operator ? operatorJobSegments(parts.job, parts.route === "history" ? "history" : undefined) : customerJobSegments(parts.job, parts.route === "keys" ? "listBitLockerKeys" : undefined);
      const method = { delete: "DELETE", get: "GET", keys: "POST", operatorGet: "GET", history: "GET" }[parts.route];
      return build(
        { label: `fuzz ${parts.route} ${parts.job.name}`, method, path: writePath(segments, parts.style), query: operator ? [] : parts.apiVersion, auth: parts.auth, mutations: [], noise: parts.noise },
        targets,
      );
    });
}

/** Create, update, delete and read at the fuzz subscription's jobs. */
export function customerRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const job = fuzzJob(targets);
  return fc.oneof(
    { weight: 5, arbitrary: nearValid("put", targets, job) },
    { weight: 5, arbitrary: nearValid("patch", targets, job) },
    { weight: 2, arbitrary: fuzzSimple(targets) },
  );
}

/** Operator events, arrivals and attachments at the fuzz subscription's jobs, and arrivals naming odd jobs. */
export function operatorRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const job = fuzzJob(targets);
  const oddName = fc.oneof(fc.constantFrom("a/b", "a#b", "a?b", "a\\b", "a\u0001b", "x".repeat(90), "..", "", " ", "'"), oddUnicode, hugeString);
  const oddJob = fc.record({ sub: fc.constantFrom(targets.fuzzSub, "00000000-0000-0000-0000-00000000000g", "ffffffff-ffff-ffff-ffff-ffffffffffff"), rg: oddName, name: oddName });
  const oddArrival = fc
    .record({ body: arrivalBody(oddJob), mutations: fc.oneof(fc.constant<Mutation[]>([]), mutations), auth: fc.oneof({ weight: 5, arbitrary: operatorAuth }, { weight: 1, arbitrary: anyAuth }), noise: noiseHeaders })
    .map((parts) => build({ label: "arrival naming an odd job", method: "POST", path: "/operator/arrivals", query: [], auth: parts.auth, contentType: "application/json", body: parts.body, mutations: parts.mutations, noise: parts.noise }, targets));
  const oddAttach = fc
    .record({
      id: fc.oneof(targets.arrivalIds.length ? fc.constantFrom(...targets.arrivalIds) : fc.constant("x"), oddSegment),
      job: fc.oneof(job, oddJob),
      auth: operatorAuth,
      noise: noiseHeaders,
      mutations: fc.oneof(fc.constant<Mutation[]>([]), mutations),
    })
    .map((parts) =>
      build(
        {
          label: "attach to an odd job",
          method: "POST",
          path: `/operator/arrivals/${parts.id}/attach`,
          query: [],
          auth: parts.auth,
          contentType: "application/json",
          body: { subscriptionId: parts.job.sub, resourceGroupName: parts.job.rg, jobName: parts.job.name },
          mutations: parts.mutations,
          noise: parts.noise,
        },
        targets,
      ),
    );
  // Valid steps that move the fuzz jobs on, so events meet jobs in every state.
  const ship = fc.record({ job, deliveryPackage, returnAddress }).map((parts) =>
    build(
      {
        label: "ship",
        method: "PATCH",
        path: writePath(customerJobSegments(parts.job), { literalCase: 0, nameCase: 0, encodeNames: false, dotSegment: 0, trailingSlash: false }),
        query: [`api-version=${API_VERSION}`],
        auth: { kind: "customer", header: bearer(DEV_TOKENS.customer) },
        contentType: "application/json",
        body: { properties: { deliveryPackage: parts.deliveryPackage, returnAddress: parts.returnAddress, state: "Shipping" } },
        mutations: [],
        noise: [],
      },
      targets,
    ),
  );
  const recreate = job.chain((target) =>
    (target.jobType === "Import" ? putImportBody(target.sub) : putExportBody(target.sub)).map((body) =>
      build(
        {
          label: "recreate",
          method: "PUT",
          path: writePath(customerJobSegments(target), { literalCase: 0, nameCase: 0, encodeNames: false, dotSegment: 0, trailingSlash: false }),
          query: [`api-version=${API_VERSION}`],
          auth: { kind: "customer", header: bearer(DEV_TOKENS.customer) },
          contentType: "application/json",
          body,
          mutations: [],
          noise: [],
        },
        targets,
      ),
    ),
  );
  return fc.oneof(
    { weight: 2, arbitrary: ship },
    { weight: 1, arbitrary: recreate },
    { weight: 8, arbitrary: nearValid("event", targets, job) },
    { weight: 2, arbitrary: nearValid("arrival", targets, job) },
    { weight: 1, arbitrary: nearValid("attach", targets, job) },
    { weight: 2, arbitrary: oddArrival },
    { weight: 1, arbitrary: oddAttach },
    { weight: 1, arbitrary: nearValid("put", targets, job) },
    { weight: 1, arbitrary: nearValid("patch", targets, job) },
  );
}

// ---- Paths and methods ----

const METHODS = ["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "PURGE"];
const READ_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE"];

/** Garbage bodies: random text, JSON of other shapes, deep nesting, over the limit. */
function oddBody(targets: FuzzTargets): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 100 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom("null", "[]", '"str"', "123", "{", "{}", '{"location":', "\uFEFF{}", '{"a":1,"a":2}', "[".repeat(5000) + "]".repeat(5000), '{"a":'.repeat(5000) + "1" + "}".repeat(5000)),
    fc.integer({ min: 1, max: 30_000 }).map((extra) => `{"pad":"${"x".repeat(targets.maxBodyBytes + extra)}"}`),
  );
}

function writablePaths(targets: FuzzTargets): fc.Arbitrary<string[]> {
  return fc.record({ job: fuzzJob(targets), route: fc.nat(9), arrival: targets.arrivalIds.length ? fc.constantFrom(...targets.arrivalIds) : fc.constant("x") }).map(({ job, route, arrival }) => {
    const customer = ["subscriptions", job.sub, "resourceGroups", job.rg, "providers", "Microsoft.ImportExport", "jobs", job.name];
    const operator = ["operator", "subscriptions", job.sub, "resourceGroups", job.rg, "jobs", job.name];
    switch (route) {
      case 0:
        return customer;
      case 1:
        return [...customer, "listBitLockerKeys"];
      case 2:
        return customer.slice(0, 7);
      case 3:
        return ["subscriptions", job.sub, "providers", "Microsoft.ImportExport", "jobs"];
      case 4:
        return [...operator, "events"];
      case 5:
        return operator;
      case 6:
        return ["operator", "arrivals", arrival, "attach"];
      case 7:
        return ["providers", "Microsoft.ImportExport", "locations", "westus"];
      case 8:
        return ["admin", "functions", "NotATimer"];
      default:
        return ["operator", "jobs"];
    }
  });
}

function readablePaths(targets: FuzzTargets): fc.Arbitrary<string[]> {
  return fc.record({ job: fc.constantFrom(...targets.seeded), route: fc.nat(8) }).map(({ job, route }) => {
    const customer = ["subscriptions", job.sub, "resourceGroups", job.rg, "providers", "Microsoft.ImportExport", "jobs", job.name];
    switch (route) {
      case 5:
        return ["portal"];
      case 6:
        return ["portal", "jobs", job.sub, job.rg, job.name];
      case 7:
        return ["portal", "portal.css"];
      case 8:
        return ["portal", "api", "subscriptions", job.sub, "resourceGroups", job.rg, "jobs", job.name, "timeline"];
      case 0:
        return customer;
      case 1:
        return customer.slice(0, 7);
      case 2:
        return ["operator", "subscriptions", job.sub, "resourceGroups", job.rg, "jobs", job.name, "history"];
      case 3:
        return ["providers", "Microsoft.ImportExport", "operations"];
      default:
        return ["subscriptions", job.sub, "providers", "Microsoft.ImportExport", "jobs"];
    }
  });
}

function isTimerName(segment: string, targets: FuzzTargets): boolean {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // left as it is
  }
  return targets.timers.some((timer) => timer.toLowerCase() === segment.toLowerCase() || timer.toLowerCase() === decoded.toLowerCase());
}

/** Known routes with mutated segments, every method; writes only at the fuzz subscription. */
export function pathRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const writable = fc.record({ segments: writablePaths(targets), method: fc.constantFrom(...METHODS) });
  const readable = fc.record({ segments: readablePaths(targets), method: fc.constantFrom(...READ_METHODS) });
  const admin = fc.record({
    segments: fc.oneof(fc.constant<string[]>(["admin", "functions"]), oddSegment.map((segment) => ["admin", "functions", segment])),
    method: fc.constantFrom("POST", "GET"),
  });
  return fc
    .record({
      target: fc.oneof({ weight: 5, arbitrary: writable }, { weight: 3, arbitrary: readable }, { weight: 1, arbitrary: admin }),
      edits: fc.array(pathEdit, { minLength: 0, maxLength: 3 }),
      auth: anyAuth,
      apiVersion: fc.oneof({ weight: 4, arbitrary: VALID_API_VERSION }, { weight: 1, arbitrary: INVALID_API_VERSION }),
      noiseQuery,
      noise: noiseHeaders,
      body: fc.option(fc.oneof(oddBody(targets), fc.constant(toJsonText({ properties: {} }))), { nil: undefined }),
      contentType: fc.oneof(goodContentType, fc.constantFrom(...BAD_CONTENT_TYPES)),
    })
    .filter(({ target, edits }) => {
      const path = editPath(target.segments, edits);
      // The admin endpoint runs a timer by name: never one of those.
      return !/^\/admin\/functions\//i.test(path) || !isTimerName(path.split("/")[3] ?? "", targets);
    })
    .map((parts) => {
      const read = READ_METHODS.includes(parts.target.method);
      const path = editPath(parts.target.segments, parts.edits);
      return build(
        {
          label: `mutated path ${parts.target.method}`,
          method: parts.target.method,
          path,
          query: [...parts.apiVersion, ...parts.noiseQuery],
          auth: parts.target.segments[0] === "admin" ? { kind: "operator", header: bearer(DEV_TOKENS.operator) } : parts.auth,
          contentType: parts.contentType,
          text: read && parts.target.method !== "GET" ? undefined : parts.body,
          mutations: [],
          noise: parts.noise,
        },
        targets,
      );
    });
}

// ---- List queries ----

/** Lists with $filter, $top and $skiptoken, at the seeded and fuzz subscriptions and the operator's queues. */
export function queryRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const subs = [...new Set(targets.seeded.map((job) => job.sub)), targets.fuzzSub, "00000000-0000-0000-0000-000000000000"];
  const rgs = [...new Set(targets.seeded.map((job) => job.rg)), ...targets.fuzzRgs];
  const pair = (key: string, value: fc.Arbitrary<string>) => value.chain((raw) => encodedValue(raw)).map((encoded) => `${key}=${encoded}`);
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>, weight: number) => fc.oneof({ weight, arbitrary }, { weight: 4 - weight, arbitrary: fc.constant(undefined) });
  const listParams = fc
    .record({
      filter: sometimes(pair("$filter", filterText), 2),
      top: sometimes(pair("$top", topValue), 2),
      skip: sometimes(
        fc.tuple(skipToken(targets), fc.boolean()).map(([token, encode]) => `$skiptoken=${encode ? encodeURIComponent(token) : token.replace(/[&#+ %]/g, encodeURIComponent)}`),
        1,
      ),
    })
    .map(({ filter, top, skip }) => [filter, top, skip].filter((part): part is string => part !== undefined));
  const customerList = fc
    .record({
      sub: fc.constantFrom(...subs),
      rg: fc.option(fc.constantFrom(...rgs), { nil: undefined }),
      params: listParams,
      apiVersion: fc.oneof({ weight: 6, arbitrary: VALID_API_VERSION }, { weight: 1, arbitrary: INVALID_API_VERSION }),
      noiseQuery,
      auth: fc.oneof({ weight: 6, arbitrary: customerAuth }, { weight: 1, arbitrary: otherTenantAuth }, { weight: 1, arbitrary: anyAuth }),
      style: equivalentStyle,
      noise: noiseHeaders,
    })
    .map((parts) => {
      const segments = [lit("subscriptions"), name(parts.sub), ...(parts.rg ? [lit("resourceGroups"), name(parts.rg)] : []), lit("providers"), lit("Microsoft.ImportExport"), lit("jobs")];
      return build(
        { label: "list jobs", method: "GET", path: writePath(segments, parts.style), query: [...parts.apiVersion, ...parts.params, ...parts.noiseQuery], auth: parts.auth, mutations: [], noise: parts.noise },
        targets,
      );
    });
  const operatorList = fc
    .record({
      view: fc.option(pair("view", fc.constantFrom("attention", "faulted", "overdue", "returnAddress", "Attention", "", "all", "x".repeat(100))), { nil: undefined }),
      state: fc.option(
        pair(
          "state",
          fc.oneof(
            fc.uniqueArray(fc.constantFrom(...JOB_STATES), { minLength: 1, maxLength: 8 }).map((states) => states.join(",")),
            fc.constantFrom("", ",", "Creating,,Shipping", "creating", "Creating, Shipping ", [...JOB_STATES, "Creating"].join(","), "Nope"),
          ),
        ),
        { nil: undefined },
      ),
      params: listParams,
      auth: fc.oneof({ weight: 6, arbitrary: operatorAuth }, { weight: 1, arbitrary: anyAuth }),
      noise: noiseHeaders,
    })
    .map((parts) =>
      build(
        {
          label: "operator jobs",
          method: "GET",
          path: "/operator/jobs",
          // $filter means nothing here; only $top and $skiptoken.
          query: [parts.view, parts.state, ...parts.params.filter((part) => !part.startsWith("$filter"))].filter((part): part is string => part !== undefined),
          auth: parts.auth,
          mutations: [],
          noise: parts.noise,
        },
        targets,
      ),
    );
  const arrivalsList = fc
    .record({
      status: fc.option(pair("status", fc.constantFrom("Unmatched", "Attached", "unmatched", "", "All")), { nil: undefined }),
      params: listParams,
      auth: fc.oneof({ weight: 6, arbitrary: operatorAuth }, { weight: 1, arbitrary: anyAuth }),
      noise: noiseHeaders,
    })
    .map((parts) =>
      build(
        {
          label: "operator arrivals",
          method: "GET",
          path: "/operator/arrivals",
          query: [parts.status, ...parts.params.filter((part) => !part.startsWith("$filter"))].filter((part): part is string => part !== undefined),
          auth: parts.auth,
          mutations: [],
          noise: parts.noise,
        },
        targets,
      ),
    );
  const provider = fc
    .record({
      route: fc.oneof(
        fc.constant("operations"),
        fc.constant("locations"),
        fc.oneof(fc.constantFrom("westus", "West%20US", "WESTUS", "mars", "x".repeat(129), "%00"), oddSegment).map((segment) => `locations/${segment}`),
      ),
      apiVersion: fc.oneof(VALID_API_VERSION, INVALID_API_VERSION),
      noiseQuery,
      auth: anyAuth,
      noise: noiseHeaders,
    })
    .map((parts) =>
      build(
        {
          label: "provider",
          method: "GET",
          path: `/providers/Microsoft.ImportExport/${parts.route}`,
          query: [...parts.apiVersion, ...parts.noiseQuery],
          auth: parts.auth,
          mutations: [],
          noise: parts.noise,
        },
        targets,
      ),
    );
  return fc.oneof({ weight: 6, arbitrary: customerList }, { weight: 2, arbitrary: operatorList }, { weight: 1, arbitrary: arrivalsList }, { weight: 1, arbitrary: provider });
}
