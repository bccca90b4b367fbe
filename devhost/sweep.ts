/**
 * `npm run sweep`: runs the maintenance sweep once against the configured storage, as the timer
 * would, and prints its report. Starts Azurite for the run if it isn't already up.
 */
import { runMaintenance } from "../shared/app/timers";
import { loadLocalSettings, startLocalAzuriteIfNeeded } from "./start";

async function main(): Promise<void> {
  loadLocalSettings();
  const azurite = await startLocalAzuriteIfNeeded((line) => console.error(line));
  // The Azurite started here is in its own process group (see devhost/azurite.ts): a Ctrl-C stops it.
  const interrupted = async () => {
    await azurite?.stop();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
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
