/**
 * A job's history is bounded: the job carries its recent entries and older ones move to the history
 * archive, read back in order through the operator history endpoint, paged.
 *
 * Regression: history grew without limit, so after ~114 fault/clear cycles (with long reasons) every
 * event failed with JobTooLarge and operators could not even close the job.
 */
import { getSettings } from "../../shared/service/app/composition";
import { HISTORY_ARCHIVE_AT } from "../../shared/domain/history";
import { jobHasBlobs } from "../../shared/domain/log-blobs";
import { createTableClient } from "../../shared/storage/clients";
import { JobsStore } from "../../shared/storage/jobs.store";
import { api, createJob } from "../api/helpers";
import { importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { event, HistoryEntry, JobRef, markShipping, operatorJobPath, PACKAGE, RETURN, transferAll } from "./helpers";

jest.setTimeout(180_000);

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const CYCLES = 200;

function reason(kind: string, cycle: number): string {
  return `${kind} ${cycle}: ${"station log excerpt ".repeat(50)}`.slice(0, 1000);
}

async function historyPages(job: JobRef, top?: number): Promise<{ entries: HistoryEntry[]; pages: number }> {
  const entries: HistoryEntry[] = [];
  let path: string | undefined = operatorJobPath(job, `/history${top ? `?$top=${top}` : ""}`);
  let pages = 0;
  while (path) {
    const response = await api(service, "GET", path);
    expect(response.status).toBe(200);
    entries.push(...response.body.value);
    pages++;
    path = response.body.nextLink ? new URL(response.body.nextLink).pathname + new URL(response.body.nextLink).search : undefined;
  }
  return { entries, pages };
}

test(`${CYCLES} fault/clear cycles with long reasons, then a close: every event is stored, the history reads back whole and in order`, async () => {
  const job = { sub: newSubscriptionId(), rg: "history-rg", name: "fault-cycles" };
  await createJob(service, job.sub, job.rg, job.name, importJobBody(job.sub));
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    expect((await event(service, job, { type: "FaultJob", reason: reason("fault", cycle) })).properties.state).toBe("Faulted");
    expect((await event(service, job, { type: "ClearJobFault", reason: reason("clear", cycle) })).properties.state).toBe("Received");
  }
  await transferAll(service, job, ["DRIVE01", "DRIVE02"]);
  expect((await event(service, job, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Closed");

  // The job carries a bounded part; the rest is archived (and is among the job's blobs to delete).
  const settings = getSettings();
  const stored = await new JobsStore(createTableClient(settings, settings.jobsTableName)).get({
    subscriptionId: job.sub,
    resourceGroup: job.rg,
    name: job.name,
  });
  expect(stored!.job.history.length).toBeLessThanOrEqual(HISTORY_ARCHIVE_AT.entries);
  expect(stored!.job.historyArchived).toBeGreaterThan(0);
  expect(jobHasBlobs(stored!.job)).toBe(true);

  const whole = await historyPages(job);
  expect(whole.pages).toBe(1);
  const { entries } = whole;
  expect(entries.length).toBe(stored!.job.historyArchived! + stored!.job.history.length);
  // The job's own changes chain from its creation to Closed, every cycle in order.
  const changes = entries.filter((entry) => entry.driveId === undefined);
  expect(changes[0]).toMatchObject({ from: null, to: "Creating" });
  changes.slice(1).forEach((entry, i) => expect(entry.from).toBe(changes[i].to));
  expect(changes[changes.length - 1].to).toBe("Closed");
  const faults = changes.filter((entry) => entry.to === "Faulted").map((entry) => entry.reason);
  expect(faults).toEqual(Array.from({ length: CYCLES }, (_, cycle) => reason("fault", cycle)));

  // Paged, oldest first: the same entries.
  const paged = await historyPages(job, 100);
  expect(paged.pages).toBe(Math.ceil(entries.length / 100));
  expect(paged.entries).toEqual(entries);
});

test("the history endpoint refuses a $skiptoken it did not issue and a $top out of range", async () => {
  const job = { sub: newSubscriptionId(), rg: "history-rg", name: "paging-input" };
  await createJob(service, job.sub, job.rg, job.name, importJobBody(job.sub));
  expect((await api(service, "GET", operatorJobPath(job, "/history?$skiptoken=abc"))).status).toBe(400);
  expect((await api(service, "GET", operatorJobPath(job, "/history?$top=0"))).status).toBe(400);
  const page = await api(service, "GET", operatorJobPath(job, "/history?$top=1"));
  expect(page.body.value).toHaveLength(1);
  expect(page.body.nextLink).toBeUndefined();
});
