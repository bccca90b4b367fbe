/**
 * Percent complete of a job and of a drive, on jobs built through operator events on a fixed clock:
 * byte-weighted when every counted drive has a size, otherwise the mean of the drives' percents.
 */
import { createJob, DriveSpec, Job, JobDefinition, markShipping, OperationContext, updateJob } from "../../shared/domain/job";
import { applyOperatorEvent, OperatorEvent } from "../../shared/domain/operator-events";
import { drivePercentComplete, jobPercentComplete } from "../../shared/domain/progress";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RULES = { creatingLifetimeMs: 14 * DAY, shippingWaitMs: 14 * DAY, finishedRetentionMs: 90 * DAY };
const T0 = new Date("2026-03-01T12:00:00.000Z");

function customer(offsetMs: number): OperationContext {
  return { now: new Date(T0.getTime() + offsetMs), actor: { id: "customer", type: "User", role: "customer" }, rules: RULES };
}
function operator(offsetMs: number): OperationContext {
  return { now: new Date(T0.getTime() + offsetMs), actor: { id: "op-1", type: "User", role: "operator" }, rules: RULES };
}

const KEY = { subscriptionId: "00000000-0000-0000-0000-000000000001", resourceGroup: "rg", name: "job1" };
const STORAGE = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct";
const RETURN_ADDRESS = {
  recipientName: "Ada",
  streetAddress1: "1 Main St",
  city: "Redmond",
  postalCode: "98052",
  countryOrRegion: "USA",
  phone: "4255550100",
  email: "ada@example.com",
};
const DELIVERY = { carrierName: "FedEx", trackingNumber: "123456789012" };

function driveSpec(id: string): DriveSpec {
  return { driveId: id, bitLockerKey: "238810-662376-448998-450120-652806-203390-606320-483076", manifestFile: "\\DriveManifest.xml", manifestHash: "HASH" };
}

function shipping(ids: string[]): Job {
  const definition: JobDefinition = {
    location: "westus",
    jobType: "Import",
    storageAccountId: STORAGE,
    driveList: ids.map(driveSpec),
    returnAddress: RETURN_ADDRESS,
    deliveryPackage: DELIVERY,
  };
  return markShipping(createJob(KEY, definition, {}, customer(0)), customer(HOUR));
}

/** Applies the events one hour apart, starting two hours after T0. */
function after(job: Job, ...events: OperatorEvent[]): Job {
  return events.reduce((current, event, index) => applyOperatorEvent(current, event, operator((2 + index) * HOUR)).job, job);
}

const received = (...driveIds: string[]): OperatorEvent => ({ type: "PackageReceived", carrierName: "FedEx", trackingNumber: "TRK1", driveIds });
const start = (driveId: string, totalBytes?: number): OperatorEvent => ({ type: "TransferStarted", driveId, totalBytes });
const progress = (driveId: string, percentComplete: number, bytesSucceeded = 0): OperatorEvent => ({ type: "TransferProgress", driveId, percentComplete, bytesSucceeded });
const finish = (driveId: string, bytesSucceeded?: number): OperatorEvent => ({ type: "TransferFinished", driveId, outcome: "Completed", bytesSucceeded });
const shippedBack: OperatorEvent = { type: "ShippedBack", carrierName: "UPS", trackingNumber: "RET1", driveCount: 3, shipDate: "2026-03-20" };

describe("jobPercentComplete", () => {
  test("a job with no drives is at 0", () => {
    const exportJob = createJob(
      KEY,
      { location: "westus", jobType: "Export", storageAccountId: STORAGE, export: { blobPath: ["/c/b"] } },
      {},
      customer(0),
    );
    expect(exportJob.drives).toEqual([]);
    expect(jobPercentComplete(exportJob)).toBe(0);
  });

  test("a job whose drives have not started is at 0", () => {
    const job = after(shipping(["D1", "D2"]), received("D1", "D2"));
    expect(job.state).toBe("Received");
    expect(jobPercentComplete(job)).toBe(0);
  });

  test("without sizes, the mean of the drives' percents, rounded down", () => {
    const job = after(shipping(["D1", "D2", "D3"]), received("D1", "D2", "D3"), start("D1"), start("D2"), progress("D1", 40), progress("D2", 10));
    expect(job.drives.map(drivePercentComplete)).toEqual([40, 10, 0]);
    // (40 + 10 + 0) / 3 = 16.67
    expect(jobPercentComplete(job)).toBe(16);
  });

  test("with every counted drive's size known, weighted by bytes", () => {
    const job = after(
      shipping(["D1", "D2"]),
      received("D1", "D2"),
      start("D1", 1000),
      start("D2", 3000),
      progress("D1", 50, 500),
      progress("D2", 10, 300),
    );
    // Bytes: (500 + 300) / 4000 = 20%; the mean of percents would be 30%.
    expect(jobPercentComplete(job)).toBe(20);
  });

  test("one counted drive without a size means the plain mean", () => {
    const job = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1", 1000), start("D2"), progress("D1", 50, 500), progress("D2", 10, 300));
    expect(jobPercentComplete(job)).toBe(30);
  });

  test("bytes copied beyond the size count as the size", () => {
    const job = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1", 1000), start("D2", 1000), progress("D1", 99, 1500));
    expect(jobPercentComplete(job)).toBe(50);
  });

  test("a drive that never arrived does not count, in either mode", () => {
    const sized = after(shipping(["D1", "D2"]), received("D1"), start("D1", 1000), progress("D1", 25, 250));
    expect(sized.drives[1].state).toBe("NeverReceived");
    expect(jobPercentComplete(sized)).toBe(25);
    const unsized = after(shipping(["D1", "D2"]), received("D1"), start("D1"), progress("D1", 60));
    expect(jobPercentComplete(unsized)).toBe(60);
  });

  test("drives skipped after a cancellation do not count", () => {
    let job = after(shipping(["D1", "D2", "D3"]), received("D1", "D2", "D3"), start("D1", 1000), progress("D1", 40, 400));
    job = updateJob(job, { cancelRequested: true }, customer(10 * HOUR));
    expect(job.drives.map((drive) => drive.skipped)).toEqual([undefined, true, true]);
    expect(job.state).toBe("Transferring");
    // Only D1 counts, by bytes, although D2 and D3 have no size.
    expect(jobPercentComplete(job)).toBe(40);
  });

  test("a finished drive counts its full size, whatever bytes it reported", () => {
    const job = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1", 1000), start("D2", 1000), finish("D1", 900), progress("D2", 10, 100));
    expect(job.drives[0]).toMatchObject({ state: "Completed", bytesSucceeded: 900 });
    // (1000 + 100) / 2000
    expect(jobPercentComplete(job)).toBe(55);
  });

  test("a finished drive counts 100% in the mean even if its last reported percent was lower", () => {
    // Cleared from a fault straight to Completed: the drive's stored percent stays where it was.
    const job = after(
      shipping(["D1", "D2"]),
      received("D1", "D2"),
      start("D1"),
      start("D2"),
      progress("D1", 40),
      { type: "FaultDrive", driveId: "D1", reason: "Read errors" },
      { type: "ClearDriveFault", driveId: "D1", returnTo: "Completed", reason: "Copy verified" },
      progress("D2", 20),
    );
    expect(job.drives[0]).toMatchObject({ state: "Completed", percentComplete: 40 });
    expect(drivePercentComplete(job.drives[0])).toBe(100);
    expect(jobPercentComplete(job)).toBe(60);
  });

  test("a Faulted job reports its drives' progress", () => {
    const job = after(shipping(["D1"]), received("D1"), start("D1"), progress("D1", 30), { type: "FaultJob", reason: "Power loss" });
    expect(job.state).toBe("Faulted");
    expect(jobPercentComplete(job)).toBe(30);
  });

  test("Packaging is 100, even when the copy of every drive was skipped", () => {
    const packaging = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1"), start("D2"), finish("D1"), finish("D2"));
    expect(packaging.state).toBe("Packaging");
    expect(jobPercentComplete(packaging)).toBe(100);
    const cancelled = updateJob(after(shipping(["D1"]), received("D1")), { cancelRequested: true }, customer(10 * HOUR));
    expect(cancelled.state).toBe("Packaging");
    expect(jobPercentComplete(cancelled)).toBe(100);
  });

  test("Completed is 100", () => {
    const job = after(shipping(["D1"]), received("D1"), start("D1"), finish("D1"), shippedBack);
    expect(job.state).toBe("Completed");
    expect(jobPercentComplete(job)).toBe(100);
  });

  test("Closed is 100, even when no package ever arrived", () => {
    const job = after(shipping(["D1"]), { type: "CloseUnresponsive", reason: "No answer" });
    expect(job.state).toBe("Closed");
    expect(jobPercentComplete(job)).toBe(100);
  });
});

describe("drivePercentComplete", () => {
  test("follows the drive's own percent while it copies and is 100 once done or shipped back", () => {
    let job = after(shipping(["D1", "D2"]), received("D1"), start("D1"), progress("D1", 37));
    expect(job.drives.map((drive) => [drive.state, drivePercentComplete(drive)])).toEqual([
      ["Transferring", 37],
      ["NeverReceived", 0],
    ]);
    job = applyOperatorEvent(job, finish("D1"), operator(10 * HOUR)).job;
    expect(drivePercentComplete(job.drives[0])).toBe(100);
    job = applyOperatorEvent(job, shippedBack, operator(11 * HOUR)).job;
    expect(job.drives.map((drive) => [drive.state, drivePercentComplete(drive)])).toEqual([
      ["ShippedBack", 100],
      ["NeverReceived", 0],
    ]);
  });

  test("a received drive not yet started is at 0", () => {
    const job = after(shipping(["D1"]), received("D1"));
    expect(drivePercentComplete(job.drives[0])).toBe(0);
  });
});
