/**
 * The Table REST calls below the SDK's typed layer, sent through the production table client's
 * pipeline, against Azurite: conditional batch deletes (all or none; a changed or missing entity
 * fails the whole transaction) and the selective point read.
 */
import { randomUUID } from "node:crypto";
import { AzureNamedKeyCredential, generateAccountSas, TableClient } from "@azure/data-tables";
import { ConcurrencyError } from "../../shared/storage/storage-errors";
import { deleteAllIfUnchanged, readEntity } from "../../shared/storage/table-rest";
import { storageSettings, tableClient } from "./helpers";

let table: TableClient;

beforeAll(async () => {
  table = tableClient("batchtests");
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

  await expect(deleteAllIfUnchanged(table, entities)).resolves.toBe(true);

  expect(await remaining(entities[0].partitionKey)).toBe(0);
});

test("one entity changed since it was read: nothing is deleted and the caller is told", async () => {
  const entities = await seed(5);
  await table.updateEntity({ partitionKey: entities[3].partitionKey, rowKey: entities[3].rowKey, Value: 99 }, "Merge");

  await expect(deleteAllIfUnchanged(table, entities)).resolves.toBe(false);

  expect(await remaining(entities[0].partitionKey)).toBe(5);
});

test("one entity already gone: nothing else is deleted", async () => {
  const entities = await seed(4);
  await table.deleteEntity(entities[0].partitionKey, entities[0].rowKey);

  await expect(deleteAllIfUnchanged(table, entities)).resolves.toBe(false);

  expect(await remaining(entities[0].partitionKey)).toBe(3);
});

test("refuses more than 100 operations or mixed partitions before sending anything", async () => {
  const [a] = await seed(1);
  const [b] = await seed(1);

  await expect(deleteAllIfUnchanged(table, [a, b])).rejects.toThrow(/one partition/);
  await expect(deleteAllIfUnchanged(table, Array.from({ length: 101 }, () => a))).rejects.toThrow(/at most 100/);
  expect(await remaining(a.partitionKey)).toBe(1);
});

describe("readEntity", () => {
  test("reads only the selected properties, with an ETag a conditional write then accepts", async () => {
    const [entity] = await seed(1);
    await table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "x".repeat(40_000).slice(0, 30_000), Other: "not asked for" }, "Merge");

    const read = await readEntity(table, entity.partitionKey, entity.rowKey, ["Doc", "Missing"]);

    expect(read?.properties.Doc).toBe("x".repeat(30_000));
    expect(read?.properties).not.toHaveProperty("Other");
    expect(read?.properties).not.toHaveProperty("Value");
    expect(read?.properties).not.toHaveProperty("Missing");
    await expect(table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "new" }, "Merge", { etag: read!.etag })).resolves.toBeDefined();
    await expect(table.updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Doc: "stale" }, "Merge", { etag: read!.etag })).rejects.toBeInstanceOf(ConcurrencyError);
  });

  test("no entity with these keys (or no such table): undefined, not an error", async () => {
    const [entity] = await seed(1);

    await expect(readEntity(table, entity.partitionKey, `${entity.rowKey}-other`, ["Value"])).resolves.toBeUndefined();
    expect(await readEntity(table, entity.partitionKey, entity.rowKey, ["Value"])).toMatchObject({ properties: { Value: 0 } });
    const missingTable = tableClient("nosuchtable");
    await expect(readEntity(missingTable, entity.partitionKey, entity.rowKey, ["Value"])).resolves.toBeUndefined();
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
  const sasTable = tableClient("batchtests", storageSettings({ ImportExportStorage: `TableEndpoint=${parts.TableEndpoint};SharedAccessSignature=${sas}` }));
  expect(sasTable.url).toContain("?");
  const entities = await seed(3);

  expect((await readEntity(sasTable, entities[0].partitionKey, entities[0].rowKey, ["Value"]))?.properties).toEqual({ Value: 0 });
  await expect(deleteAllIfUnchanged(sasTable, entities)).resolves.toBe(true);
  expect(await remaining(entities[0].partitionKey)).toBe(0);
});
