/**
 * A server span per invocation (an HTTP request, a timer run) when OpenTelemetry is on: a child of
 * the Functions host's own trace (the invocation's `traceContext`), so Application Insights shows the
 * host's request, this span and the storage calls made under it as one operation. With telemetry
 * off it is nothing at all.
 */
import type { InvocationContext } from "@azure/functions";
import type { Attributes, Context } from "@opentelemetry/api";
import { openTelemetry, OpenTelemetry } from "./open-telemetry";
import { redact } from "./redact";

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface ServerSpan {
  /** Runs `work` with this span current, so the spans started under it (storage calls) are its children. */
  run<T>(work: () => T): T;
  /** Ends the span with what was learnt meanwhile; `failed` marks it an error. */
  end(attributes: SpanAttributes, failed: boolean, error?: unknown): void;
}

const TRACER = "import-export-service";

const NO_SPAN: ServerSpan = { run: (work) => work(), end: () => {} };

/** `attributes` is asked for only with telemetry on: off, a request pays for nothing here. */
export function startServerSpan(name: string, context: InvocationContext, attributes: () => SpanAttributes): ServerSpan {
  const otel = openTelemetry();
  if (!otel) return NO_SPAN;
  const parent = hostTraceContext(otel, context);
  const span = otel.trace.getTracer(TRACER).startSpan(name, { kind: otel.SpanKind.SERVER, attributes: defined(attributes()) }, parent);
  const active = otel.trace.setSpan(parent, span);
  return {
    run: (work) => otel.context.with(active, work),
    end(more, failed, error) {
      span.setAttributes(defined(more));
      if (failed) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      // Its name and message only, redacted, as in a log record: the stack is in the log.
      if (error instanceof Error) span.recordException({ name: error.name, message: redact(error.message) });
      span.end();
    },
  };
}

/** The trace the Functions host started for the invocation (its W3C `traceparent`), else the current context. */
function hostTraceContext(otel: OpenTelemetry, context: InvocationContext): Context {
  const trace = context.traceContext;
  if (!trace?.traceParent) return otel.context.active();
  return otel.propagation.extract(otel.context.active(), { traceparent: trace.traceParent, tracestate: trace.traceState ?? undefined });
}

function defined(attributes: SpanAttributes): Attributes {
  const result: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) result[name] = typeof value === "string" ? redact(value) : value;
  return result;
}
