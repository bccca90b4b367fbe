/**
 * The Table REST calls below the SDK's typed layer, against Azurite: conditional batch deletes (all
 * or none; a changed or missing entity fails the whole transaction) and the selective point read.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { AzureNamedKeyCredential, generateAccountSas, TableClient } from "@azure/data-tables";
import { ServiceError } from "../../shared/domain/errors";
import { deleteAllIfUnchanged, readEntity, sharedKeyReader } from "../../shared/storage/table-rest";

let table: TableClient;

beforeAll(async () => {
  table = TableClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!, "batchtests", { allowInsecureConnection: true });
  await table.createTable();
});

/** Keys with characters that need escaping in an OData key literal inside a URL. */
async function seed(count: number) {
  const partitionKey = `sub-${randomUUID()}:rg.(it's) 1%`;
  const entities = [];
  for (let i = 0; i < count; i++) {
    const rowKey = `job ${i}'x`;
    const created = await table.createEntity({ partitionKey, rowKey, Value: i });
    entities.push({ partitionKey, rowKey, etag: created.etag! });
  }
  return entities;
}

async function remaining(partitionKey: string): Promise<number> {
  let count = 0;
  for await (const entity of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${partitionKey.replace(/'/g, "''")}'` } })) if (entity) count++;
  return count;
}

test("deletes every entity whose ETag still matches, in one transaction", async () => {
  const entities = await seed(100);

  await expect(deleteAllIfUnchanged(table, entities, 10_000)).resolves.toBe(true);

  expect(await remaining(entities[0].partitionKey)).toBe(0);
});

test("one entity changed since it was read: nothing is deleted and the caller is told", async () => {
  const entities = await seed(5);
  await table.updateEntity({ partitionKey: entities[3].partitionKey, rowKey: entities[3].rowKey, Value: 99 }, "Merge");

  await expect(deleteAllIfUnchanged(table, entities, 10_000)).resolves.toBe(false);

  expect(await remaining(entities[0].partitionKey)).toBe(5);
});

test("one entity already gone: nothing else is deleted", async () => {
  const entities = await seed(4);
  await table.deleteEntity(entities[0].partitionKey, entities[0].rowKey);

  await expect(deleteAllIfUnchanged(table, entities, 10_000)).resolves.toBe(false);

  expect(await remaining(entities[0].partitionKey)).toBe(3);
});

test("refuses more than 100 operations or mixed partitions before sending anything", async () => {
  const [a] = await seed(1);
  const [b] = await seed(1);

  await expect(deleteAllIfUnchanged(table, [a, b], 10_000)).rejects.toThrow(/one partition/);
  await expect(deleteAllIfUnchanged(table, Array.from({ length: 101 }, () => a), 10_000)).rejects.toThrow(/at most 100/);
  expect(await remaining(a.partitionKey)).toBe(1);
});

describe("readEntity", () => {
  test("reads only the selected properties, with an ETag a conditional write then accepts", async () => {
    const [entity] = await seed(1);
    await table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "x".repeat(40_000).slice(0, 30_000), Other: "not asked for" }, "Merge");

    const read = await readEntity(table, entity.partitionKey, entity.rowKey, ["Doc", "Missing"], 10_000);

    expect(read?.properties.Doc).toBe("x".repeat(30_000));
    expect(read?.properties).not.toHaveProperty("Other");
    expect(read?.properties).not.toHaveProperty("Value");
    expect(read?.properties).not.toHaveProperty("Missing");
    await expect(table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "new" }, "Merge", { etag: read!.etag })).resolves.toBeDefined();
    await expect(table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "stale" }, "Merge", { etag: read!.etag })).rejects.toMatchObject({ statusCode: 412 });
  });

  test("no entity with these keys (or no such table): undefined, not an error", async () => {
    const [entity] = await seed(1);

    await expect(readEntity(table, entity.partitionKey, `${entity.rowKey}-other`, ["Value"], 10_000)).resolves.toBeUndefined();
    expect(await readEntity(table, entity.partitionKey, entity.rowKey, ["Value"], 10_000)).toMatchObject({ properties: { Value: 0 } });
    const missingTable = TableClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!, "nosuchtable", { allowInsecureConnection: true });
    await expect(readEntity(missingTable, entity.partitionKey, entity.rowKey, ["Value"], 10_000)).resolves.toBeUndefined();
  });
});

test("a client of a SAS connection string (the SAS on its URL) reads and deletes too", async () => {
  const parts = Object.fromEntries(
    process.env.TEST_STORAGE_CONNECTION_STRING!.split(";").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
  const sas = generateAccountSas(new AzureNamedKeyCredential(parts.AccountName, parts.AccountKey), {
    expiresOn: new Date(Date.now() + 3_600_000),
    permissions: { query: true, delete: true },
    resourceTypes: "sco",
  });
  const sasTable = TableClient.fromConnectionString(`TableEndpoint=${parts.TableEndpoint};SharedAccessSignature=${sas}`, "batchtests", { allowInsecureConnection: true });
  expect(sasTable.url).toContain("?");
  const entities = await seed(3);

  expect((await readEntity(sasTable, entities[0].partitionKey, entities[0].rowKey, ["Value"], 10_000))?.properties).toEqual({ Value: 0 });
  await expect(deleteAllIfUnchanged(sasTable, entities, 10_000)).resolves.toBe(true);
  expect(await remaining(entities[0].partitionKey)).toBe(0);
});

describe("sharedKeyReader (node:http, signed with the account key)", () => {
  const account = () =>
    Object.fromEntries(process.env.TEST_STORAGE_CONNECTION_STRING!.split(";").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  const key = () => ({ accountName: account().AccountName, accountKey: account().AccountKey });

  test("signs a read Azurite accepts, keys with quotes, spaces and colons included, and sees a missing entity as none", async () => {
    const [entity] = await seed(1);
    const reader = sharedKeyReader(table, key(), 10_000);

    const read = await reader.read(entity.partitionKey, entity.rowKey, ["Value"]);

    expect(read).toEqual({ etag: entity.etag, properties: { Value: 0 } });
    expect(await reader.read(entity.partitionKey, `${entity.rowKey}-none`, ["Value"])).toBeUndefined();
  });

  test("a wrong key is refused (an error, not 'no such entity')", async () => {
    const [entity] = await seed(1);
    const reader = sharedKeyReader(table, { ...key(), accountKey: Buffer.from("not the key").toString("base64") }, 10_000);

    await expect(reader.read(entity.partitionKey, entity.rowKey, ["Value"])).rejects.toMatchObject({ statusCode: 403 });
  });

  test("storage that refuses connections, or never answers, is a 503 with Retry-After, within the timeout", async () => {
    const silent = net.createServer(() => {}); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      for (const port of [closedPort, silentPort]) {
        const client = new TableClient(`http://127.0.0.1:${port}/${key().accountName}`, "batchtests", { allowInsecureConnection: true });
        const started = Date.now();
        const error = await sharedKeyReader(client, key(), 1_500).read("p", "r", ["Value"]).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ServiceError);
        expect(error).toMatchObject({ status: 503 });
        expect((error as ServiceError).headers).toMatchObject({ "Retry-After": expect.any(String) });
        expect(Date.now() - started).toBeLessThan(3_000);
      }
    } finally {
      silent.close();
    }
  });
});
