/**
 * The one timer table, like the route table: `functions/maintenance.ts` registers each entry with
 * `app.timer`, and the local host runs the same entries on the same schedules (and on demand via
 * `POST /admin/functions/{name}`), so the two can't drift.
 *
 * One sweep does every kind of deadline: they share one index, so a single pass over the entries
 * due reads each once; separate timers per kind would each have to skip the others' entries.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArrivalSettlement } from "../operations/operator-service";
import type { PurgeReport } from "../operations/subscription-purge";
import type { ReconcileReport, SweepReport } from "../operations/sweep-service";

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
  /**
   * Runs the timer's work and returns what it did, for the admin endpoint and `npm run sweep`. It logs
   * with the logger current where it runs (`runTimer` makes it the invocation's).
   */
  run(): Promise<unknown>;
}

/** How many of a run's failures its record lists (the report returned has them all). */
const FAILURES_IN_RECORD = 20;

/**
 * A sweep of everything due, a bounded share of deleted subscriptions' jobs, one bounded page of index
 * reconciliation, then the unmatched arrivals whose label names a job that exists now (a package that
 * came before its job). Logs one record of what it did, a warning when anything failed.
 */
export async function runMaintenance(): Promise<MaintenanceReport> {
  // Loaded on first run, so registering the timer costs nothing at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getServices } = require("./composition") as typeof import("./composition");
  const services = await getServices();
  const sweep = await services.sweep.run();
  const subscriptions = await services.subscriptionPurge.run();
  const reconcile = await services.sweep.reconcile(services.settings.reconcilePageSize);
  const arrivals = await services.operator.settleArrivals();
  const report = { sweep, subscriptions, reconcile, arrivals };
  const failures = sweep.errors.length + subscriptions.errors.length + arrivals.failed;
  services.log[failures > 0 ? "warn" : "info"](
    `MaintenanceSweep: ${sweep.jobsActedOn} job(s) and ${sweep.arrivalsActedOn} arrival(s) acted on (${sweep.jobsDeleted} deleted), ` +
      `${sweep.noticesSent} notice(s) sent, ${sweep.entitiesRead} entities read in ${sweep.durationMs} ms` +
      `${failures > 0 ? `; ${failures} failure(s)` : ""}${sweep.truncated ? "; stopped at SWEEP_MAX_ENTRIES, the next run goes on" : ""}`,
    {
      event: "sweep",
      durationMs: sweep.durationMs,
      entitiesRead: sweep.entitiesRead,
      jobsActedOn: sweep.jobsActedOn,
      jobsDeleted: sweep.jobsDeleted,
      noticesSent: sweep.noticesSent,
      failures,
      truncated: sweep.truncated,
      sweep: { ...sweep, errors: sweep.errors.slice(0, FAILURES_IN_RECORD), poisoned: sweep.poisoned.slice(0, FAILURES_IN_RECORD) },
      subscriptions: { ...subscriptions, errors: subscriptions.errors.slice(0, FAILURES_IN_RECORD) },
      reconcile,
      arrivals,
    },
  );
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

/**
 * Runs a timer as one invocation of `context`: its records go through the invocation (with its id),
 * and with OpenTelemetry on it is a server span, the storage calls its children. A failure is logged
 * with its cause and thrown on, for the host to record the invocation as failed.
 */
export async function runTimer(definition: TimerDefinition, context: InvocationContext): Promise<unknown> {
  // Loaded on first run, as the services are: registering the timer costs nothing at start-up.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { invocationLogger, runWithLogger } = require("../../telemetry/log") as typeof import("../../telemetry/log");
  const { startServerSpan } = require("../../telemetry/spans") as typeof import("../../telemetry/spans");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const log = invocationLogger(context).with({ operation: definition.name, invocationId: context.invocationId });
  const span = startServerSpan(definition.name, context, () => ({ "importexport.operation": definition.name }));
  try {
    const report = await runWithLogger(log, () => span.run(() => definition.run()));
    span.end({}, false);
    return report;
  } catch (error) {
    log.error(`${definition.name} failed`, { error });
    span.end({}, true, error);
    throw error;
  }
}

/** The Functions handler for a timer definition. */
export function timerHandler(definition: TimerDefinition) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await runTimer(definition, context);
  };
}
