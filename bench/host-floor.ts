/**
 * A second floor for Get Job (informational): the local host serving one route whose handler is the
 * raw read, the plain data-tables client's `getEntity`, answered as JSON. It costs what any app on
 * this host pays to serve that read (the HTTP server, the library's request and response objects,
 * the read itself), so Get Job against it is the service's own overhead. Started by `npm run bench`
 * in its own process, as the service is; prints its URL.
 */
import { TableClient } from "@azure/data-tables";
import { runAsProcess, startLocalHost } from "../devhost/local-host";

async function main(): Promise<void> {
  const table = TableClient.fromConnectionString(process.env.ImportExportStorage!, process.env.HOST_FLOOR_TABLE!, { allowInsecureConnection: true });
  const host = await startLocalHost({
    port: 0,
    routes: [
      {
        name: "RawRead",
        route: "raw/{partitionKey}/{rowKey}",
        methods: ["GET"],
        authLevel: "anonymous",
        handler: () => async (request) => {
          const entity = await table.getEntity(request.params.partitionKey, request.params.rowKey);
          return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(entity) };
        },
      },
    ],
  });
  runAsProcess(host);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
