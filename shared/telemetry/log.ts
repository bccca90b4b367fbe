/**
 * The one logging facility. A record says what happened (`message`), how bad it is (`level`) and to
 * what (structured fields: the job, the request and correlation ids, the cause), and goes through one
 * redaction step (redact.ts) before anything writes it. Where it goes is the host's choice:
 *
 * - inside the Functions host, through the invocation's context (`invocationLogger`), one JSON object
 *   per record, so Application Insights keeps it with its invocation and operation ids and a query
 *   can read its fields (`parse_json(message)`);
 * - in the local host and the command-line tools, as lines people read (`lineLogger`, "text"), or one
 *   JSON object a line for a machine (`--log-format json`).
 *
 * Services take a `Logger` where they are composed (shared/service/app/composition.ts). The one they get there
 * writes to the logger of the invocation they run in (`runWithLogger`, set by the HTTP and timer
 * wrappers), else to the process's own (`useProcessLogger`), so a record written deep in a sweep
 * lands with the sweep's invocation without a logger passed through every call.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { InvocationContext } from "@azure/functions";
import { redact } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Fields of a record. An `Error` (under any name, usually `error`) is written as its name, message, code and cause. */
export type LogFields = Record<string, unknown>;

export interface LogRecord {
  time: string;
  level: LogLevel;
  message: string;
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose records carry `fields` too (a job, a request id), under the record's own. */
  with(fields: LogFields): Logger;
}

/** Where records go once built and redacted. */
export type LogSink = (record: LogRecord) => void;

export type LogFormat = "text" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

/** How deep a field's value (an error's causes, a report) is written before it is cut short. */
const MAX_DEPTH = 6;
/** What one string field may take: a record is a line, not a dump. */
const MAX_STRING_CHARS = 4000;

/**
 * A logger writing each record to `sink`, with `bound` fields: objects read when a record is written
 * (so fields learnt later, such as the caller's tenant, are on every later record), the last one
 * winning over the earlier ones, and the record's own fields over them all.
 */
export function createLogger(sink: LogSink, bound: readonly LogFields[] = [], minLevel: LogLevel = "debug"): Logger {
  const threshold = LEVELS.indexOf(minLevel);
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) < threshold) return;
    const record: LogRecord = { time: new Date().toISOString(), level, message: redact(message) };
    try {
      // The record's own fields first (what happened), then the bound ones (to what).
      if (fields) addFields(record, fields, level);
      for (let i = bound.length - 1; i >= 0; i--) addFields(record, bound[i], level);
    } catch (error) {
      // A field that can't be read (a getter that throws) must not cost the record itself.
      record.unreadableFields = String(error);
    }
    try {
      sink(record);
    } catch {
      // Logging must never fail the work it describes, and a sink that can't write has nowhere
      // to report that it can't.
    }
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    with: (fields) => createLogger(sink, [...bound, fields], minLevel),
  };
}

/** A logger that writes nothing: for code whose caller asked for silence. */
export const silentLogger: Logger = createLogger(() => {}, undefined, "error");

/** Copies `fields` into `record`, each as JSON can carry it and redacted; a field already there stays. */
function addFields(record: LogRecord, fields: LogFields, level: LogLevel): void {
  for (const name in fields) {
    if (name in record) continue;
    const value = fields[name];
    if (value !== undefined) record[name] = plain(value, level, 0);
  }
}

/** A field's value as JSON can carry it, redacted: errors as their parts, strings bounded. */
function plain(value: unknown, level: LogLevel, depth: number): unknown {
  if (typeof value === "string") return redact(value.length > MAX_STRING_CHARS ? `${value.slice(0, MAX_STRING_CHARS)}…` : value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redact(value.toString());
  if (depth >= MAX_DEPTH) return "[…]";
  if (value instanceof Error) return errorFields(value, level, depth);
  if (Array.isArray(value)) return value.map((item) => plain(item, level, depth + 1));
  if (typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value as object)) if (item !== undefined) result[name] = plain(item, level, depth + 1);
    return result;
  }
  return redact(String(value));
}

/**
 * An error as a record carries it: its name, message, code and HTTP status, its cause, and at level
 * error (something unforeseen) its stack. Not the whole object: an SDK error holds the request, and
 * the request holds its headers.
 */
function errorFields(error: Error, level: LogLevel, depth: number): Record<string, unknown> {
  const { code, statusCode, status } = error as { code?: unknown; statusCode?: unknown; status?: unknown };
  const fields: Record<string, unknown> = { name: error.name, message: plain(error.message, level, depth + 1) };
  if (typeof code === "string" || typeof code === "number") fields.code = code;
  const httpStatus = statusCode ?? status;
  if (typeof httpStatus === "number") fields.status = httpStatus;
  if (error.cause !== undefined) fields.cause = plain(error.cause, level, depth + 1);
  if (level === "error" && error.stack) fields.stack = plain(error.stack.split("\n").slice(1, 9).join("\n"), level, depth + 1);
  return fields;
}

/** One JSON object. */
export function jsonLine(record: LogRecord): string {
  return JSON.stringify(record);
}

/** A line people read: `[warn] message key=value key="two words" ...`; info carries no level. */
export function textLine(record: LogRecord): string {
  const { time: _time, level, message, ...fields } = record;
  const parts = [level === "info" ? message : `[${level}] ${message}`];
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) parts.push(`${name}=${textValue(value)}`);
  return parts.join(" ");
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === "object" && "message" in value && "name" in value) {
    const error = value as { name: string; message: string; code?: unknown };
    return JSON.stringify(`${error.name}: ${error.message}${error.code !== undefined ? ` (${String(error.code)})` : ""}`);
  }
  return JSON.stringify(value);
}

/** Lines to `write` (a stream, the local host's log), in `format`. */
export function lineLogger(write: (line: string) => void, format: LogFormat = "text", minLevel: LogLevel = "debug"): Logger {
  const toLine = format === "json" ? jsonLine : textLine;
  return createLogger((record) => write(toLine(record)), undefined, minLevel);
}

/**
 * Through a Functions invocation's context: the level as the host's (so Application Insights has
 * its severity), the record as one JSON object (so its fields can be queried).
 */
export function invocationLogger(context: InvocationContext): Logger {
  return createLogger((record) => {
    const line = jsonLine(record);
    if (record.level === "error") context.error(line);
    else if (record.level === "warn") context.warn(line);
    else if (record.level === "debug") context.debug(line);
    else context.info(line);
  });
}

let processLogger: Logger = lineLogger((line) => process.stderr.write(`${line}\n`));

/**
 * Where records written outside any invocation go (a command-line tool, start-up): by default
 * readable lines on stderr. The host or tool that composes the process sets its own.
 */
export function useProcessLogger(logger: Logger): void {
  processLogger = logger;
}

const invocation = new AsyncLocalStorage<Logger>();

/** Runs `work` with `logger` as the logger of everything it does (see `currentLogger`). */
export function runWithLogger<T>(logger: Logger, work: () => T): T {
  return invocation.run(logger, work);
}

/** The logger of the invocation this code runs in, else the process's. */
export function currentLogger(): Logger {
  return invocation.getStore() ?? processLogger;
}

/**
 * The logger services are built with: each record goes to the logger current when it is written,
 * so a service built once per process logs with each invocation it serves.
 */
export function contextualLogger(bound?: LogFields): Logger {
  const route = (level: LogLevel) => (message: string, fields?: LogFields) => (bound ? currentLogger().with(bound) : currentLogger())[level](message, fields);
  return {
    debug: route("debug"),
    info: route("info"),
    warn: route("warn"),
    error: route("error"),
    with: (fields) => contextualLogger({ ...bound, ...fields }),
  };
}
