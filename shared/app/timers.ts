/**
 * The one timer table, like the route table: `functions/maintenance.ts` registers each entry with
 * `app.timer`, and the local host runs the same entries on the same schedules (and on demand via
 * `POST /admin/functions/{name}`), so the two can't drift.
 *
 * One sweep does every kind of deadline: they share one index, so a single pass over the entries
 * due reads each once; separate timers per kind would each have to skip the others' entries.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArrivalSettlement } from "../jobs/operator-service";
import type { PurgeReport } from "../jobs/subscription-purge";
import type { ReconcileReport, SweepReport } from "../jobs/sweep-service";

export interface MaintenanceReport {
  sweep: SweepReport;
  /** The removal of deleted subscriptions' jobs. */
  subscriptions: PurgeReport;
  reconcile: ReconcileReport;
  arrivals: ArrivalSettlement;
}

export interface TimerDefinition {
  name: string;
  schedule: string;
  runOnStartup: boolean;
  /** Runs the timer's work and returns what it did, for the admin endpoint and `npm run sweep`. */
  run(log: (line: string) => void): Promise<unknown>;
}

/**
 * A sweep of everything due, a bounded share of deleted subscriptions' jobs, one bounded page of index
 * reconciliation, then the unmatched arrivals whose label names a job that exists now (a package that
 * came before its job).
 */
export async function runMaintenance(log: (line: string) => void = () => {}): Promise<MaintenanceReport> {
  // Loaded on first run, so registering the timer costs nothing at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getServices } = require("./services") as typeof import("./services");
  const services = await getServices();
  const sweep = await services.sweep.run();
  const subscriptions = await services.subscriptionPurge.run();
  const reconcile = await services.sweep.reconcile(services.settings.reconcilePageSize);
  const arrivals = await services.operator.settleArrivals();
  const report = { sweep, subscriptions, reconcile, arrivals };
  log(`MaintenanceSweep ${JSON.stringify(report)}`);
  // A line of its own for each poisoned entry, for an alert to match.
  for (const poisoned of sweep.poisoned) {
    log(`MaintenanceSweep poisoned: ${poisoned.entry} failed ${poisoned.failures} time(s), tried again after ${poisoned.retryAfter}: ${poisoned.message}`);
  }
  return report;
}

/**
 * The schedule is the binding expression `%SWEEP_SCHEDULE%`: the Functions host resolves it from the
 * app settings itself (the local host the same way, devhost/timer-schedule.ts), so registering the
 * timer reads no setting and loads no validation library. `runOnStartup` is a boolean the host
 * takes as given, so it is read here; the settings schema has checked it is "true" or "false".
 */
export function timerDefinitions(env: Record<string, string | undefined> = process.env): TimerDefinition[] {
  return [
    {
      name: "MaintenanceSweep",
      schedule: "%SWEEP_SCHEDULE%",
      runOnStartup: env.SWEEP_RUN_ON_STARTUP === "true",
      run: runMaintenance,
    },
  ];
}

/** The Functions handler for a timer definition: logs the report through the invocation context. */
export function timerHandler(definition: TimerDefinition) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await definition.run((line) => context.log(line));
  };
}
