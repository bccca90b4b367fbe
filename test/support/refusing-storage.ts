/**
 * Table Storage refusing the writes of one entity: a pipeline policy, placed last (after signing,
 * next to the wire), that answers a delete of that row key with a 400, as the service does for an
 * entity it won't take, and an entity group transaction holding it with a 202 whose changeset
 * failed at that operation, as the service answers a batch. Everything else goes through. For the
 * suites that show one bad entity can't hold up the others.
 */
import { TableClient } from "@azure/data-tables";
import { createHttpHeaders, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";

export interface Refusal {
  /** Requests refused so far. */
  refused: number;
  /** Let requests through again (the entity fixed, or the storage's refusal lifted). */
  lift(): void;
}

export function refuseDeletesOf(client: TableClient, rowKey: string): Refusal {
  const target = `RowKey='${encodeURIComponent(rowKey.replace(/'/g, "''"))}'`;
  const refusal: Refusal & { active: boolean } = { refused: 0, active: true, lift: () => (refusal.active = false) };
  client.pipeline.addPolicy(
    {
      name: "refuseDeletesOf",
      async sendRequest(request, next) {
        if (!refusal.active) return next(request);
        const body = typeof request.body === "string" ? request.body : "";
        if (request.method === "DELETE" && request.url.includes(target)) {
          refusal.refused++;
          return response(request, 400, "application/json;odata=minimalmetadata", JSON.stringify({ "odata.error": { code: "InvalidInput", message: { lang: "en-US", value: "One of the request inputs is not valid." } } }));
        }
        if (request.method === "POST" && request.url.includes("$batch") && body.includes(target)) {
          refusal.refused++;
          const boundary = "batchresponse_refused";
          const changeset = "changesetresponse_refused";
          const text = [
            `--${boundary}`,
            `Content-Type: multipart/mixed; boundary=${changeset}`,
            "",
            `--${changeset}`,
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            "HTTP/1.1 400 Bad Request",
            "Content-Type: application/json;odata=minimalmetadata;charset=utf-8",
            "",
            '{"odata.error":{"code":"InvalidInput","message":{"lang":"en-US","value":"0:One of the request inputs is not valid."}}}',
            `--${changeset}--`,
            `--${boundary}--`,
            "",
          ].join("\r\n");
          return response(request, 202, `multipart/mixed; boundary=${boundary}`, text);
        }
        return next(request);
      },
    },
    { afterPhase: "Sign" },
  );
  return refusal;
}

function response(request: PipelineRequest, status: number, contentType: string, bodyAsText: string): PipelineResponse {
  return { request, status, headers: createHttpHeaders({ "content-type": contentType, "x-ms-request-id": "refused" }), bodyAsText };
}
