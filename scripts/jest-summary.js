#!/usr/bin/env node
// Prints "N passed, N failed" (", N skipped" when some were), summed over jest's JSON reports: by
// default every report of the last `npm test` in test-results/ (its run on this machine's Node and
// its runs under Node 22, see run-jest.js), or the files named.
const { readFileSync, readdirSync, existsSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const REPORT = /^jest-results.*\.json$/;

/** The reports in a folder, as `npm test` names them. */
function reportsIn(folder) {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => REPORT.test(name))
    .sort()
    .map((name) => path.join(folder, name));
}

/**
 * A report for a run that ended without writing one (jest crashed, or Node 22 could not be
 * fetched), counted as one failed suite, so every summary of the run counts it.
 */
function writeFailedRunReport(file, reason) {
  writeFileSync(file, JSON.stringify({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numRuntimeErrorTestSuites: 1, success: false, reason }));
}

function summaryLine(files) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of typeof files === "string" ? [files] : files) {
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests;
    // A suite that failed to load counts as a failure too, so a broken file can't pass unseen.
    failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

module.exports = { summaryLine, reportsIn, writeFailedRunReport };

if (require.main === module) {
  const named = process.argv.slice(2);
  const targets = named.length > 0 ? named : [path.join(__dirname, "..", "test-results")];
  const files = targets.flatMap((target) => (existsSync(target) && statSync(target).isDirectory() ? reportsIn(target) : [target]));
  console.log(summaryLine(files));
}
