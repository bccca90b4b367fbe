/**
 * The storage call policy every client of shared/storage/clients.ts carries: failures translated
 * into the service's errors once, for tables, blobs and queues alike (a lost ETag race, storage that
 * refuses connections or never answers); statuses that mean something to the caller left as they
 * are; each call counted once.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { ServiceError } from "../../shared/domain/errors";
import { createBlobServiceClient, createQueueServiceClient, createTableClient } from "../../shared/storage/clients";
import { ConcurrencyError } from "../../shared/storage/storage-errors";
import { storageCallCount } from "../../shared/storage/storage-pipeline";
import { readEntity } from "../../shared/storage/table-rest";
import { storageSettings, tableClient } from "./helpers";

const account = () =>
  Object.fromEntries(process.env.TEST_STORAGE_CONNECTION_STRING!.split(";").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));

/** Settings whose every endpoint is `port` on the loopback, with the account's real key. */
function settingsAt(port: number) {
  const { AccountName, AccountKey } = account();
  const endpoint = (kind: string) => `${kind}Endpoint=http://127.0.0.1:${port}/${AccountName}`;
  const connectionString = ["DefaultEndpointsProtocol=http", `AccountName=${AccountName}`, `AccountKey=${AccountKey}`, endpoint("Table"), endpoint("Blob"), endpoint("Queue")].join(";");
  return storageSettings({ ImportExportStorage: connectionString, STORAGE_TIMEOUT_MS: "1000" });
}

test("a write with a stale ETag is a ConcurrencyError; a missing entity stays a 404 for the caller to read", async () => {
  const table = tableClient("policytests");
  await table.createTable();
  const partitionKey = randomUUID();
  const created = await table.createEntity({ partitionKey, rowKey: "r", Value: 1 });
  await table.updateEntity({ partitionKey, rowKey: "r", Value: 2 }, "Merge", { etag: created.etag });

  await expect(table.updateEntity({ partitionKey, rowKey: "r", Value: 3 }, "Merge", { etag: created.etag })).rejects.toBeInstanceOf(ConcurrencyError);
  await expect(table.getEntity(partitionKey, "none")).rejects.toMatchObject({ statusCode: 404 });
});

test("every call is counted once, whichever client makes it", async () => {
  const settings = storageSettings();
  const table = createTableClient(settings, "policytests");
  await table.createTable();
  const queue = createQueueServiceClient(settings).getQueueClient(`policy-${randomUUID()}`);
  const container = createBlobServiceClient(settings).getContainerClient(`policy-${randomUUID()}`);

  const before = storageCallCount();
  await table.createEntity({ partitionKey: randomUUID(), rowKey: "r" });
  await queue.create();
  await container.create();
  await readEntity(table, "p", "none", ["Value"]);

  expect(storageCallCount() - before).toBe(4);
});

describe("storage that refuses connections, or never answers", () => {
  let silent: net.Server;
  const accepted = new Set<net.Socket>();
  let silentPort: number;
  let closedPort: number;

  beforeAll(async () => {
    silent = net.createServer((socket) => accepted.add(socket)); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    accepted.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  const calls: [string, (port: number) => Promise<unknown>][] = [
    ["a table read (typed)", (port) => createTableClient(settingsAt(port), "policytests").getEntity("p", "r")],
    ["a table read (raw, through the pipeline)", (port) => readEntity(createTableClient(settingsAt(port), "policytests"), "p", "r", ["Value"])],
    ["a blob container call", (port) => createBlobServiceClient(settingsAt(port)).getContainerClient("logs").createIfNotExists()],
    ["a queue message", (port) => createQueueServiceClient(settingsAt(port)).getQueueClient("notices").sendMessage("x")],
  ];

  test.each(calls)("%s: a 503 with Retry-After, within the deadline", async (_, call) => {
    for (const port of [closedPort, silentPort]) {
      const started = Date.now();

      const error = await call(port).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ServiceError);
      expect(error).toMatchObject({ status: 503 });
      expect((error as ServiceError).headers).toMatchObject({ "Retry-After": expect.any(String) });
      expect(Date.now() - started).toBeLessThan(2_500);
    }
  });
});
