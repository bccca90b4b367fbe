/**
 * Each maintenance rule end to end, through the HTTP API and the admin endpoint that runs the
 * MaintenanceSweep timer now, with the durations shrunk (see DURATIONS) and a TestClock: a sweep a
 * second before a deadline leaves the job alone, a sweep a second after it has the rule's effect.
 * The suite has its own tables and queue; tests share them and the clock, so each asserts on its
 * own jobs and arrivals only.
 */
import { randomBytes } from "node:crypto";
import { newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { api, jobUrl } from "../api/helpers";
import { driveStates, event, getHistory, getJob, markShipping, PACKAGE, patchJob, postEvent, RETURN } from "../operator/helpers";
import {
  createImportJob,
  deletedRecords,
  HOUR,
  indexEntriesOf,
  indexEntriesOfArrival,
  jobBlobNames,
  JobRef,
  jobsTableClient,
  keyOf,
  MaintenanceHarness,
  MINUTE,
  MS_OF,
  putJobBlob,
  SECOND,
  startMaintenanceService,
  storedEntity,
  storedJob,
  sweepAt,
  DAY,
} from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService();
});
afterAll(() => h.close());

const RG = "maintenance-rg";
const iso = (ms: number) => new Date(ms).toISOString();
const newJob = (name: string): JobRef => ({ sub: newSubscriptionId(), rg: RG, name });

async function status(job: JobRef): Promise<number> {
  return (await api(h.service, "GET", jobUrl(job.sub, job.rg, job.name))).status;
}

/** Marks a drive of the stored job as having an error log (the flag the service sets when it writes one). */
async function markDriveBlob(job: JobRef, driveId: string): Promise<void> {
  const entity = (await storedEntity(job.sub, RG, job.name))!;
  const document = JSON.parse(entity.Job);
  document.drives = document.drives.map((drive: { driveId: string }) => (drive.driveId === driveId ? { ...drive, blobs: { errorLog: true } } : drive));
  await jobsTableClient().updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Job: JSON.stringify(document) }, "Merge", { etag: entity.etag });
}

async function shippingJob(name: string): Promise<JobRef> {
  const job = newJob(name);
  await createImportJob(h.service, job);
  expect((await markShipping(h.service, job)).properties.state).toBe("Shipping");
  return job;
}

/** Shipping, the package received with both drives, DRIVE01 copying. */
async function transferringJob(name: string): Promise<JobRef> {
  const job = await shippingJob(name);
  await event(h.service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
  expect((await event(h.service, job, { type: "TransferStarted", driveId: "DRIVE01" })).properties.state).toBe("Transferring");
  return job;
}

describe("Creating expiry (CREATING_JOB_LIFETIME=PT1H)", () => {
  test("a second before, nothing; a second after, the job, its blobs and its entry are gone, the deletion recorded, the customer told once", async () => {
    const t0 = h.clock.now().getTime();
    const job = newJob("expires");
    await createImportJob(h.service, job);
    // A log blob of the job, recorded on it as the operator side records the blobs it writes.
    await putJobBlob({ key: keyOf(job) }, "drives/DRIVE01/error.log");
    await markDriveBlob(job, "DRIVE01");
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);

    const before = await sweepAt(h, t0, MS_OF.creating - SECOND);
    expect(before.sweep.errors).toEqual([]);
    expect(await status(job)).toBe(200);
    expect(await jobBlobNames({ key: keyOf(job) })).toHaveLength(1);
    expect(await deletedRecords(job.sub)).toEqual([]);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([]);

    const created = (await storedJob(job.sub, RG, job.name))!;
    const after = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(after.sweep.byKind.CreatingExpiry).toBeGreaterThanOrEqual(1);
    expect(after.sweep.jobsDeleted).toBeGreaterThanOrEqual(1);
    expect(await status(job)).toBe(404);
    expect(await storedEntity(job.sub, RG, job.name)).toBeUndefined();
    expect(await jobBlobNames({ key: keyOf(job) })).toEqual([]);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([]);
    expect(await deletedRecords(job.sub)).toEqual([
      {
        subscriptionId: job.sub,
        resourceGroup: RG,
        name: job.name,
        state: "Creating",
        createdAt: created.createdAt,
        deletedAt: iso(t0 + MS_OF.creating + SECOND),
        reason: expect.stringMatching(/^Still 'Creating' .* after its creation or last update$/),
      },
    ]);
    const notices = (await h.inbox.forJob(job.sub, job.name)).filter((message) => message.type === "notice");
    expect(notices).toEqual([
      expect.objectContaining({ audience: "customer", kind: "JobDeletedCreatingExpired", contactEmail: RETURN_ADDRESS.email, at: iso(t0 + MS_OF.creating + SECOND) }),
    ]);

    // Nothing more on the next run.
    await sweepAt(h, t0, MS_OF.creating + 2 * SECOND);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toHaveLength(1);
  });

  test("an update during Creating restarts the clock with no index write; the sweep at the original deadline chains an entry at the new one, and deletes the job then", async () => {
    const t0 = h.clock.now().getTime();
    const job = newJob("restarted");
    await createImportJob(h.service, job);
    h.clock.set(new Date(t0 + 30 * MINUTE));
    expect((await patchJob(h.service, job, { tags: { touched: "yes" } })).status).toBe(200);
    const newDeadline = t0 + 30 * MINUTE + MS_OF.creating;
    // The update wrote no entry: the one at the original deadline comes first and covers the new one.
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    expect((await storedEntity(job.sub, RG, job.name))!.IndexedDue).toBe(iso(t0 + MS_OF.creating));

    const chained = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(chained.sweep).toMatchObject({ entriesChained: 1, jobsActedOn: 0, errors: [] });
    expect(await status(job)).toBe(200);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(newDeadline)}|CreatingExpiry`]);
    expect((await storedEntity(job.sub, RG, job.name))!.IndexedDue).toBe(iso(newDeadline));
    await sweepAt(h, newDeadline, -SECOND);
    expect(await status(job)).toBe(200);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([]);

    await sweepAt(h, newDeadline, SECOND);
    expect(await status(job)).toBe(404);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([["customer", "JobDeletedCreatingExpired"]]);
  });
});

describe("Shipping overdue (SHIPPING_WAIT=PT2H) and the close (SHIPPING_RESPONSE_WINDOW=PT3H)", () => {
  test("overdue: Specified drives NeverReceived, operators and customer told, still Shipping; after the window: Closed", async () => {
    const t0 = h.clock.now().getTime();
    const job = await shippingJob("overdue-close");
    const due = t0 + MS_OF.shippingWait;
    // Marking Shipping wrote no entry: the CreatingExpiry entry comes first and covers the overdue
    // deadline; the sweep meeting it (a stale Creating deadline) chains an entry at that deadline.
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    const chained = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(chained.sweep.errors).toEqual([]);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(due)}|ShippingOverdue`]);

    await sweepAt(h, due, -SECOND);
    let current = await getJob(h.service, job);
    expect(current.properties.state).toBe("Shipping");
    expect(driveStates(current)).toEqual({ DRIVE01: "Specified", DRIVE02: "Specified" });
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([]);

    const noticeAt = due + SECOND;
    const overdue = await sweepAt(h, due, SECOND);
    expect(overdue.sweep.byKind.ShippingOverdue).toBeGreaterThanOrEqual(1);
    current = await getJob(h.service, job);
    expect(current.properties.state).toBe("Shipping");
    expect(driveStates(current)).toEqual({ DRIVE01: "NeverReceived", DRIVE02: "NeverReceived" });
    const messages = await h.inbox.forJob(job.sub, job.name);
    const notices = messages.filter((message) => message.type === "notice");
    expect(notices.map((message) => [message.audience, message.kind, message.contactEmail])).toEqual([
      ["operators", "ShippingOverdue", undefined],
      ["customer", "ShippingOverdue", RETURN_ADDRESS.email],
    ]);
    expect(messages.filter((message) => message.kind === "DriveStateChanged" && message.to === "NeverReceived").map((message) => message.driveId)).toEqual([
      "DRIVE01",
      "DRIVE02",
    ]);
    // The outbox was sent and cleared; what is left is the close.
    expect((await storedJob(job.sub, RG, job.name))!.outbox).toBeUndefined();
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(noticeAt + MS_OF.responseWindow)}|ShippingClose`]);

    await sweepAt(h, noticeAt + MS_OF.responseWindow, -SECOND);
    expect((await getJob(h.service, job)).properties.state).toBe("Shipping");
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toHaveLength(2);

    const closedAt = noticeAt + MS_OF.responseWindow + SECOND;
    await sweepAt(h, closedAt, 0);
    expect((await getJob(h.service, job)).properties.state).toBe("Closed");
    expect((await h.inbox.noticesForJob(job.sub, job.name)).slice(2)).toEqual([
      ["customer", "JobClosedNoResponse"],
      ["operators", "JobClosedNoResponse"],
    ]);
    const history = await getHistory(h.service, job);
    expect(history.at(-1)).toMatchObject({ from: "Shipping", to: "Closed", role: "timer", by: "maintenance-sweep", at: iso(closedAt) });
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(closedAt + MS_OF.retention)}|Purge`]);
  });

  test("ExtendShippingWait before the deadline moves it: no notice at the original time, one at the new", async () => {
    const t0 = h.clock.now().getTime();
    const job = await shippingJob("extended-early");
    h.clock.set(new Date(t0 + HOUR));
    const extended = await event(h.service, job, { type: "ExtendShippingWait", days: 1, reason: "Customer called" });
    const newDue = t0 + MS_OF.shippingWait + DAY;
    expect(extended.operator.shippingDueAt).toBe(iso(newDue));

    await sweepAt(h, t0, MS_OF.shippingWait + SECOND);
    expect(driveStates(await getJob(h.service, job))).toEqual({ DRIVE01: "Specified", DRIVE02: "Specified" });
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([]);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(newDue)}|ShippingOverdue`]);

    await sweepAt(h, newDue, -SECOND);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([]);
    await sweepAt(h, newDue, SECOND);
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([
      ["operators", "ShippingOverdue"],
      ["customer", "ShippingOverdue"],
    ]);
  });

  test("ExtendShippingWait after the notice cancels the pending close; the new deadline brings a new notice", async () => {
    const t0 = h.clock.now().getTime();
    const job = await shippingJob("extended-late");
    const noticeAt = t0 + MS_OF.shippingWait + SECOND;
    await sweepAt(h, noticeAt, 0);
    const first = (await h.inbox.forJob(job.sub, job.name)).filter((message) => message.type === "notice");
    expect(first).toHaveLength(2);

    const extendAt = noticeAt + MINUTE;
    h.clock.set(new Date(extendAt));
    const extended = await event(h.service, job, { type: "ExtendShippingWait", days: 1 });
    expect(extended.operator.shippingDueAt).toBe(iso(extendAt + DAY));

    // Past the response window of the first notice: the close entry is stale, the job stays.
    const report = await sweepAt(h, noticeAt + MS_OF.responseWindow, SECOND);
    expect(report.sweep.staleEntriesDropped).toBeGreaterThanOrEqual(1);
    expect((await getJob(h.service, job)).properties.state).toBe("Shipping");
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toHaveLength(2);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(extendAt + DAY)}|ShippingOverdue`]);

    await sweepAt(h, extendAt + DAY, SECOND);
    const all = (await h.inbox.forJob(job.sub, job.name)).filter((message) => message.type === "notice");
    expect(all.map((message) => message.kind)).toEqual(["ShippingOverdue", "ShippingOverdue", "ShippingOverdue", "ShippingOverdue"]);
    expect(new Set(all.map((message) => message.id)).size).toBe(4);
    expect((await getJob(h.service, job)).properties.state).toBe("Shipping");
  });

  test("the package arriving after the overdue notice: drives in it become Received, and the close does not happen", async () => {
    const t0 = h.clock.now().getTime();
    const job = await shippingJob("late-package");
    const noticeAt = t0 + MS_OF.shippingWait + SECOND;
    await sweepAt(h, noticeAt, 0);
    expect(driveStates(await getJob(h.service, job))).toEqual({ DRIVE01: "NeverReceived", DRIVE02: "NeverReceived" });

    h.clock.set(new Date(noticeAt + HOUR));
    const received = await event(h.service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "LATE-1", driveIds: ["DRIVE01"] });
    expect(received.properties.state).toBe("Received");
    expect(driveStates(received)).toEqual({ DRIVE01: "Received", DRIVE02: "NeverReceived" });
    const history = await getHistory(h.service, job);
    expect(history.filter((entry) => entry.driveId === "DRIVE01").map((entry) => [entry.from, entry.to, entry.role])).toEqual([
      ["Specified", "NeverReceived", "timer"],
      ["NeverReceived", "Received", "operator"],
    ]);

    await sweepAt(h, noticeAt + MS_OF.responseWindow, SECOND);
    expect((await getJob(h.service, job)).properties.state).toBe("Received");
    expect(await h.inbox.noticesForJob(job.sub, job.name)).toEqual([
      ["operators", "ShippingOverdue"],
      ["customer", "ShippingOverdue"],
    ]);
    expect((await indexEntriesOf(job.sub, RG, job.name)).filter((entry) => entry.endsWith("ShippingClose"))).toEqual([]);
  });
});

describe("purge of finished jobs (FINISHED_JOB_RETENTION=PT4H)", () => {
  test("a Completed job (with its log blobs) and a Closed job are purged after the retention, not before", async () => {
    const t0 = h.clock.now().getTime();
    const completed = await transferringJob("purge-completed");
    await event(h.service, completed, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(h.service, completed, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect((await event(h.service, completed, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" })).properties.state).toBe("Packaging");
    expect((await event(h.service, completed, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Completed");
    const blobs = await jobBlobNames({ key: keyOf(completed) });
    expect(blobs.length).toBeGreaterThanOrEqual(2); // the drives' error logs

    const closed = await shippingJob("purge-closed");
    expect((await event(h.service, closed, { type: "CloseUnresponsive", reason: "No answer" })).properties.state).toBe("Closed");

    await sweepAt(h, t0, MS_OF.retention - SECOND);
    expect(await status(completed)).toBe(200);
    expect(await status(closed)).toBe(200);
    expect(await jobBlobNames({ key: keyOf(completed) })).toEqual(blobs);

    await sweepAt(h, t0, MS_OF.retention + SECOND);
    expect(await status(completed)).toBe(404);
    expect(await status(closed)).toBe(404);
    expect(await jobBlobNames({ key: keyOf(completed) })).toEqual([]);
    expect((await deletedRecords(completed.sub)).map((record) => [record.state, record.reason])).toEqual([["Completed", expect.stringMatching(/^Purged .* after it became 'Completed'$/)]]);
    expect((await deletedRecords(closed.sub)).map((record) => [record.state, record.reason])).toEqual([["Closed", expect.stringMatching(/^Purged .* after it became 'Closed'$/)]]);
    expect(await h.inbox.noticesForJob(completed.sub, completed.name)).toEqual([["customer", "JobPurged"]]);
    expect(await h.inbox.noticesForJob(closed.sub, closed.name)).toEqual([["customer", "JobPurged"]]);
  });
});

describe("return-address problem (RETURN_ADDRESS_WAIT=PT5H)", () => {
  test("not corrected: Closed and operators told to destroy the drives; corrected: nothing happens", async () => {
    const t0 = h.clock.now().getTime();
    const stuck = await transferringJob("address-stuck");
    const fixed = await transferringJob("address-fixed");
    for (const job of [stuck, fixed]) await event(h.service, job, { type: "ReturnAddressProblem", reason: "The street does not exist" });
    h.clock.set(new Date(t0 + HOUR));
    expect((await patchJob(h.service, fixed, { properties: { returnAddress: { ...RETURN_ADDRESS, streetAddress1: "2 Real Street" } } })).status).toBe(200);

    await sweepAt(h, t0, MS_OF.returnAddressWait - SECOND);
    expect((await getJob(h.service, stuck)).properties.state).toBe("Transferring");
    expect(await h.inbox.noticesForJob(stuck.sub, stuck.name)).toEqual([["customer", "ReturnAddressProblem"]]);

    await sweepAt(h, t0, MS_OF.returnAddressWait + SECOND);
    expect((await getJob(h.service, stuck)).properties.state).toBe("Closed");
    const notices = (await h.inbox.forJob(stuck.sub, stuck.name)).filter((message) => message.type === "notice");
    expect(notices.map((message) => [message.audience, message.kind, message.contactEmail])).toEqual([
      ["customer", "ReturnAddressProblem", RETURN_ADDRESS.email],
      ["operators", "DestroyDrives", undefined],
      ["customer", "JobClosedReturnAddress", RETURN_ADDRESS.email],
    ]);
    expect(notices[1].message).toMatch(/Destroy its drives securely/);

    expect((await getJob(h.service, fixed)).properties.state).toBe("Transferring");
    expect(await h.inbox.noticesForJob(fixed.sub, fixed.name)).toEqual([["customer", "ReturnAddressProblem"]]);
    expect((await indexEntriesOf(fixed.sub, RG, fixed.name)).filter((entry) => entry.endsWith("ReturnAddressExpiry"))).toEqual([]);
  });
});

describe("a job closed for its return address: operators record what became of its drives", () => {
  async function closedForAddress(name: string): Promise<JobRef> {
    const t0 = h.clock.now().getTime();
    const job = await transferringJob(name);
    await event(h.service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(h.service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect((await event(h.service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "CompletedMoreInfo" })).properties.state).toBe("Packaging");
    await event(h.service, job, { type: "ReturnAddressProblem", reason: "No such street" });
    await sweepAt(h, t0, MS_OF.returnAddressWait + SECOND);
    const operatorView = (await api(h.service, "GET", `/operator/subscriptions/${job.sub}/resourceGroups/${RG}/jobs/${job.name}`)).body;
    expect(operatorView.properties.state).toBe("Closed");
    expect(operatorView.operator.allowedEvents).toEqual(["DrivesReturned", "DrivesDestroyed"]);
    return job;
  }

  test("DrivesDestroyed: each drive Destroyed with the certificate in the history; nothing more to dispose of", async () => {
    const job = await closedForAddress("address-destroyed");
    const destroyed = await event(h.service, job, { type: "DrivesDestroyed", certificateReference: "CERT-2026-0007" });
    expect(destroyed.properties.state).toBe("Closed");
    expect(driveStates(destroyed)).toEqual({ DRIVE01: "Destroyed", DRIVE02: "Destroyed" });
    expect(destroyed.operator.driveDisposal).toMatchObject({ kind: "Destroyed", certificateReference: "CERT-2026-0007" });
    expect(destroyed.operator.allowedEvents).toEqual([]);
    const history = await getHistory(h.service, job);
    expect(history.filter((entry) => entry.to === "Destroyed").map((entry) => [entry.driveId, entry.from, entry.reason])).toEqual([
      ["DRIVE01", "Completed", "Destroyed securely, certificate CERT-2026-0007"],
      ["DRIVE02", "CompletedMoreInfo", "Destroyed securely, certificate CERT-2026-0007"],
    ]);
    const again = await postEvent(h.service, job, { type: "DrivesReturned", carrierName: "UPS", trackingNumber: "1Z-LATE" });
    expect([again.status, again.body.error.code]).toEqual([409, "NoDrivesHeld"]);
  });

  test("DrivesReturned: the drives ShippedBack with the return package, recorded in the history", async () => {
    const job = await closedForAddress("address-returned");
    const returned = await event(h.service, job, { type: "DrivesReturned", carrierName: "UPS", trackingNumber: "1Z-LATE-2", shipDate: "12/3/2026" });
    expect(driveStates(returned)).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });
    expect(returned.properties.returnPackage).toEqual({ carrierName: "UPS", trackingNumber: "1Z-LATE-2", driveCount: 2, shipDate: "2026-12-03" });
    expect(returned.operator.driveDisposal).toMatchObject({ kind: "Returned", carrierName: "UPS", trackingNumber: "1Z-LATE-2" });
    const history = await getHistory(h.service, job);
    expect(history.filter((entry) => entry.to === "ShippedBack").map((entry) => entry.reason)).toEqual([
      "Shipped back in UPS 1Z-LATE-2 after the job closed",
      "Shipped back in UPS 1Z-LATE-2 after the job closed",
    ]);
  });

  test("a job whose drives went back normally holds none: 409 NoDrivesHeld", async () => {
    const job = await transferringJob("address-fine");
    await event(h.service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(h.service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await event(h.service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "CompletedMoreInfo" });
    expect((await event(h.service, job, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Closed");
    const refused = await postEvent(h.service, job, { type: "DrivesDestroyed", certificateReference: "CERT-X" });
    expect([refused.status, refused.body.error.code]).toEqual([409, "NoDrivesHeld"]);
  });
});

describe("unmatched arrivals (UNMATCHED_ARRIVAL_RETURN_AFTER=PT6H, UNMATCHED_ARRIVAL_DESTROY_AFTER=PT7H)", () => {
  async function recordArrival(body: Record<string, unknown> = {}): Promise<string> {
    const response = await api(h.service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: `UNM-${randomBytes(3).toString("hex")}`, driveIds: ["U1", "U2"], ...body });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  test("operators are told to return the drives, then to destroy them, each once", async () => {
    const t0 = h.clock.now().getTime();
    const id = await recordArrival();
    expect(await indexEntriesOfArrival(id)).toEqual([`${iso(t0 + MS_OF.arrivalReturn)}|ArrivalReturn`, `${iso(t0 + MS_OF.arrivalDestroy)}|ArrivalDestroy`]);

    await sweepAt(h, t0, MS_OF.arrivalReturn - SECOND);
    expect(await h.inbox.forArrival(id)).toEqual([]);

    await sweepAt(h, t0, MS_OF.arrivalReturn + SECOND);
    expect((await h.inbox.forArrival(id)).map((message) => [message.id, message.audience, message.kind])).toEqual([[`arrival|${id}|ArrivalReturn`, "operators", "ReturnUnmatchedDrives"]]);

    await sweepAt(h, t0, MS_OF.arrivalDestroy - SECOND);
    expect(await h.inbox.forArrival(id)).toHaveLength(1);

    await sweepAt(h, t0, MS_OF.arrivalDestroy + SECOND);
    expect((await h.inbox.forArrival(id)).map((message) => message.kind)).toEqual(["ReturnUnmatchedDrives", "DestroyUnmatchedDrives"]);
    expect(await indexEntriesOfArrival(id)).toEqual([]);

    await sweepAt(h, t0, MS_OF.arrivalDestroy + 2 * SECOND);
    expect(await h.inbox.forArrival(id)).toHaveLength(2);
  });

  test("attaching the arrival stops both notices (by the customer marking Shipping, or by an operator)", async () => {
    const t0 = h.clock.now().getTime();
    // A package for a job still Creating: recorded, then received when the customer marks it Shipping.
    const early = newJob("early-arrival");
    await createImportJob(h.service, early);
    const recorded = await postEvent(h.service, early, { type: "PackageReceived", carrierName: "DHL", trackingNumber: "EARLY-9", driveIds: ["DRIVE01", "DRIVE02"] });
    expect(recorded.status).toBe(202);
    const earlyId: string = recorded.body.arrival.id;
    expect((await markShipping(h.service, early)).properties.state).toBe("Received");

    // A package naming no job, attached by an operator to a Shipping job.
    const loose = await recordArrival({ driveIds: ["DRIVE01"] });
    const target = await shippingJob("operator-attached");
    const attached = await api(h.service, "POST", `/operator/arrivals/${loose}/attach`, { subscriptionId: target.sub, resourceGroupName: RG, jobName: target.name });
    expect(attached.status).toBe(200);

    await sweepAt(h, t0, MS_OF.arrivalReturn + SECOND);
    await sweepAt(h, t0, MS_OF.arrivalDestroy + SECOND);
    expect(await h.inbox.forArrival(earlyId)).toEqual([]);
    expect(await h.inbox.forArrival(loose)).toEqual([]);
    expect(await indexEntriesOfArrival(earlyId)).toEqual([]);
    expect(await indexEntriesOfArrival(loose)).toEqual([]);
  });

  test("drives recorded as returned after the return notice: no destroy notice follows", async () => {
    const t0 = h.clock.now().getTime();
    const id = await recordArrival();
    await sweepAt(h, t0, MS_OF.arrivalReturn + SECOND);
    const returned = await api(h.service, "POST", `/operator/arrivals/${id}/events`, { type: "DrivesReturned", carrierName: "DHL", trackingNumber: "BACK-1" });
    expect(returned.body.status).toBe("Returned");
    await sweepAt(h, t0, MS_OF.arrivalDestroy + SECOND);
    expect((await h.inbox.forArrival(id)).map((message) => message.kind)).toEqual(["ReturnUnmatchedDrives"]);
    expect(await indexEntriesOfArrival(id)).toEqual([]);
  });
});
