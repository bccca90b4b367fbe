/**
 * The expiry index is one table per day of due time: a sweep reads only the tables of past days and
 * today, never a future deadline, and drops a past day's table once it is drained.
 */
import { TableServiceClient } from "@azure/data-tables";
import { getSettings } from "../../shared/service/app/composition";
import { newSubscriptionId } from "../support/service";
import { createImportJob, DAY, getStatus, MaintenanceHarness, MS_OF, SECOND, startMaintenanceService, sweepAt } from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService();
});
afterAll(() => h.close());

async function indexTables(): Promise<string[]> {
  const prefix = getSettings().deadlinesTableName;
  const service = TableServiceClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!, { allowInsecureConnection: true });
  const names: string[] = [];
  for await (const table of service.listTables()) if (table.name && new RegExp(`^${prefix}\\d{8}$`).test(table.name)) names.push(table.name);
  return names.sort();
}

function dayTable(time: number): string {
  return `${getSettings().deadlinesTableName}${new Date(time).toISOString().slice(0, 10).replace(/-/g, "")}`;
}

test("a drained past day's table is dropped whole, and a future deadline is never read", async () => {
  const t0 = h.clock.now().getTime();
  const job = { sub: newSubscriptionId(), rg: "days-rg", name: "expires-today" };
  await createImportJob(h.service, job);
  const dueTable = dayTable(t0 + MS_OF.creating);
  expect(await indexTables()).toContain(dueTable);

  // Two days later: the job expired, its day is in the past and drained.
  const report = await sweepAt(h, t0, 2 * DAY + SECOND);

  expect(report.sweep.jobsDeleted).toBe(1);
  expect(await getStatus(h.service, job)).toBe(404);
  expect(await indexTables()).not.toContain(dueTable);
});

test("an entry due today stays in today's table until it is due", async () => {
  const t0 = h.clock.now().getTime();
  const job = { sub: newSubscriptionId(), rg: "days-rg", name: "not-yet" };
  await createImportJob(h.service, job);

  const report = await sweepAt(h, t0, MS_OF.creating - SECOND);

  expect(report.sweep.indexEntriesRead).toBe(0);
  expect(await getStatus(h.service, job)).toBe(200);
  expect(await indexTables()).toContain(dayTable(t0 + MS_OF.creating));
});
