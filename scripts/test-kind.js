#!/usr/bin/env node
// `npm run test:<kind>`: one slice of `npm test` (the same jest config and Azurites, no report
// file), for a quick loop while working. `npm test` still runs every suite of both projects.
// Extra arguments go to jest (`npm run test:fast -- --watch`).
const { spawnSync } = require("node:child_process");

/** The pure units and the storage adapters' quick suites: the inner loop. */
const FAST = [
  "test/domain/",
  "test/config/",
  "test/jobs/job-messenger\\.",
  "test/drive/(?!prepare-cli\\.)",
  "test/cli/(args|output)\\.",
  "test/api/(odata-filter|route-table)\\.",
  "test/copy/copy-log\\.",
  "test/storage/(jobs|deleted-jobs|subscriptions)\\.store\\.test",
  "test/storage/(credentials|customer-accounts)\\.",
];

/** The slow kinds, a folder each. */
const FOLDERS = { fuzz: "test/fuzz/", resilience: "test/resilience/", browser: "test/browser/", copy: "test/copy/" };

const anyOf = (patterns) => `(${patterns.join("|")})`;
const noneOf = (patterns) => `^(?!.*${anyOf(patterns)})`;

const KINDS = {
  fast: ["--selectProjects", "key", "--", anyOf(FAST)],
  fuzz: ["--selectProjects", "key", "--", FOLDERS.fuzz],
  resilience: ["--selectProjects", "key", "--", FOLDERS.resilience],
  browser: ["--selectProjects", "key", "--", FOLDERS.browser],
  copy: ["--selectProjects", "key", "--", FOLDERS.copy],
  identity: ["--selectProjects", "identity"],
  // The rest of the key project: the API, operator, maintenance, security, SDK and host suites.
  service: ["--selectProjects", "key", "--", noneOf([...FAST, ...Object.values(FOLDERS)])],
  // Everything but the inner loop, both projects.
  slow: ["--", noneOf(FAST)],
};

const [kind, ...extra] = process.argv.slice(2);
if (!KINDS[kind]) {
  console.error(`usage: node scripts/test-kind.js <${Object.keys(KINDS).join("|")}> [jest arguments]`);
  process.exit(2);
}
const [options, patterns] = splitAtDashes(KINDS[kind]);
const jest = require.resolve("jest/bin/jest");
const result = spawnSync(process.execPath, [jest, ...options, ...extra, ...patterns], { stdio: "inherit" });
process.exit(result.status ?? 1);

/** jest's options, then its path patterns (after `--`, so a pattern is never read as an option). */
function splitAtDashes(args) {
  const at = args.indexOf("--");
  return at < 0 ? [args, []] : [args.slice(0, at), args.slice(at)];
}
