#!/usr/bin/env node
// `npm test`'s jest step: every suite of both projects on this machine's Node, then, when that Node
// is not 22 (the runtime the app is deployed on), the fast and service suites again under Node 22
// (scripts/node22.js). Each run writes jest's JSON report into test-results/; the last line sums
// them all, "N passed, N failed", so a run that executed no test is visible. Exits with the worst
// exit code. Arguments go to the first run only, and a run given any (a pattern, `-t`) is a
// targeted one: it skips the Node 22 runs.
const { spawnSync } = require("node:child_process");
const { existsSync, mkdirSync, rmSync } = require("node:fs");
const path = require("node:path");
const { reportsIn, summaryLine, writeFailedRunReport } = require("./jest-summary");
const { MAJOR, runUnderNode22 } = require("./node22");

const folder = path.join(__dirname, "..", "test-results");
mkdirSync(folder, { recursive: true }); // jest does not create it
for (const stale of reportsIn(folder)) rmSync(stale);

const args = process.argv.slice(2);
const report = path.join(folder, "jest-results.json");
const jest = require.resolve("jest/bin/jest");
const result = spawnSync(process.execPath, [jest, "--json", `--outputFile=${report}`, ...args], { stdio: "inherit" });
let status = result.status ?? 1;
if (!existsSync(report)) writeFailedRunReport(report, `jest exited ${result.status ?? result.signal} without a report`);

const thisMajor = Number(process.versions.node.split(".")[0]);
if (thisMajor === MAJOR) {
  console.log(`\nThis is Node ${process.versions.node}: the run above was the Node ${MAJOR} run.`);
} else if (args.length > 0) {
  console.log(`\nA targeted run (${args.join(" ")}): the Node ${MAJOR} runs are skipped; npm run test:node${MAJOR} runs them.`);
} else {
  status = Math.max(status, runUnderNode22(folder));
}
console.log(summaryLine(reportsIn(folder)));
process.exit(status);
