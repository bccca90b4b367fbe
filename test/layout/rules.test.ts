/**
 * The layout's import rules (.dependency-cruiser.cjs, run by `npm run lint`) bite: a small tree with
 * one broken import of each kind is refused, each by its rule, and the same tree without them passes.
 * The checker runs as `npm run lint` runs it, on a copy of the layout in a temporary folder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const DEPCRUISE = path.join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");

/** Runs the checker over `files` (path → source) laid out in a fresh folder: its exit code and the rules it says were broken, as `rule: from -> to`. */
function cruise(files: Record<string, string>): { status: number | null; violations: string[] } {
  const folder = mkdtempSync(path.join(os.tmpdir(), "layout-rules-"));
  try {
    for (const [file, source] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      writeFileSync(path.join(folder, file), source);
    }
    const run = spawnSync(process.execPath, [DEPCRUISE, "--config", path.join(ROOT, ".dependency-cruiser.cjs"), "shared", "cli"], { cwd: folder, encoding: "utf8" });
    if (!/dependenc(y|ies) cruised/.test(run.stdout)) throw new Error(`dependency-cruiser did not run: ${run.stdout}${run.stderr}`);
    // As `npm run lint` prints them: "  error <rule>: <from> → <to>" (a circle continues on the next lines).
    const violations = [...run.stdout.matchAll(/^\s*error ([\w-]+): (\S+) →\s*(\S+)/gm)].map(([, rule, from, to]) => `${rule}: ${from} -> ${to}`);
    return { status: run.status, violations };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A tree that keeps every rule: each layer imports only what is below it. */
const LAWFUL = {
  "shared/domain/job.ts": `export interface Job { name: string }\n`,
  "shared/formats/manifest.ts": `import type { Job } from "../domain/job";\nexport const manifestOf = (job: Job) => job.name;\n`,
  "shared/storage/jobs.store.ts": `import { manifestOf } from "../formats/manifest";\nexport const store = { manifestOf };\n`,
  "shared/service/operations/job-service.ts": `import { store } from "../../storage/jobs.store";\nexport const jobs = { store };\n`,
  "shared/service/api/handlers.ts": `import { jobs } from "../operations/job-service";\nexport const handler = () => jobs;\n`,
  "shared/datacenter-agent/import-drive.ts": `import { manifestOf } from "../formats/manifest";\nexport const importDrive = manifestOf;\n`,
  "shared/drive-tool/prepare-drive.ts": `import { manifestOf } from "../formats/manifest";\nexport const prepare = manifestOf;\n`,
  "cli/datacenter.ts": `import { importDrive } from "../shared/datacenter-agent/import-drive";\nexport const main = importDrive;\n`,
  // Every layer may log.
  "shared/telemetry/log.ts": `import type { Job } from "../domain/job";\nexport const logJob = (job: Job) => job.name;\n`,
  "shared/storage/log-user.ts": `import { logJob } from "../telemetry/log";\nexport const logged = logJob;\n`,
};

test("a tree that keeps the rules passes", () => {
  const { status, violations } = cruise(LAWFUL);
  expect(violations).toEqual([]);
  expect(status).toBe(0);
}, 60_000);

test("each broken import fails the lint, by its rule", () => {
  const { status, violations } = cruise({
    ...LAWFUL,
    // The domain reaching into storage, and storage into the service (a type-only import counts).
    "shared/domain/job.ts": `import { store } from "../storage/jobs.store";\nexport interface Job { name: string }\nexport const seen = store;\n`,
    "shared/storage/jobs.store.ts": `import type { jobs } from "../service/operations/job-service";\nexport type Jobs = typeof jobs;\nexport const store = {};\n`,
    // An operation importing its handler, which imports it back: upward, and a circle.
    "shared/service/operations/job-service.ts": `import { handler } from "../api/handlers";\nexport const jobs = { handler };\n`,
    // The agent using the customer's tool, and the agent's command line the service.
    "shared/datacenter-agent/import-drive.ts": `import { prepare } from "../drive-tool/prepare-drive";\nexport const importDrive = prepare;\n`,
    "cli/datacenter.ts": `import { jobs } from "../shared/service/operations/job-service";\nexport const main = jobs;\n`,
    // The logging facility reaching up into storage.
    "shared/telemetry/log.ts": `import { store } from "../storage/jobs.store";\nexport const logJob = () => store;\n`,
  });
  expect(violations).toEqual(
    expect.arrayContaining([
      "domain-and-formats-are-pure: shared/domain/job.ts -> shared/storage/jobs.store.ts",
      "storage-imports-no-product: shared/storage/jobs.store.ts -> shared/service/operations/job-service.ts",
      "service-operations-not-up: shared/service/operations/job-service.ts -> shared/service/api/handlers.ts",
      "agent-is-not-service-or-tool: shared/datacenter-agent/import-drive.ts -> shared/drive-tool/prepare-drive.ts",
      "datacenter-cli-is-the-agent: cli/datacenter.ts -> shared/service/operations/job-service.ts",
      "telemetry-stands-on-domain: shared/telemetry/log.ts -> shared/storage/jobs.store.ts",
    ]),
  );
  expect(violations.some((violation) => violation.startsWith("no-circular: "))).toBe(true);
  expect(status).not.toBe(0);
}, 60_000);
