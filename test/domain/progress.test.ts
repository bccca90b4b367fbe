/**
 * Percent complete of a job and of a drive, on jobs built through operator events on a fixed clock:
 * the mean of the percents of the drives to be copied (each an equal share), and never lower after
 * any step of a copy moving forward (a property over generated event sequences).
 */
import fc from "fast-check";
import { ServiceError } from "../../shared/domain/errors";
import { createJob, Job, updateJob } from "../../shared/domain/job";
import { applyOperatorEvent, OperatorEvent } from "../../shared/domain/operator-events";
import { drivePercentComplete, jobPercentComplete } from "../../shared/domain/progress";
import { customerAt as customer, HOUR, JOB_KEY as KEY, operatorAt, shippingImport, STORAGE_ACCOUNT as STORAGE } from "../support/fixtures";

const operator = operatorAt;
const shipping = (ids: string[]): Job => shippingImport(ids);

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

  test("each drive is an equal share, whatever its size: bytes don't weigh", () => {
    const job = after(
      shipping(["D1", "D2"]),
      received("D1", "D2"),
      start("D1", 1000),
      start("D2", 3000),
      progress("D1", 50, 500),
      progress("D2", 10, 300),
    );
    // (50 + 10) / 2; by bytes it would be 20, a figure that learning a later drive's size could lower.
    expect(jobPercentComplete(job)).toBe(30);
  });

  test("regression: a second drive starting with a larger size does not take the job from 25 % back to 12 %", () => {
    const halfOfFirst = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1", 1000), progress("D1", 50, 500));
    expect(jobPercentComplete(halfOfFirst)).toBe(25);
    const secondStarted = after(halfOfFirst, start("D2", 3000));
    expect(jobPercentComplete(secondStarted)).toBe(25);
  });

  test("a drive that never arrived does not count", () => {
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
    // Only D1 counts.
    expect(jobPercentComplete(job)).toBe(40);
  });

  test("a finished drive counts 100, whatever bytes it reported", () => {
    const job = after(shipping(["D1", "D2"]), received("D1", "D2"), start("D1", 1000), start("D2", 1000), finish("D1", 900), progress("D2", 10, 100));
    expect(job.drives[0]).toMatchObject({ state: "Completed", bytesSucceeded: 900 });
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

describe("percent complete never goes down while a copy moves forward", () => {
  /** One step forward, on drive `drive % drives`: what it does depends on where that drive is. */
  type Step =
    | { kind: "advance"; drive: number; size?: number; percentUp: number; bytesUp: number; sizeInProgress?: number }
    | { kind: "finish"; drive: number }
    | { kind: "faultDrive"; drive: number }
    | { kind: "faultJob" }
    | { kind: "cancel" };

  const size = fc.option(fc.integer({ min: 1, max: 1e13 }), { nil: undefined });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("advance" as const), drive: fc.nat(), size, percentUp: fc.integer({ min: 0, max: 60 }), bytesUp: fc.integer({ min: 0, max: 1e12 }), sizeInProgress: size }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("finish" as const), drive: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("faultDrive" as const), drive: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: "faultJob" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
  );

  /** The events (or customer update) a step stands for on this job; empty when it can't apply. */
  function forward(job: Job, s: Step, hour: number): Job[] {
    const tryEvents = (...events: OperatorEvent[]): Job[] => {
      const jobs: Job[] = [];
      let current = job;
      try {
        for (const [i, event] of events.entries()) {
          current = applyOperatorEvent(current, event, operator((hour + i) * HOUR)).job;
          jobs.push(current);
        }
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
      }
      return jobs;
    };
    if (s.kind === "cancel") {
      try {
        return job.cancelRequested ? [] : [updateJob(job, { cancelRequested: true }, customer(hour * HOUR))];
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        return [];
      }
    }
    if (s.kind === "faultJob") {
      return tryEvents({ type: "FaultJob", reason: "Station down" }, { type: "ClearJobFault", reason: "Station back" });
    }
    const drive = job.drives[s.drive % job.drives.length];
    if (s.kind === "faultDrive") {
      return tryEvents({ type: "FaultDrive", driveId: drive.driveId, reason: "Read errors" }, { type: "ClearDriveFault", driveId: drive.driveId, reason: "Reseated" });
    }
    if (s.kind === "finish") return tryEvents(finish(drive.driveId));
    if (drive.state === "Received") return tryEvents(start(drive.driveId, s.size));
    if (drive.state !== "Transferring") return [];
    const percentComplete = Math.min(100, drive.percentComplete + s.percentUp);
    const bytesSucceeded = (drive.bytesSucceeded ?? 0) + s.bytesUp;
    return tryEvents({ type: "TransferProgress", driveId: drive.driveId, percentComplete, bytesSucceeded, totalBytes: drive.totalBytes ?? s.sizeInProgress });
  }

  test("over generated imports: drives missing from the package, sizes learnt at start or later, progress, faults, a cancellation", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.array(step, { maxLength: 40 }),
        (driveCount, arrived, steps) => {
          const ids = Array.from({ length: driveCount }, (_, i) => `D${i + 1}`);
          const inPackage = ids.filter((_, i) => arrived[i]);
          let job = after(shipping(ids), received(...(inPackage.length ? inPackage : [ids[0]])));
          let percent = jobPercentComplete(job);
          let hour = 10;
          for (const s of steps) {
            for (const next of forward(job, s, hour)) {
              const nextPercent = jobPercentComplete(next);
              if (nextPercent < percent) {
                throw new Error(`percent complete went from ${percent} to ${nextPercent} (job ${next.state}, drives ${JSON.stringify(next.drives.map(({ driveId, state, percentComplete, totalBytes, bytesSucceeded }) => ({ driveId, state, percentComplete, totalBytes, bytesSucceeded })))})`);
              }
              percent = nextPercent;
              job = next;
            }
            hour += 2;
          }
          if (job.state === "Packaging") expect(percent).toBe(100);
        },
      ),
      { numRuns: 500 },
    );
  });
});
