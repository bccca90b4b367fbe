/**
 * `npm run sweep`: runs the maintenance sweep once against the configured storage, as the timer
 * would, and prints its report. Starts Azurite for the run if it isn't already up.
 */
import { runMaintenance } from "../shared/service/app/timers";
import { lineLogger, useProcessLogger } from "../shared/telemetry/log";
import { startApplicationInsights, stopApplicationInsights } from "../shared/telemetry/open-telemetry";
import { CliSpec, exitOnUsageError, LOG_FORMAT_OPTION, logFormatOf, parseCommandLine } from "../cli/args";
import { loadLocalSettings } from "../shared/config/local-settings";
import { ensureLocalStorage, stopOnInterrupt } from "./start";

const SWEEP_CLI = {
  command: "npm run sweep --",
  summary:
    "Runs the maintenance sweep (MaintenanceSweep) once, as its timer would, against the storage of local.settings.json\n" +
    "(else the sample), and prints what it did, then the full report as JSON. Starts Azurite for the run if it isn't up.\n" +
    "Its log records (the run's report, each failure with its cause) go to stderr.",
  options: {
    "log-format": LOG_FORMAT_OPTION,
  },
  notes: ["Environment: any setting overrides local.settings.json, e.g. CREATING_JOB_LIFETIME=PT2M npm run sweep"],
} satisfies CliSpec;

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), SWEEP_CLI);
  useProcessLogger(lineLogger((line) => console.error(line), exitOnUsageError(() => logFormatOf(args["log-format"], SWEEP_CLI))));
  loadLocalSettings();
  startApplicationInsights("import-export-service");
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
    await stopApplicationInsights();
    await azurite?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
