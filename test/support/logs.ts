/** Records a logger wrote, kept as objects for a test to search (the redaction step applied, as in production). */
import { createLogger, Logger, LogRecord } from "../../shared/telemetry/log";

export interface RecordingLogger {
  log: Logger;
  records: LogRecord[];
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  return { log: createLogger((record) => records.push(record)), records };
}
