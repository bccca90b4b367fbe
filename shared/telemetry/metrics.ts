/**
 * The figures that say whether the service is healthy, as OpenTelemetry metrics (Application
 * Insights' `customMetrics`, by these names). Built where the process is composed, after telemetry
 * started: with OpenTelemetry off (open-telemetry.ts) they are no-ops that load nothing.
 *
 * | name | kind | attributes |
 * |---|---|---|
 * | `importexport.jobs.created` | counter | |
 * | `importexport.state_changes` | counter | `subject` (job, drive), `state` (the new one) |
 * | `importexport.sweep.duration` | histogram, ms | |
 * | `importexport.sweep.entries_read` | counter | |
 * | `importexport.sweep.jobs_deleted` | counter | |
 * | `importexport.sweep.notices_sent` | counter | |
 * | `importexport.sweep.failures` | counter | |
 * | `importexport.queue.publish_failures` | counter (messages) | `source` (request, sweep) |
 * | `importexport.copy.bytes_per_second`, `importexport.copy.files_per_second` | histogram, one a run | `direction` |
 * | `importexport.copy.bytes`, `importexport.copy.files` | counter | `direction` |
 * | `importexport.copy.failures` | counter | `direction`, `code` |
 */
import type { Counter, Histogram, Meter } from "@opentelemetry/api";
import { openTelemetry } from "./open-telemetry";

const METER = "import-export-service";

/** A state-change message, as domain/messages.ts makes them (its `kind` and the new state). */
export interface StateChangeFigure {
  type: string;
  kind: string;
  from?: string | null;
  to?: string;
}

/** What one sweep did, as its report has it. */
export interface SweepFigures {
  durationMs: number;
  entitiesRead: number;
  jobsDeleted: number;
  noticesSent: number;
  errors: unknown[];
}

export interface ServiceMetrics {
  /** The state changes a write made (its `stateChanged` messages); a job's first one is its creation. */
  stateChanges(messages: readonly StateChangeFigure[]): void;
  sweep(figures: SweepFigures): void;
  /** Messages the notification queue did not take, sent by a request's write or by the sweep. */
  queuePublishFailed(messages: number, source: "request" | "sweep"): void;
}

export type CopyDirection = "import" | "export";

/** The copy agent's figures: one run of one drive. */
export interface AgentMetrics {
  /** Bytes and files (blobs) the run copied. */
  copied(bytes: number, files: number): void;
  /** The run's rates, once it ended with something copied. */
  finished(bytesPerSecond: number, filesPerSecond: number): void;
  /** A failure by its code: a blob's status (`Corrupted`, `IOFailed`…), a drive error, `Failed` for a run that stopped. */
  failed(code: string, count?: number): void;
}

const NO_SERVICE_METRICS: ServiceMetrics = { stateChanges: () => {}, sweep: () => {}, queuePublishFailed: () => {} };

/** The service's metrics on the registered meter provider; no-ops with OpenTelemetry off. */
export function serviceMetrics(): ServiceMetrics {
  const meter = openTelemetry()?.metrics.getMeter(METER);
  if (!meter) return NO_SERVICE_METRICS;
  const created = meter.createCounter("importexport.jobs.created", { description: "Jobs created" });
  const changes = meter.createCounter("importexport.state_changes", { description: "State changes of jobs and drives, by the new state" });
  const duration = meter.createHistogram("importexport.sweep.duration", { description: "Maintenance sweep run time", unit: "ms" });
  const entriesRead = counter(meter, "importexport.sweep.entries_read", "Index entries, jobs and arrivals a sweep read");
  const deleted = counter(meter, "importexport.sweep.jobs_deleted", "Jobs a sweep deleted");
  const notices = counter(meter, "importexport.sweep.notices_sent", "Notices a sweep sent");
  const sweepFailures = counter(meter, "importexport.sweep.failures", "Due entries a sweep failed at");
  const publishFailures = counter(meter, "importexport.queue.publish_failures", "Messages the notification queue did not take");
  return {
    stateChanges(messages) {
      for (const message of messages) {
        if (message.type !== "stateChanged" || !message.to) continue;
        const subject = message.kind === "DriveStateChanged" ? "drive" : "job";
        changes.add(1, { subject, state: message.to });
        if (subject === "job" && !message.from) created.add(1);
      }
    },
    sweep(figures) {
      duration.record(figures.durationMs);
      entriesRead.add(figures.entitiesRead);
      deleted.add(figures.jobsDeleted);
      notices.add(figures.noticesSent);
      sweepFailures.add(figures.errors.length);
    },
    queuePublishFailed(messages, source) {
      publishFailures.add(messages, { source });
    },
  };
}

/** The copy agent's metrics for one run in `direction`; no-ops with OpenTelemetry off. */
export function agentMetrics(direction: CopyDirection): AgentMetrics {
  const meter = openTelemetry()?.metrics.getMeter(METER);
  if (!meter) return { copied: () => {}, finished: () => {}, failed: () => {} };
  const attributes = { direction };
  const bytes = counter(meter, "importexport.copy.bytes", "Bytes the agent copied", "By");
  const files = counter(meter, "importexport.copy.files", "Files (blobs) the agent copied");
  const byteRate: Histogram = meter.createHistogram("importexport.copy.bytes_per_second", { description: "A run's copy rate", unit: "By/s" });
  const fileRate: Histogram = meter.createHistogram("importexport.copy.files_per_second", { description: "A run's files per second", unit: "{file}/s" });
  const failures = counter(meter, "importexport.copy.failures", "Copy failures by code");
  return {
    copied(byteCount, fileCount) {
      if (byteCount > 0) bytes.add(byteCount, attributes);
      if (fileCount > 0) files.add(fileCount, attributes);
    },
    finished(bytesPerSecond, filesPerSecond) {
      byteRate.record(bytesPerSecond, attributes);
      fileRate.record(filesPerSecond, attributes);
    },
    failed(code, count = 1) {
      failures.add(count, { ...attributes, code });
    },
  };
}

function counter(meter: Meter, name: string, description: string, unit?: string): Counter {
  return meter.createCounter(name, { description, unit });
}
