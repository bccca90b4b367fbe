#!/usr/bin/env node
// Prints "N passed, N failed" (", N skipped" when some were) from jest's JSON report.
const { readFileSync, existsSync } = require("node:fs");

function summaryLine(file) {
  if (!existsSync(file)) return "0 passed, 0 failed";
  const report = JSON.parse(readFileSync(file, "utf8"));
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load counts as a failure too, so a broken file can't pass unseen.
  const failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  return `${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

module.exports = { summaryLine };

if (require.main === module) console.log(summaryLine(process.argv[2] ?? "test-results/jest-results.json"));
