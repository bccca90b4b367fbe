#!/usr/bin/env node
// Node 22, the runtime the app is deployed on (infra/azuredeploy.json), for the test run on a
// machine whose own Node is another: `npm test` runs the fast and service suites again under it
// (scripts/run-jest.js), and `npm run test:node22` runs just those. The binary comes from the npm
// registry, the one place CI reaches: the `node` package ships Node as `node-<platform>-<arch>`
// packages, which are installed here directly, with no install script (the `node` package's own
// preinstall only runs a nested `npm install` of the same package), into the git-ignored
// .cache/node22/, and reused while it is there.
const { spawnSync } = require("node:child_process");
const { existsSync, mkdirSync, readFileSync, rmSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const CACHE = path.join(ROOT, ".cache", "node22");
const MAJOR = 22;

/** The package that holds this machine's Node binary, named as the `node` package's installer names it. */
function binaryPackage() {
  const platform = process.platform === "win32" ? "win" : process.platform;
  const arch = platform === "win" && process.arch === "ia32" ? "x86" : process.arch;
  const prefix = process.platform === "darwin" && process.arch === "arm64" ? "node-bin" : "node";
  return `${prefix}-${platform}-${arch}`;
}

function cachedBinary() {
  const manifest = path.join(CACHE, "node_modules", binaryPackage(), "package.json");
  if (!existsSync(manifest)) return undefined;
  const { bin } = JSON.parse(readFileSync(manifest, "utf8"));
  const binary = path.join(path.dirname(manifest), typeof bin === "string" ? bin : bin.node);
  return majorOf(binary) === MAJOR ? binary : undefined;
}

function majorOf(binary) {
  const result = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return result.status === 0 ? Number(/^v(\d+)\./.exec(result.stdout)?.[1]) : undefined;
}

/** The path of a Node 22 binary: the cached one, or one installed from the registry now. Throws if neither. */
function node22() {
  const cached = cachedBinary();
  if (cached) return cached;
  mkdirSync(CACHE, { recursive: true });
  const spec = `${binaryPackage()}@${MAJOR}`;
  console.log(`Fetching Node ${MAJOR} from the npm registry (${spec}) into ${path.relative(ROOT, CACHE)}/ ...`);
  // npm's own CLI when run by npm (npm_execpath), so the same npm and its configuration are used.
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ["npm", []];
  const args = ["install", "--prefix", CACHE, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel", "error", spec];
  const result = spawnSync(npm[0], [...npm[1], ...args], { stdio: "inherit", shell: process.platform === "win32" });
  const installed = cachedBinary();
  if (result.status !== 0 || !installed) throw new Error(`could not install ${spec} from the npm registry (npm exited ${result.status ?? result.signal})`);
  return installed;
}

/** The suites run again under Node 22: the inner loop and the rest of the key project (see test-kind.js). */
const KINDS = ["fast", "service"];

/**
 * Runs each kind under Node 22, jest's JSON report of each in `reportFolder` as
 * `jest-results-node22-<kind>.json` (a run that wrote none, or a Node that can't be fetched, gets a
 * report of one failed suite). Returns the worst exit status.
 */
function runUnderNode22(reportFolder) {
  const { writeFailedRunReport } = require("./jest-summary");
  const reportOf = (kind) => path.join(reportFolder, `jest-results-node${MAJOR}-${kind}.json`);
  let binary;
  try {
    binary = node22();
  } catch (error) {
    console.error(`Node ${MAJOR}: ${error.message}`);
    for (const kind of KINDS) writeFailedRunReport(reportOf(kind), `Node ${MAJOR} could not be fetched: ${error.message}`);
    return 1;
  }
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout.trim();
  let worst = 0;
  for (const kind of KINDS) {
    console.log(`\nnpm run test:${kind}, under Node ${version}`);
    const result = spawnSync(binary, [path.join(__dirname, "test-kind.js"), kind, "--json", `--outputFile=${reportOf(kind)}`], { stdio: "inherit", cwd: ROOT });
    if (!existsSync(reportOf(kind))) writeFailedRunReport(reportOf(kind), `jest under Node ${version} exited ${result.status ?? result.signal} without a report`);
    worst = Math.max(worst, result.status ?? 1);
  }
  return worst;
}

module.exports = { MAJOR, node22, runUnderNode22 };

if (require.main === module) {
  const { reportsIn, summaryLine } = require("./jest-summary");
  const folder = path.join(ROOT, "test-results");
  mkdirSync(folder, { recursive: true });
  for (const kind of KINDS) rmSync(path.join(folder, `jest-results-node${MAJOR}-${kind}.json`), { force: true });
  const status = runUnderNode22(folder);
  console.log(summaryLine(reportsIn(folder).filter((file) => path.basename(file).startsWith(`jest-results-node${MAJOR}-`))));
  process.exit(status);
}
