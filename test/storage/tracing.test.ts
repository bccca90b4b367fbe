/**
 * The table clients drop the SDK's tracing policy only while no OpenTelemetry instrumenter is
 * registered (its spans would record nothing), and keep it, with a span per storage call, once one
 * is. Jest gives this file its own core-tracing module, so the instrumenter registered here stays here.
 */
import { randomUUID } from "node:crypto";
import { Instrumenter, TracingContext, useInstrumenter } from "@azure/core-tracing";
import { createTableClient } from "../../shared/storage/clients";
import { readEntity } from "../../shared/storage/table-rest";
import { storageSettings } from "./helpers";

function tracingContext(values = new Map<symbol, unknown>()): TracingContext {
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => tracingContext(new Map(values).set(key, value)),
    deleteValue: (key) => {
      const rest = new Map(values);
      rest.delete(key);
      return tracingContext(rest);
    },
  };
}

interface RecordedSpan {
  name: string;
  attributes: Record<string, unknown>;
  ended: boolean;
}

/** An instrumenter whose spans record, as OpenTelemetry's does for a sampled request. */
function recordingInstrumenter(spans: RecordedSpan[]): Instrumenter {
  return {
    startSpan(name) {
      const recorded: RecordedSpan = { name, attributes: {}, ended: false };
      spans.push(recorded);
      const span = {
        end: () => void (recorded.ended = true),
        isRecording: () => true,
        recordException: () => {},
        setAttribute: (key: string, value: unknown) => void (recorded.attributes[key] = value),
        setStatus: () => {},
        addEvent: () => {},
      };
      return { span, tracingContext: tracingContext() };
    },
    withContext: (_context, callback, ...args) => callback(...args),
    parseTraceparentHeader: () => tracingContext(),
    createRequestHeaders: () => ({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
  };
}

const policyNames = (client: { pipeline: { getOrderedPolicies(): { name: string }[] } }) => client.pipeline.getOrderedPolicies().map((policy) => policy.name);

test("with no instrumenter, a table client has no tracing policy, and its calls still work", async () => {
  const table = createTableClient(storageSettings(), "tracingtests");
  expect(policyNames(table)).not.toContain("tracingPolicy");
  expect(policyNames(table)).toContain("storageCallPolicy");

  await table.createTable();
  await table.createEntity({ partitionKey: "p", rowKey: randomUUID(), Value: 1 });
  expect(await readEntity(table, "p", "none", ["Value"])).toBeUndefined();
});

test("with an instrumenter registered first, every table call is a span, and asking made none", async () => {
  const spans: RecordedSpan[] = [];
  useInstrumenter(recordingInstrumenter(spans));
  const table = createTableClient(storageSettings(), "tracingtests");
  expect(policyNames(table)).toContain("tracingPolicy");
  expect(spans).toEqual([]);

  await readEntity(table, "p", "none", ["Value"]);
  expect(spans).toEqual([expect.objectContaining({ name: "HTTP GET", ended: true, attributes: expect.objectContaining({ "http.status_code": 404 }) })]);
});
