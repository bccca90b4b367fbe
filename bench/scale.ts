/**
 * `npm run bench -- --only scale`: a drive at data-center scale. A million small files (the number is
 * `--scale-files`) in folders of a thousand are planned and copied onto a drive by the drive tool
 * (`npm run drive -- prepare`, its own process), then imported by the agent and, for the floor,
 * uploaded by the raw SDK script, the same files with the same parallelism, each into a fresh
 * in-memory Azurite of its own: at this size a shared one would make the second side pay for
 * reclaiming the first side's million blobs. Reported: the agent's peak RSS (target < 300 MiB,
 * whatever the drive holds), its files per second against the raw upload's (target ≥ 0.9), and the
 * drive tool's own figures.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { customerAccountSettings, freePorts, startAzurite } from "../devhost/azurite";
import { MANIFEST_FILE } from "../shared/formats/drive-manifest";
import { CopyRow, cpuNote, receivedJob, settle, spread, StartService, timedProcess, TimedRun, withFreshAccount } from "./copy";

export interface ScaleOptions {
  files: number;
  bytes: number;
  rounds: number;
  parallelism: number;
}

const ROOT = path.resolve(__dirname, "..", "..");
const FILES_PER_FOLDER = 1000;
const BLOCK_SIZE = 4 * 1024 * 1024;
const CONTAINER = "benchscale";

const fileName = (index: number) => path.join(`d${String(Math.floor(index / FILES_PER_FOLDER)).padStart(4, "0")}`, `f${String(index).padStart(7, "0")}.bin`);

export async function benchScale(options: ScaleOptions, startService: StartService, rows: CopyRow[]): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), "bench-scale-"));
  const tables = await startAzurite({ ports: await freePorts() });
  const suffix = randomUUID().replace(/-/g, "").slice(0, 8);
  // The customer's account lives in a fresh Azurite per side; the service only signs log links for it.
  const service = await startService({
    AUTH_MODE: "dev",
    ImportExportStorage: tables.connectionString,
    JOBS_TABLE_NAME: `benchscalejobs${suffix}`,
    DEADLINES_TABLE_NAME: `benchscaledeadlines${suffix}`,
    NOTIFICATIONS_QUEUE_NAME: `bench-scale-${suffix}`,
    ...customerAccountSettings(tables.ports.blob),
  });
  const label = `Drive of ${options.files.toLocaleString("en-US")} files of ${options.bytes >= 1024 ? `${options.bytes / 1024} KiB` : `${options.bytes} B`}`;
  try {
    console.log(`${label}: writing the source files…`);
    const source = path.join(work, "source");
    const content = randomBytes(64 * 1024);
    for (let index = 0; index < options.files; index++) {
      if (index % FILES_PER_FOLDER === 0) mkdirSync(path.join(source, path.dirname(fileName(index))), { recursive: true });
      const at = (index * 7919) % (content.length - options.bytes);
      const file = content.subarray(at, at + options.bytes);
      file.writeUInt32LE(index, 0); // no two files alike
      writeFileSync(path.join(source, fileName(index)), file);
    }

    console.log(`${label}: the drive tool plans and prepares the drive…`);
    const drive = path.join(work, "drive");
    settle(work);
    const prepared = await timedProcess(path.join(ROOT, "dist", "cli", "drive.js"), ["prepare", "--drive", drive, "--source", source, "--destination", CONTAINER, "--drive-id", "BENCHSCALE"], { flush: work });
    if (prepared.code !== 0) throw new Error(`prepare exited ${prepared.code}: ${prepared.stderr}`);
    const entry = JSON.parse(prepared.stdout.trim().split("\n").pop()!) as { driveId: string };
    const manifestBytes = statSync(path.join(drive, MANIFEST_FILE)).size;
    console.log(`  prepared in ${(prepared.ms / 1000).toFixed(0)} s, peak RSS ${(prepared.peakRssBytes / 2 ** 20).toFixed(0)} MiB, manifest ${(manifestBytes / 2 ** 20).toFixed(0)} MiB`);
    rmSync(source, { recursive: true, force: true });
    const fileList = path.join(work, "files.txt");
    writeFileSync(fileList, Array.from({ length: options.files }, (_, index) => path.join(drive, CONTAINER, fileName(index))).join("\n"));

    /** One side against an empty in-memory account of its own. */
    const side = (run: (connectionString: string, env: Record<string, string>, ownPids: (number | undefined)[]) => Promise<TimedRun>) =>
      withFreshAccount((account) => run(account.connectionString, account.settings, [account.pid, tables.process.pid, service.process.pid]));
    const agentRun = () =>
      side(async (_connectionString, env, ownPids) => {
        const job = await receivedJob(service.url, entry);
        const state = path.join(work, `state-${job.name}`);
        const run = await timedProcess(
          path.join(ROOT, "dist", "cli", "datacenter.js"),
          ["import", "--job", `${job.sub}/${job.rg}/${job.name}`, "--drive", entry.driveId, "--path", drive, "--api", service.url, "--parallelism", String(options.parallelism), "--state-dir", state],
          { env, ownPids },
        );
        rmSync(state, { recursive: true, force: true });
        if (run.code !== 0) throw new Error(`agent exited ${run.code}: ${run.stderr.slice(-2000)}`);
        return run;
      });
    const rawRun = () =>
      side(async (connectionString, _env, ownPids) => {
        const run = await timedProcess(path.join(ROOT, "dist", "bench", "raw-upload.js"), [connectionString, CONTAINER, String(options.parallelism), String(BLOCK_SIZE), `@${fileList}`], { ownPids });
        if (run.code !== 0) throw new Error(`raw upload exited ${run.code}: ${run.stderr.slice(-2000)}`);
        return run;
      });

    // Whole drives, so no warm-up pair: each side in turn, the order alternating round to round.
    const agents: TimedRun[] = [];
    const raws: TimedRun[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const agentFirst = round % 2 === 1;
      console.log(`${label}: round ${round}, ${agentFirst ? "agent" : "raw upload"} first…`);
      settle(work);
      const first = await (agentFirst ? agentRun() : rawRun());
      settle(work);
      const second = await (agentFirst ? rawRun() : agentRun());
      const [agent, raw] = agentFirst ? [first, second] : [second, first];
      agents.push(agent);
      raws.push(raw);
      console.log(
        `  agent ${(agent.ms / 1000).toFixed(0)} s (CPU ${(agent.cpuMs / 1000).toFixed(0)} s, peak RSS ${(agent.peakRssBytes / 2 ** 20).toFixed(0)} MiB, others ${agent.othersCores.toFixed(2)} cores, steal ${agent.stealCores.toFixed(2)}), raw ${(raw.ms / 1000).toFixed(0)} s (CPU ${(raw.cpuMs / 1000).toFixed(0)} s, others ${raw.othersCores.toFixed(2)} cores, steal ${raw.stealCores.toFixed(2)}); ratio ${(raw.ms / agent.ms).toFixed(2)}`,
      );
    }
    const filesPerSecond = (run: TimedRun) => options.files / (run.ms / 1000);
    const ratios = spread(agents.map((agent, index) => raws[index].ms / agent.ms));
    rows.push({
      benchmark: label,
      measure: "files per second, agent import vs raw upload",
      api: spread(agents.map(filesPerSecond)),
      floor: spread(raws.map(filesPerSecond)),
      unit: "files/s",
      ratio: ratios.median,
      ratioSpread: ratios,
      target: "≥ 0.9",
      met: ratios.median >= 0.9,
      note: `parallelism ${options.parallelism}; each side against an empty Azurite of its own (in memory), timed start to exit; the agent reads the ${(manifestBytes / 2 ** 20).toFixed(0)} MiB manifest twice as it streams (checked and counted, then copied) and journals every blob; ${cpuNote(agents, raws)}`,
    });
    const peak = spread(agents.map((run) => run.peakRssBytes / 2 ** 20));
    rows.push({
      benchmark: label,
      measure: "agent peak RSS",
      api: peak,
      unit: "MiB",
      target: "< 300",
      met: peak.max < 300,
      note: `whatever the drive holds: the manifest read as it streams, a bit per blob, the logs on the agent's disk; ${options.parallelism} blocks in flight`,
    });
    rows.push({
      benchmark: label,
      measure: "drive tool: plan and prepare, files per second and peak RSS (informational)",
      api: spread([options.files / (prepared.ms / 1000)]),
      unit: "files/s",
      note: `peak RSS ${(prepared.peakRssBytes / 2 ** 20).toFixed(0)} MiB; it walks the sources twice (checked and counted, then copied with each manifest entry written as it goes), timed to the drive's flush`,
    });
  } finally {
    service.process.kill("SIGTERM");
    await tables.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
