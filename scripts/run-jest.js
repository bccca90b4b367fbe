#!/usr/bin/env node
// Runs jest with a JSON report and ends with one plain line "N passed, N failed" from that report,
// so a run that executed no test is visible. Exits with jest's own exit code.
const { spawnSync } = require("node:child_process");
const { mkdirSync } = require("node:fs");
const path = require("node:path");
const { summaryLine } = require("./jest-summary");

const report = path.join(__dirname, "..", "test-results", "jest-results.json");
mkdirSync(path.dirname(report), { recursive: true }); // jest does not create it
const jest = require.resolve("jest/bin/jest");
const result = spawnSync(process.execPath, [jest, "--json", `--outputFile=${report}`, ...process.argv.slice(2)], { stdio: "inherit" });
console.log(summaryLine(report));
process.exit(result.status ?? 1);
