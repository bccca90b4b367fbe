/**
 * The last line of `npm test` and of CI (`scripts/jest-summary.js`): every run's report summed (this
 * machine's Node and the Node 22 runs), and a run that wrote no report counted as a failure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script of the repository
const { reportsIn, summaryLine, writeFailedRunReport } = require("../../scripts/jest-summary") as {
  reportsIn(folder: string): string[];
  summaryLine(files: string[] | string): string;
  writeFailedRunReport(file: string, reason: string): void;
};

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "jest-summary.js");
let folder: string;

beforeEach(() => {
  folder = mkdtempSync(path.join(tmpdir(), "jest-summary-"));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

function report(name: string, counts: { numPassedTests: number; numFailedTests: number; numPendingTests?: number; numRuntimeErrorTestSuites?: number }): void {
  writeFileSync(path.join(folder, name), JSON.stringify(counts));
}

test("the reports of every run are summed: this machine's and the Node 22 runs'", () => {
  report("jest-results.json", { numPassedTests: 100, numFailedTests: 1, numPendingTests: 2 });
  report("jest-results-node22-fast.json", { numPassedTests: 40, numFailedTests: 0 });
  report("jest-results-node22-service.json", { numPassedTests: 60, numFailedTests: 2, numRuntimeErrorTestSuites: 1 });
  writeFileSync(path.join(folder, "other.json"), JSON.stringify({ numPassedTests: 1000, numFailedTests: 0 }));

  expect(reportsIn(folder).map((file) => path.basename(file))).toEqual(["jest-results-node22-fast.json", "jest-results-node22-service.json", "jest-results.json"]);
  expect(summaryLine(reportsIn(folder))).toBe("200 passed, 4 failed, 2 skipped");
  // CI's last line: the script over the folder.
  expect(execFileSync(process.execPath, [SCRIPT, folder], { encoding: "utf8" }).trim()).toBe("200 passed, 4 failed, 2 skipped");
});

test("a run that wrote no report (Node 22 not fetched, jest crashed) counts as one failure in every summary", () => {
  report("jest-results.json", { numPassedTests: 10, numFailedTests: 0 });
  writeFailedRunReport(path.join(folder, "jest-results-node22-fast.json"), "Node 22 could not be fetched");
  expect(summaryLine(reportsIn(folder))).toBe("10 passed, 1 failed");
  expect(summaryLine(path.join(folder, "jest-results.json"))).toBe("10 passed, 0 failed");
});

test("no report at all (npm ci failed) is 0 passed, 0 failed", () => {
  expect(execFileSync(process.execPath, [SCRIPT, folder], { encoding: "utf8" }).trim()).toBe("0 passed, 0 failed");
});
