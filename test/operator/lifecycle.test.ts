/**
 * Operator events carrying jobs through their life, checked through the operator responses, the
 * history and the customer's Get Job: a full import, missing, late and extra drives, an export
 * with blobs that did not fit, and cancellation before and during the copy.
 */
import { exportJobBody, importJobBody, newSubscriptionId, RETURN_ADDRESS, DELIVERY_PACKAGE, driveSpec, startTestService, TestService } from "../support/service";
import { createJob, expectArmError } from "../api/helpers";
import {
  driveChanges,
  driveOf,
  driveStates,
  event,
  fetchText,
  getHistory,
  getJob,
  getOperatorJob,
  JobRef,
  jobChanges,
  markShipping,
  PACKAGE,
  patchJob,
  postEvent,
  RETURN,
} from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "operator-rg";
const MANIFEST = '<?xml version="1.0" encoding="UTF-8"?>\n<DriveManifest Version="2014-11-01"><Drive><DriveId>DRIVE01</DriveId></Drive></DriveManifest>\n';

const ALLOWED = {
  Received: ["DriveReceived", "TransferStarted", "FaultJob", "FaultDrive", "ClearDriveFault"],
  Transferring: ["DriveReceived", "TransferStarted", "TransferProgress", "TransferFinished", "ReturnAddressProblem", "FaultJob", "FaultDrive", "ClearDriveFault"],
  Packaging: ["ShippedBack", "ReturnAddressProblem", "FaultJob"],
};

/** A new import job (DRIVE01, DRIVE02 unless given), marked Shipping through the customer API. */
async function shippingImport(name: string, properties: Record<string, unknown> = {}): Promise<JobRef> {
  const job = { sub: newSubscriptionId(), rg: RG, name };
  await createJob(service, job.sub, RG, name, importJobBody(job.sub, { properties }));
  const shipped = await markShipping(service, job);
  expect(shipped.properties.state).toBe("Shipping");
  return job;
}

describe("a full import job", () => {
  test("create → Shipping → Received → Transferring (progress, logs) → Packaging → Completed, with its history", async () => {
    const job = await shippingImport("full-import", { logLevel: "Verbose", backupDriveManifest: true });

    // The package arrives with both drives.
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(received.properties.state).toBe("Received");
    expect(driveStates(received)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
    expect(received.operator.allowedEvents).toEqual(ALLOWED.Received);
    expect(received.operator.extraDrives).toEqual([]);
    expect(received.operator.hadFault).toBe(false);

    // DRIVE01 starts (1000 bytes, with its manifest): the job is Transferring.
    const started = await event(service, job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 1000, manifest: MANIFEST });
    expect(started.properties.state).toBe("Transferring");
    expect(driveStates(started)).toEqual({ DRIVE01: "Transferring", DRIVE02: "Received" });
    expect(started.operator.allowedEvents).toEqual(ALLOWED.Transferring);
    expect(driveOf(started, "DRIVE01").manifestUri).toEqual(expect.any(String));
    expect(driveOf(started, "DRIVE01").errorLogUri).toEqual(expect.any(String));
    expect(driveOf(started, "DRIVE02").errorLogUri).toBeUndefined();
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE02", totalBytes: 3000 });

    // Progress: 50% and 10% of the two drives → the job is their mean, 30% (each drive an equal share).
    const progress1 = await event(service, job, {
      type: "TransferProgress",
      driveId: "DRIVE01",
      bytesSucceeded: 500,
      percentComplete: 50,
      copyStatus: "InProgress",
      errorLog: ["E001 blob photos/a.jpg: name too long"],
      verboseLog: ["copied photos/b.jpg"],
    });
    expect(progress1.operator.stopTransfer).toBeUndefined();
    expect(driveOf(progress1, "DRIVE01").percentComplete).toBe(50);
    expect(driveOf(progress1, "DRIVE01").bytesSucceeded).toBe(500);
    expect(driveOf(progress1, "DRIVE01").copyStatus).toBe("InProgress");
    expect(progress1.properties.percentComplete).toBe(25); // (50 + 0) / 2
    await event(service, job, { type: "TransferProgress", driveId: "DRIVE02", bytesSucceeded: 300, percentComplete: 10 });
    let customer = await getJob(service, job);
    expect(customer.properties.state).toBe("Transferring");
    expect(driveOf(customer, "DRIVE01").percentComplete).toBe(50);
    expect(driveOf(customer, "DRIVE02").percentComplete).toBe(10);
    expect(customer.properties.percentComplete).toBe(30);
    expect(customer.operator).toBeUndefined();

    // The logged lines and the manifest are in the blobs Get Job points to.
    const verboseUri = driveOf(customer, "DRIVE01").verboseLogUri;
    expect(verboseUri).toEqual(expect.any(String));
    expect((await fetchText(driveOf(customer, "DRIVE01").errorLogUri)).text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z E001 blob photos\/a\.jpg: name too long\n$/);
    expect((await fetchText(verboseUri)).text).toMatch(/^\S+Z copied photos\/b\.jpg\n$/);
    expect((await fetchText(driveOf(customer, "DRIVE01").manifestUri)).text).toBe(MANIFEST);

    // DRIVE01 finishes: (100 + 10) / 2 = 55%.
    const finished1 = await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed", bytesSucceeded: 1000 });
    expect(finished1.properties.state).toBe("Transferring");
    expect(driveOf(finished1, "DRIVE01").state).toBe("Completed");
    expect(driveOf(finished1, "DRIVE01").percentComplete).toBe(100);
    expect(driveOf(finished1, "DRIVE01").copyStatus).toBe("Completed");
    expect(finished1.properties.percentComplete).toBe(55);

    // The last drive finishes: the job moves to Packaging by itself.
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed", bytesSucceeded: 3000 });
    expect(packaging.properties.state).toBe("Packaging");
    expect(packaging.properties.percentComplete).toBe(100);
    expect(packaging.operator.allowedEvents).toEqual(ALLOWED.Packaging);
    expect(driveStates(packaging)).toEqual({ DRIVE01: "Completed", DRIVE02: "Completed" });

    const shipped = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(shipped.properties.state).toBe("Completed");
    expect(shipped.operator.allowedEvents).toEqual([]);

    customer = await getJob(service, job);
    expect(customer.properties.state).toBe("Completed");
    expect(customer.properties.returnPackage).toEqual(RETURN);
    expect(customer.properties.percentComplete).toBe(100);
    expect(driveStates(customer)).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });
    expect(driveOf(customer, "DRIVE02").bytesSucceeded).toBe(3000);
    expect(customer.properties.logLevel).toBe("Verbose");
    expect(customer.properties.backupDriveManifest).toBe(true);

    // Every change of the job and of each drive, with who made it and why.
    const history = await getHistory(service, job);
    expect(jobChanges(history)).toEqual([
      [null, "Creating", "customer"],
      ["Creating", "Shipping", "customer"],
      ["Shipping", "Received", "operator"],
      ["Received", "Transferring", "operator"],
      ["Transferring", "Packaging", "operator"],
      ["Packaging", "Completed", "operator"],
    ]);
    for (const driveId of ["DRIVE01", "DRIVE02"]) {
      expect(driveChanges(history, driveId)).toEqual([
        ["Specified", "Received", "operator"],
        ["Received", "Transferring", "operator"],
        ["Transferring", "Completed", "operator"],
        ["Completed", "ShippedBack", "operator"],
      ]);
    }
    const reasons = history.map((entry) => `${entry.driveId ?? "job"}:${entry.to}:${entry.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "job:Creating:Job created",
        "job:Shipping:Customer marked the package as shipped",
        `job:Received:Package FedEx ${PACKAGE.trackingNumber} received with 2 drive(s)`,
        "job:Transferring:First drive (DRIVE01) started copying",
        "job:Packaging:Every drive is finished",
        "job:Completed:Drives shipped back",
        `DRIVE01:Received:In package ${PACKAGE.trackingNumber}`,
        "DRIVE02:Transferring:Copy started",
        "DRIVE01:Completed:Copied",
        `DRIVE02:ShippedBack:Shipped back in ${RETURN.trackingNumber}`,
      ]),
    );
    for (const entry of history) {
      expect(entry.reason.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
      expect(entry.by.length).toBeGreaterThan(0);
    }
    // History is in time order.
    const times = history.map((entry) => Date.parse(entry.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe("missing, late and extra drives", () => {
  test("a drive missing from the package is NeverReceived, doesn't count toward progress, and the job ends Closed", async () => {
    const job = await shippingImport("missing-drive");
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    expect(received.properties.state).toBe("Received");
    expect(driveStates(received)).toEqual({ DRIVE01: "Received", DRIVE02: "NeverReceived" });

    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
    const progress = await event(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 10, percentComplete: 40 });
    // Only DRIVE01 counts: 40%, not (40 + 0) / 2.
    expect(progress.properties.percentComplete).toBe(40);
    expect(driveOf(progress, "DRIVE02").percentComplete).toBe(0);

    // DRIVE02 never came, so finishing DRIVE01 leaves no work: Packaging.
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");

    const closed = await event(service, job, { type: "ShippedBack", ...RETURN, driveCount: 1 });
    expect(closed.properties.state).toBe("Closed");
    expect(driveStates(closed)).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "NeverReceived" });

    const customer = await getJob(service, job);
    expect(customer.properties.state).toBe("Closed");
    expect(customer.properties.returnPackage).toEqual({ ...RETURN, driveCount: 1 });
    const history = await getHistory(service, job);
    expect(history.find((entry) => entry.driveId === "DRIVE02")).toMatchObject({ from: "Specified", to: "NeverReceived", role: "operator", reason: `Not in package ${PACKAGE.trackingNumber}` });
    expect(driveChanges(history, "DRIVE02")).toHaveLength(1);
    expect(history.at(-1)).toMatchObject({ from: "Packaging", to: "Closed", role: "operator" });
    expect(history.at(-1)!.reason).toMatch(/never arrived/);
  });

  test("a drive that arrives after the package (DriveReceived) is copied, and the job completes", async () => {
    const job = await shippingImport("late-drive");
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });

    const late = await event(service, job, { type: "DriveReceived", driveId: "DRIVE02", carrierName: "DHL", trackingNumber: "LATE-1" });
    expect(late.properties.state).toBe("Transferring");
    expect(driveStates(late)).toEqual({ DRIVE01: "Transferring", DRIVE02: "Received" });

    // DRIVE02 now has work left, so finishing DRIVE01 does not package the job.
    const first = await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect(first.properties.state).toBe("Transferring");
    expect(first.properties.percentComplete).toBe(50);

    await event(service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");

    const completed = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(completed.properties.state).toBe("Completed");
    expect(driveStates(await getJob(service, job))).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });

    expect(driveChanges(await getHistory(service, job), "DRIVE02")).toEqual([
      ["Specified", "NeverReceived", "operator"],
      ["NeverReceived", "Received", "operator"],
      ["Received", "Transferring", "operator"],
      ["Transferring", "Completed", "operator"],
      ["Completed", "ShippedBack", "operator"],
    ]);
    expect((await getHistory(service, job)).find((entry) => entry.driveId === "DRIVE02" && entry.to === "Received")?.reason).toBe("Arrived later (tracking LATE-1)");
  });

  test("an extra drive in the package is listed for operators, never processed, and returned with the package", async () => {
    const job = await shippingImport("extra-drive");
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02", "STRAY07"] });
    expect(received.operator.extraDrives).toEqual([{ driveId: "STRAY07", trackingNumber: PACKAGE.trackingNumber, arrivedAt: expect.any(String) }]);
    expect(received.properties.driveList.map((drive: { driveId: string }) => drive.driveId)).toEqual(["DRIVE01", "DRIVE02"]);
    expect(received.properties.percentComplete).toBe(0);

    // It is not one of the job's drives: no event applies to it.
    expectArmError(await postEvent(service, job, { type: "TransferStarted", driveId: "STRAY07" }), 400, "DriveNotFound", { target: "STRAY07", message: /DRIVE01, DRIVE02/ });

    const customer = await getJob(service, job);
    expect(customer.properties.driveList).toHaveLength(2);
    expect(JSON.stringify(customer)).not.toContain("STRAY07");

    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");
    expect(packaging.operator.extraDrives[0].returnedAt).toBeUndefined();

    const shipped = await event(service, job, { type: "ShippedBack", ...RETURN, driveCount: 3 });
    expect(shipped.properties.state).toBe("Completed");
    const extra = (await getOperatorJob(service, job)).operator.extraDrives;
    expect(extra).toHaveLength(1);
    expect(extra[0].driveId).toBe("STRAY07");
    expect(Date.parse(extra[0].returnedAt)).toBeGreaterThanOrEqual(Date.parse(extra[0].arrivedAt));
    expect(new Set((await getHistory(service, job)).map((entry) => entry.driveId ?? "job"))).toEqual(new Set(["job", "DRIVE01", "DRIVE02"]));
  });
});

describe("a package that never comes", () => {
  test("CloseUnresponsive closes a Shipping job with its drives NeverReceived; a package after that is an unmatched arrival", async () => {
    const job = await shippingImport("unresponsive");
    const closed = await event(service, job, { type: "CloseUnresponsive", reason: "No package after 44 days and no answer" });
    expect(closed.properties.state).toBe("Closed");
    expect(driveStates(closed)).toEqual({ DRIVE01: "NeverReceived", DRIVE02: "NeverReceived" });
    expect(closed.properties.percentComplete).toBe(100);
    const history = await getHistory(service, job);
    expect(history.at(-1)).toMatchObject({ from: "Shipping", to: "Closed", role: "operator", reason: "No package after 44 days and no answer" });

    const late = await postEvent(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(late.status).toBe(202);
    expect(late.body.arrival.reason).toBe("JobNotShipping");
    expect((await getJob(service, job)).properties.state).toBe("Closed");
  });

  test("a drive fault cleared straight to CompletedMoreInfo finishes the drive, and the job packages itself", async () => {
    const job = await shippingImport("fault-to-finished", { driveList: [driveSpec("DRIVE01")] });
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
    await event(service, job, { type: "FaultDrive", driveId: "DRIVE01", reason: "Read errors at 97%" });
    const cleared = await event(service, job, { type: "ClearDriveFault", driveId: "DRIVE01", returnTo: "CompletedMoreInfo", reason: "Copied what could be read" });
    expect(driveOf(cleared, "DRIVE01").state).toBe("CompletedMoreInfo");
    expect(cleared.properties.state).toBe("Packaging");
    // Not back to a state Transferring can't reach.
    const other = await shippingImport("fault-bad-return", { driveList: [driveSpec("DRIVE01")] });
    await event(service, other, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, other, { type: "TransferStarted", driveId: "DRIVE01" });
    await event(service, other, { type: "FaultDrive", driveId: "DRIVE01", reason: "x" });
    expectArmError(await postEvent(service, other, { type: "ClearDriveFault", driveId: "DRIVE01", returnTo: "Specified", reason: "x" }), 409, "InvalidDriveState", { target: "DRIVE01" });
    expect(driveOf(await getJob(service, other), "DRIVE01").state).toBe("Faulted");
  });
});

describe("an export job", () => {
  test("drives are added as they arrive; blobs that did not fit are listed at incompleteBlobListUri", async () => {
    const job = { sub: newSubscriptionId(), rg: RG, name: "export-incomplete" };
    await createJob(service, job.sub, RG, job.name, exportJobBody(job.sub, { returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY_PACKAGE }));
    await markShipping(service, job);

    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["EXP1", "EXP2"] });
    expect(received.properties.state).toBe("Received");
    expect(driveStates(received)).toEqual({ EXP1: "Received", EXP2: "Received" });

    await event(service, job, { type: "TransferStarted", driveId: "EXP1" });
    await event(service, job, { type: "TransferStarted", driveId: "EXP2" });
    const first = await event(service, job, { type: "TransferFinished", driveId: "EXP1", outcome: "Completed" });
    expect(first.properties.incompleteBlobListUri).toBeUndefined();

    const incomplete = ["/container/photos/huge-1.raw", "/container/photos/huge-2.raw"];
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "EXP2", outcome: "CompletedMoreInfo", incompleteBlobs: incomplete, errorLog: ["2 blobs did not fit"] });
    expect(packaging.properties.state).toBe("Packaging");
    expect(driveOf(packaging, "EXP2").state).toBe("CompletedMoreInfo");
    expect(driveOf(packaging, "EXP2").copyStatus).toBe("CompletedMoreInfo");

    const customer = await getJob(service, job);
    const uri: string = customer.properties.incompleteBlobListUri;
    expect(uri).toMatch(/incomplete-blobs\.txt\?/);
    const list = await fetchText(uri);
    expect(list.status).toBe(200);
    expect(list.text).toBe(incomplete.join("\n") + "\n");

    // A drive copied with more info means the job ends Closed.
    const closed = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(closed.properties.state).toBe("Closed");
    expect(driveStates(closed)).toEqual({ EXP1: "ShippedBack", EXP2: "ShippedBack" });
  });

  test("an export package with more than 10 drives: the first 10 become the job's drives, the rest are extra", async () => {
    const job = { sub: newSubscriptionId(), rg: RG, name: "export-many" };
    await createJob(service, job.sub, RG, job.name, exportJobBody(job.sub, { returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY_PACKAGE }));
    await markShipping(service, job);
    const ids = Array.from({ length: 12 }, (_, i) => `EX${String(i + 1).padStart(2, "0")}`);
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ids });
    expect(received.properties.driveList.map((drive: { driveId: string }) => drive.driveId)).toEqual(ids.slice(0, 10));
    expect(received.operator.extraDrives.map((drive: { driveId: string }) => drive.driveId)).toEqual(["EX11", "EX12"]);
    expect(driveChanges(await getHistory(service, job), "EX01")).toEqual([[null, "Received", "operator"]]);
  });

  test("an import job has no list of incomplete blobs: 400, and the drive is not finished", async () => {
    const job = await shippingImport("import-incomplete", { driveList: [driveSpec("DRIVE01")] });
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
    expectArmError(
      await postEvent(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed", incompleteBlobs: ["/c/x"] }),
      400,
      "IncompleteBlobListNotAllowed",
    );
    const customer = await getJob(service, job);
    expect(customer.properties.state).toBe("Transferring");
    expect(driveOf(customer, "DRIVE01").state).toBe("Transferring");
    expect(customer.properties.incompleteBlobListUri).toBeUndefined();
  });
});

describe("cancellation", () => {
  test("cancelled while Shipping: the package arrives, nothing is copied, the job packages itself and completes", async () => {
    const job = await shippingImport("cancel-shipping");
    const cancelled = await patchJob(service, job, { properties: { cancelRequested: true } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.properties.state).toBe("Shipping");
    expect(cancelled.body.properties.cancelRequested).toBe(true);

    // Every received drive is skipped, so the job goes straight on to Packaging.
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(received.properties.state).toBe("Packaging");
    expect(driveStates(received)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
    expect(received.operator.skippedDrives).toEqual(["DRIVE01", "DRIVE02"]);

    // No copy starts for it.
    expectArmError(await postEvent(service, job, { type: "TransferStarted", driveId: "DRIVE01" }), 409, "EventNotAllowed", { message: /'Packaging'/ });
    expect(driveOf(await getJob(service, job), "DRIVE01").state).toBe("Received");

    const history = await getHistory(service, job);
    expect(jobChanges(history).slice(-2)).toEqual([
      ["Shipping", "Received", "operator"],
      ["Received", "Packaging", "operator"],
    ]);
    expect(history.at(-1)!.reason).toBe("Cancelled: remaining drives skipped");

    const completed = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(completed.properties.state).toBe("Completed");
    expect(completed.properties.cancelRequested).toBe(true);
    expect(driveStates(await getJob(service, job))).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });
  });

  test("cancelled once the package is Received: the job packages itself at once, by the customer's request", async () => {
    const job = await shippingImport("cancel-received");
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    const cancelled = await patchJob(service, job, { properties: { cancelRequested: true } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.properties.state).toBe("Packaging");
    expect(cancelled.body.properties.percentComplete).toBe(100);
    expect((await getOperatorJob(service, job)).operator.skippedDrives).toEqual(["DRIVE01", "DRIVE02"]);
    const last = (await getHistory(service, job)).at(-1)!;
    expect([last.from, last.to, last.role, last.reason]).toEqual(["Received", "Packaging", "customer", "Cancelled: remaining drives skipped"]);
    expect((await event(service, job, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Completed");
  });

  test("cancelled while a drive copies: the running drive is told to stop, the other is skipped and refused", async () => {
    const job = await shippingImport("cancel-transfer");
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 100 });
    const before = await event(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 10, percentComplete: 10 });
    expect(before.operator.stopTransfer).toBeUndefined();

    const cancelled = await patchJob(service, job, { properties: { cancelRequested: true } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.properties.state).toBe("Transferring");
    expect(cancelled.body.properties.cancelRequested).toBe(true);
    expect((await getOperatorJob(service, job)).operator.skippedDrives).toEqual(["DRIVE02"]);

    // The running drive's next progress answer tells the operator to stop it.
    const progress = await event(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 40, percentComplete: 40 });
    expect(progress.operator.stopTransfer).toBe(true);
    // Only DRIVE01 counts toward progress now (DRIVE02 has no size and is skipped).
    expect(progress.properties.percentComplete).toBe(40);

    // The drive that had not started is not started.
    expectArmError(await postEvent(service, job, { type: "TransferStarted", driveId: "DRIVE02" }), 409, "JobCancelled");
    expect(driveOf(await getJob(service, job), "DRIVE02").state).toBe("Received");

    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");
    expect(driveStates(packaging)).toEqual({ DRIVE01: "Completed", DRIVE02: "Received" });

    const completed = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(completed.properties.state).toBe("Completed");
    expect(driveStates(completed)).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });
  });
});
