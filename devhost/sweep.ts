/**
 * `npm run sweep`: runs the maintenance sweep once against the configured storage, as the timer
 * would, and prints its report. Starts Azurite for the run if it isn't already up.
 */
import { runMaintenance } from "../shared/app/timers";
import { CliSpec, parseCommandLine } from "../cli/args";
import { loadLocalSettings } from "../shared/config/local-settings";
import { ensureLocalStorage, stopOnInterrupt } from "./start";

const SWEEP_CLI: CliSpec = {
  command: "npm run sweep --",
  summary:
    "Runs the maintenance sweep (MaintenanceSweep) once, as its timer would, against the storage of local.settings.json\n" +
    "(else the sample), and prints what it did, then the full report as JSON. Starts Azurite for the run if it isn't up.",
  options: {},
  notes: ["Environment: any setting overrides local.settings.json, e.g. CREATING_JOB_LIFETIME=PT2M npm run sweep"],
};

async function main(): Promise<void> {
  parseCommandLine(process.argv.slice(2), SWEEP_CLI);
  loadLocalSettings();
  const azurite = await ensureLocalStorage((line) => console.error(line));
  stopOnInterrupt(azurite);
  try {
    const report = await runMaintenance();
    const { sweep, reconcile } = report;
    console.log(
      `Sweep: ${sweep.jobsActedOn} job(s) and ${sweep.arrivalsActedOn} arrival(s) acted on (${sweep.jobsDeleted} deleted), ` +
        `${sweep.noticesSent} notice(s) sent, ${sweep.entitiesRead} entities read (${sweep.indexEntriesRead} index entries), ` +
        `${sweep.staleEntriesDropped} stale entries dropped, ${sweep.transactions} storage transactions, ${sweep.durationMs} ms` +
        (sweep.errors.length ? `, ${sweep.errors.length} skipped with errors` : ""),
    );
    console.log(`Reconciliation: ${reconcile.jobsScanned} job(s) scanned, ${reconcile.entriesWritten} index entries written`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await azurite?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
