/**
 * The operator side of a job, pure: events applied with `applyOperatorEvent` on a fixed clock, jobs
 * built only through the state machines (customer operations, operator events, `transition`), and
 * exact values asserted for states, history, blob writes and notices.
 */
import { ServiceError } from "../../shared/domain/errors";
import {
  createJob,
  Job,
  JobDefinition,
  markShipping,
  redefineJob,
  ReturnAddress,
  transitionDriveOf,
  updateJob,
} from "../../shared/domain/job";
import { JOB_STATES, JobState } from "../../shared/domain/job-state-machine";
import { applyOperatorEvent, EVENT_ALLOWED_IN, eventsAllowedIn, EventOutcome, OperatorEvent, OperatorEventType } from "../../shared/domain/operator-events";
import {
  customerAt as customer,
  DAY,
  DELIVERY,
  HOUR,
  importDefinition,
  isoAt as iso,
  JOB_KEY as KEY,
  operatorAt as operator,
  RETURN_ADDRESS,
  SHIPPING_INFO,
  shippingImport,
  STORAGE_ACCOUNT as STORAGE,
  thrown,
} from "../support/fixtures";

const CORRECTED_ADDRESS: ReturnAddress = { ...RETURN_ADDRESS, streetAddress1: "2 Other Ave" };
const RETURN_PACKAGE = { carrierName: "UPS", trackingNumber: "RET1", driveCount: 2, shipDate: "2026-03-20" };

function shippingExport(): Job {
  const definition: JobDefinition = {
    location: "westus",
    jobType: "Export",
    storageAccountId: STORAGE,
    export: { blobPath: ["/container/blob"] },
    returnAddress: RETURN_ADDRESS,
    deliveryPackage: DELIVERY,
  };
  return markShipping(createJob(KEY, definition, SHIPPING_INFO, customer(0)), customer(HOUR));
}

function apply(job: Job, event: OperatorEvent, offsetMs: number): EventOutcome {
  return applyOperatorEvent(job, event, operator(offsetMs));
}
const run = (job: Job, event: OperatorEvent, offsetMs: number): Job => apply(job, event, offsetMs).job;

const pkg = (driveIds: string[], trackingNumber = "TRK1"): OperatorEvent => ({ type: "PackageReceived", carrierName: "FedEx", trackingNumber, driveIds });
const start = (driveId: string, extra: { totalBytes?: number; manifest?: string } = {}): OperatorEvent => ({ type: "TransferStarted", driveId, ...extra });
const finish = (driveId: string, outcome: "Completed" | "CompletedMoreInfo" = "Completed"): OperatorEvent => ({ type: "TransferFinished", driveId, outcome });
const shippedBack: OperatorEvent = { type: "ShippedBack", ...RETURN_PACKAGE };

/** Import job D1, D2 both received at +2h. */
function receivedImport(overrides: Partial<JobDefinition> = {}): Job {
  return run(shippingImport(["D1", "D2"], overrides), pkg(["D1", "D2"]), 2 * HOUR);
}
/** Import job D1, D2 received, D1 copying since +3h (1000 bytes). */
function transferringImport(overrides: Partial<JobDefinition> = {}): Job {
  return run(receivedImport(overrides), start("D1", { totalBytes: 1000 }), 3 * HOUR);
}
/** Both drives copied without errors: the job is Packaging. */
function packagingImport(): Job {
  let job = run(transferringImport(), start("D2"), 4 * HOUR);
  job = run(job, finish("D1"), 5 * HOUR);
  return run(job, finish("D2"), 6 * HOUR);
}

const states = (job: Job) => job.drives.map((drive) => [drive.driveId, drive.state]);

describe("PackageReceived on an import job", () => {
  test("listed drives are Received, unlisted NeverReceived, unknown ones extra; the job is Received", () => {
    const shipping = shippingImport(["D1", "D2", "D3"]);
    const before = structuredClone(shipping);
    const outcome = apply(shipping, pkg(["d1", "D2", "X9"]), 2 * HOUR);
    const job = outcome.job;

    expect(job.state).toBe("Received");
    expect(job.stateChangedAt).toBe(iso(2 * HOUR));
    expect(job.shippingDueAt).toBeUndefined();
    // Ids keep the job's spelling, whatever case the operator typed.
    expect(states(job)).toEqual([
      ["D1", "Received"],
      ["D2", "Received"],
      ["D3", "NeverReceived"],
    ]);
    expect(job.extraDrives).toEqual([{ driveId: "X9", trackingNumber: "TRK1", arrivedAt: iso(2 * HOUR) }]);
    const at = iso(2 * HOUR);
    expect(job.history.slice(before.history.length)).toEqual([
      { at, driveId: "D1", from: "Specified", to: "Received", by: "op-1", role: "operator", reason: "In package TRK1" },
      { at, driveId: "D2", from: "Specified", to: "Received", by: "op-1", role: "operator", reason: "In package TRK1" },
      { at, driveId: "D3", from: "Specified", to: "NeverReceived", by: "op-1", role: "operator", reason: "Not in package TRK1" },
      { at, from: "Shipping", to: "Received", by: "op-1", role: "operator", reason: "Package FedEx TRK1 received with 3 drive(s)" },
    ]);
    expect(outcome.blobWrites).toEqual([]);
    expect(outcome.notices).toEqual([]);
    expect(shipping).toEqual(before);
  });

  test("an id differing only in case from a job drive is not an extra drive", () => {
    const job = run(shippingImport(["AbC1"]), pkg(["abc1", "ABC1"]), 2 * HOUR);
    expect(states(job)).toEqual([["AbC1", "Received"]]);
    expect(job.extraDrives).toBeUndefined();
  });

  test("a drive the overdue sweep marked NeverReceived is received when it does come; one still missing gains no new history", () => {
    let shipping = shippingImport(["D1", "D2", "D3"]);
    for (const id of ["D1", "D3"]) shipping = transitionDriveOf(shipping, id, "markNeverReceived", operator(15 * DAY), "The package is overdue");
    const job = run(shipping, pkg(["D1"]), 16 * DAY);
    expect(states(job)).toEqual([
      ["D1", "Received"],
      ["D2", "NeverReceived"],
      ["D3", "NeverReceived"],
    ]);
    expect(job.history.slice(shipping.history.length).map((entry) => [entry.driveId, entry.from, entry.to])).toEqual([
      ["D1", "NeverReceived", "Received"],
      ["D2", "Specified", "NeverReceived"],
      [undefined, "Shipping", "Received"],
    ]);
  });

  test("a package with none of the job's drives leaves all NeverReceived and the job goes straight to Packaging", () => {
    const shipping = shippingImport(["D1", "D2"]);
    const job = run(shipping, pkg(["Z1", "Z2"], "TRK9"), 2 * HOUR);
    expect(job.state).toBe("Packaging");
    expect(states(job)).toEqual([
      ["D1", "NeverReceived"],
      ["D2", "NeverReceived"],
    ]);
    expect(job.extraDrives).toEqual([
      { driveId: "Z1", trackingNumber: "TRK9", arrivedAt: iso(2 * HOUR) },
      { driveId: "Z2", trackingNumber: "TRK9", arrivedAt: iso(2 * HOUR) },
    ]);
    expect(job.history.slice(-2).map(({ from, to, reason, role }) => [from, to, reason, role])).toEqual([
      ["Shipping", "Received", "Package FedEx TRK9 received with 2 drive(s)", "operator"],
      ["Received", "Packaging", "Every drive is finished", "operator"],
    ]);
  });
});

describe("PackageReceived on an export job", () => {
  test("the package's drives become the job's drives, Received, each with its history entry", () => {
    const shipping = shippingExport();
    const job = run(shipping, pkg(["E1", "E2"]), 2 * HOUR);
    expect(job.state).toBe("Received");
    expect(job.drives).toEqual([
      { driveId: "E1", state: "Received", percentComplete: 0 },
      { driveId: "E2", state: "Received", percentComplete: 0 },
    ]);
    expect(job.extraDrives).toBeUndefined();
    const at = iso(2 * HOUR);
    expect(job.history.slice(shipping.history.length)).toEqual([
      { at, driveId: "E1", from: null, to: "Received", by: "op-1", role: "operator", reason: "In package TRK1" },
      { at, driveId: "E2", from: null, to: "Received", by: "op-1", role: "operator", reason: "In package TRK1" },
      { at, from: "Shipping", to: "Received", by: "op-1", role: "operator", reason: "Package FedEx TRK1 received with 2 drive(s)" },
    ]);
  });

  test("up to 10 drives are taken; the rest are extra; a repeated id (any case) is counted once", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `E${i}`);
    const job = run(shippingExport(), pkg([...ids.slice(0, 4), "e3", ...ids.slice(4)]), 2 * HOUR);
    expect(job.drives.map((drive) => drive.driveId)).toEqual(ids.slice(0, 10));
    expect(job.drives.every((drive) => drive.state === "Received")).toBe(true);
    expect(job.extraDrives).toEqual([
      { driveId: "E10", trackingNumber: "TRK1", arrivedAt: iso(2 * HOUR) },
      { driveId: "E11", trackingNumber: "TRK1", arrivedAt: iso(2 * HOUR) },
    ]);
    expect(job.history.filter((entry) => entry.driveId !== undefined)).toHaveLength(10);
  });
});

describe("DriveReceived", () => {
  const partlyReceived = () => run(shippingImport(["D1", "D2"]), pkg(["D1"]), 2 * HOUR);

  test("a NeverReceived drive arriving later is Received; the job stays Received", () => {
    const before = partlyReceived();
    const job = run(before, { type: "DriveReceived", driveId: "D2", trackingNumber: "TRK2" }, 3 * HOUR);
    expect(job.state).toBe("Received");
    expect(states(job)).toEqual([
      ["D1", "Received"],
      ["D2", "Received"],
    ]);
    expect(job.history.slice(before.history.length)).toEqual([
      { at: iso(3 * HOUR), driveId: "D2", from: "NeverReceived", to: "Received", by: "op-1", role: "operator", reason: "Arrived later (tracking TRK2)" },
    ]);
  });

  test("while the job is Transferring, matched case-insensitively, without a tracking number", () => {
    const transferring = run(partlyReceived(), start("D1"), 3 * HOUR);
    expect(transferring.state).toBe("Transferring");
    const job = run(transferring, { type: "DriveReceived", driveId: "d2" }, 4 * HOUR);
    expect(job.state).toBe("Transferring");
    expect(states(job)).toEqual([
      ["D1", "Transferring"],
      ["D2", "Received"],
    ]);
    expect(job.history.at(-1)).toMatchObject({ driveId: "D2", reason: "Arrived later" });
  });

  test("a Specified drive is received too (a job faulted while Shipping and resumed as Received)", () => {
    let job = run(shippingImport(["D1"]), { type: "FaultJob", reason: "Package at the wrong site" }, 2 * HOUR);
    job = run(job, { type: "ClearJobFault", returnTo: "Received", reason: "Package forwarded" }, 3 * HOUR);
    expect([job.state, states(job)]).toEqual(["Received", [["D1", "Specified"]]]);
    job = run(job, { type: "DriveReceived", driveId: "D1" }, 4 * HOUR);
    expect(states(job)).toEqual([["D1", "Received"]]);
    expect(job.history.at(-1)).toMatchObject({ driveId: "D1", from: "Specified", to: "Received" });
  });

  test("a drive already Received is a 409 InvalidDriveStateTransition", () => {
    const error = thrown(() => apply(partlyReceived(), { type: "DriveReceived", driveId: "D1" }, 3 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveStateTransition");
    expect(error.target).toBe("D1");
    expect(error.message).toBe("'receive' is not allowed for drive 'D1' in state 'Received'. Allowed in 'Received': startTransfer, shipBack, fault, destroy.");
  });

  test("an unknown drive is a 400 DriveNotFound listing the job's drives", () => {
    const error = thrown(() => apply(partlyReceived(), { type: "DriveReceived", driveId: "D7" }, 3 * HOUR));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DriveNotFound");
    expect(error.message).toBe("Job 'job1' has no drive 'D7'. Its drives: D1, D2.");
  });

  test("is refused in Packaging with a 409 EventNotAllowed naming the state and the events it allows", () => {
    let job = run(partlyReceived(), start("D1"), 3 * HOUR);
    job = run(job, finish("D1"), 4 * HOUR);
    expect(job.state).toBe("Packaging");
    const error = thrown(() => apply(job, { type: "DriveReceived", driveId: "D2" }, 5 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("EventNotAllowed");
    expect(error.message).toBe(
      "'DriveReceived' cannot be recorded for a job in state 'Packaging'. Events allowed in 'Packaging': ShippedBack, ReturnAddressProblem, FaultJob.",
    );
  });
});

describe("TransferStarted", () => {
  test("the first drive moves the drive and the job to Transferring and creates its error log", () => {
    const received = receivedImport();
    const outcome = apply(received, start("D1", { totalBytes: 1000, manifest: "<DriveManifest/>" }), 3 * HOUR);
    const job = outcome.job;
    expect(job.state).toBe("Transferring");
    expect(job.stateChangedAt).toBe(iso(3 * HOUR));
    expect(job.drives[0]).toMatchObject({ driveId: "D1", state: "Transferring", totalBytes: 1000, bytesSucceeded: 0, percentComplete: 0, blobs: { errorLog: true } });
    expect(job.drives[1]).toEqual(received.drives[1]);
    // No manifest copy: the customer did not ask for one.
    expect(outcome.blobWrites).toEqual([{ kind: "append", driveId: "D1", blob: "errorLog", lines: [] }]);
    expect(job.drives[0].blobs).toEqual({ errorLog: true });
    const at = iso(3 * HOUR);
    expect(job.history.slice(received.history.length)).toEqual([
      { at, driveId: "D1", from: "Received", to: "Transferring", by: "op-1", role: "operator", reason: "Copy started" },
      { at, from: "Received", to: "Transferring", by: "op-1", role: "operator", reason: "First drive (D1) started copying" },
    ]);
  });

  test("a second drive changes only the drive", () => {
    const transferring = transferringImport();
    const job = run(transferring, start("D2"), 4 * HOUR);
    expect(job.state).toBe("Transferring");
    expect(job.stateChangedAt).toBe(iso(3 * HOUR));
    expect(states(job)).toEqual([
      ["D1", "Transferring"],
      ["D2", "Transferring"],
    ]);
    expect(job.history.slice(transferring.history.length).map((entry) => [entry.driveId, entry.from, entry.to])).toEqual([["D2", "Received", "Transferring"]]);
  });

  test("the manifest is written only when the job backs up drive manifests", () => {
    const outcome = apply(receivedImport({ backupDriveManifest: true }), start("D1", { manifest: "<DriveManifest/>" }), 3 * HOUR);
    expect(outcome.blobWrites).toEqual([
      { kind: "append", driveId: "D1", blob: "errorLog", lines: [] },
      { kind: "put", driveId: "D1", blob: "manifest", content: "<DriveManifest/>" },
    ]);
    expect(outcome.job.drives[0].blobs).toEqual({ errorLog: true, manifest: true });
    // Without a manifest in the event there is nothing to back up.
    const none = apply(receivedImport({ backupDriveManifest: true }), start("D1"), 3 * HOUR);
    expect(none.blobWrites).toEqual([{ kind: "append", driveId: "D1", blob: "errorLog", lines: [] }]);
    expect(none.job.drives[0].blobs).toEqual({ errorLog: true });
  });

  test("is refused with a 409 JobCancelled once the cancellation was requested", () => {
    const cancelled = updateJob(transferringImport(), { cancelRequested: true }, customer(4 * HOUR));
    expect(cancelled.state).toBe("Transferring");
    const error = thrown(() => apply(cancelled, start("D2"), 5 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("JobCancelled");
    expect(error.message).toContain("'job1'");
  });

  test("a drive already copying is a 409 InvalidDriveStateTransition", () => {
    const error = thrown(() => apply(transferringImport(), start("D1"), 4 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveStateTransition");
    expect(error.message).toContain("'startTransfer' is not allowed for drive 'D1' in state 'Transferring'");
  });
});

describe("TransferProgress", () => {
  const progress = (extra: Partial<Extract<OperatorEvent, { type: "TransferProgress" }>> = {}): OperatorEvent => ({
    type: "TransferProgress",
    driveId: "D1",
    bytesSucceeded: 250,
    percentComplete: 25,
    ...extra,
  });

  test("updates bytes, percent and copy status; keeps the known size; no blob writes", () => {
    const transferring = transferringImport();
    const outcome = apply(transferring, progress({ copyStatus: "InProgress" }), 4 * HOUR);
    expect(outcome.job.drives[0]).toMatchObject({ state: "Transferring", bytesSucceeded: 250, totalBytes: 1000, percentComplete: 25, copyStatus: "InProgress" });
    expect(outcome.job.state).toBe("Transferring");
    expect(outcome.job.history).toEqual(transferring.history);
    expect(outcome.blobWrites).toEqual([]);
    expect(outcome.notices).toEqual([]);
    expect(outcome.stopTransfer).toBe(false);
  });

  test("a new total size replaces the old one", () => {
    const job = run(transferringImport(), progress({ totalBytes: 4000, bytesSucceeded: 1000 }), 4 * HOUR);
    expect(job.drives[0]).toMatchObject({ totalBytes: 4000, bytesSucceeded: 1000 });
  });

  test("error log lines are appended; verbose lines are dropped when the log level is Error", () => {
    const outcome = apply(transferringImport(), progress({ errorLog: ["E: blob a"], verboseLog: ["V: blob b"] }), 4 * HOUR);
    expect(outcome.blobWrites).toEqual([{ kind: "append", driveId: "D1", blob: "errorLog", lines: ["E: blob a"] }]);
    expect(outcome.job.drives[0].blobs).toEqual({ errorLog: true });
  });

  test("verbose log lines are appended when the log level is Verbose", () => {
    const outcome = apply(transferringImport({ logLevel: "Verbose" }), progress({ errorLog: ["E: blob a"], verboseLog: ["V: blob b", "V: blob c"] }), 4 * HOUR);
    expect(outcome.blobWrites).toEqual([
      { kind: "append", driveId: "D1", blob: "errorLog", lines: ["E: blob a"] },
      { kind: "append", driveId: "D1", blob: "verboseLog", lines: ["V: blob b", "V: blob c"] },
    ]);
    expect(outcome.job.drives[0].blobs).toEqual({ errorLog: true, verboseLog: true });
  });

  test("empty log arrays write nothing", () => {
    const outcome = apply(transferringImport({ logLevel: "Verbose" }), progress({ errorLog: [], verboseLog: [] }), 4 * HOUR);
    expect(outcome.blobWrites).toEqual([]);
  });

  test("asks the operator to stop when the job's cancellation was requested", () => {
    const cancelled = updateJob(transferringImport(), { cancelRequested: true }, customer(4 * HOUR));
    const outcome = apply(cancelled, progress(), 5 * HOUR);
    expect(outcome.stopTransfer).toBe(true);
    expect(outcome.job.drives[0].bytesSucceeded).toBe(250);
  });

  test("is refused with a 409 InvalidDriveState when the drive is not copying", () => {
    const error = thrown(() => apply(transferringImport(), progress({ driveId: "D2" }), 4 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveState");
    expect(error.target).toBe("D2");
    expect(error.message).toBe("Drive 'D2' is 'Received', not 'Transferring'; progress is recorded only while it copies.");
  });
});

describe("TransferFinished", () => {
  const bothCopying = () => run(transferringImport(), start("D2", { totalBytes: 2000 }), 4 * HOUR);

  test("Completed: the drive is done at 100%; the job keeps Transferring while another drive copies", () => {
    const outcome = apply(bothCopying(), { type: "TransferFinished", driveId: "D1", outcome: "Completed", bytesSucceeded: 1000 }, 5 * HOUR);
    expect(outcome.job.state).toBe("Transferring");
    expect(outcome.job.drives[0]).toMatchObject({ state: "Completed", percentComplete: 100, bytesSucceeded: 1000, copyStatus: "Completed" });
    expect(outcome.job.history.at(-1)).toEqual({ at: iso(5 * HOUR), driveId: "D1", from: "Transferring", to: "Completed", by: "op-1", role: "operator", reason: "Copied" });
    expect(outcome.blobWrites).toEqual([]);
  });

  test("the last drive to finish moves the job to Packaging by itself", () => {
    const first = run(bothCopying(), finish("D1"), 5 * HOUR);
    const outcome = apply(
      first,
      { type: "TransferFinished", driveId: "D2", outcome: "CompletedMoreInfo", copyStatus: "CompletedWithErrors", errorLog: ["E: blob x skipped"] },
      6 * HOUR,
    );
    const job = outcome.job;
    expect(job.state).toBe("Packaging");
    expect(job.stateChangedAt).toBe(iso(6 * HOUR));
    expect(job.drives[1]).toMatchObject({ state: "CompletedMoreInfo", percentComplete: 100, copyStatus: "CompletedWithErrors", blobs: { errorLog: true } });
    expect(outcome.blobWrites).toEqual([{ kind: "append", driveId: "D2", blob: "errorLog", lines: ["E: blob x skipped"] }]);
    const at = iso(6 * HOUR);
    expect(job.history.slice(first.history.length)).toEqual([
      { at, driveId: "D2", from: "Transferring", to: "CompletedMoreInfo", by: "op-1", role: "operator", reason: "Copied, with errors or warnings in the logs" },
      { at, from: "Transferring", to: "Packaging", by: "op-1", role: "operator", reason: "Every drive is finished" },
    ]);
  });

  test("an export job's incomplete blobs are written as a list and flagged", () => {
    let job = run(shippingExport(), pkg(["E1"]), 2 * HOUR);
    job = run(job, start("E1"), 3 * HOUR);
    const outcome = apply(job, { type: "TransferFinished", driveId: "E1", outcome: "Completed", incompleteBlobs: ["/c/a", "/c/b"] }, 4 * HOUR);
    // Appended, so a second drive's list adds to the first instead of replacing it.
    expect(outcome.blobWrites).toEqual([{ kind: "append", blob: "incompleteBlobList", lines: ["/c/a", "/c/b"] }]);
    expect(outcome.job.hasIncompleteBlobList).toBe(true);
    expect(outcome.job.state).toBe("Packaging");
  });

  test("an empty list of incomplete blobs writes nothing", () => {
    let job = run(shippingExport(), pkg(["E1"]), 2 * HOUR);
    job = run(job, start("E1"), 3 * HOUR);
    const outcome = apply(job, { type: "TransferFinished", driveId: "E1", outcome: "Completed", incompleteBlobs: [] }, 4 * HOUR);
    expect(outcome.blobWrites).toEqual([]);
    expect(outcome.job.hasIncompleteBlobList).toBeUndefined();
  });

  test("an export drive records where it started in the blob list, its key, where the next drive carries on, and the agent's incomplete list", () => {
    const key = "111111-222222-333333-444444-555555-666666-777777-888888";
    let job = run(shippingExport(), pkg(["E1", "E2"]), 2 * HOUR);
    job = run(job, { type: "TransferStarted", driveId: "E1", exportStart: 0, bitLockerKey: key }, 3 * HOUR);
    expect(job.drives[0]).toMatchObject({ exportRange: { start: 0 }, bitLockerKey: key });
    job = run(job, { type: "TransferFinished", driveId: "E1", outcome: "Completed", exportNext: 7, exportTooLarge: ["c/huge"] }, 4 * HOUR);
    expect(job.drives[0].exportRange).toEqual({ start: 0, next: 7, tooLarge: ["c/huge"] });
    job = run(job, { type: "TransferStarted", driveId: "E2", exportStart: 7, bitLockerKey: key }, 5 * HOUR);
    const outcome = apply(job, { type: "TransferFinished", driveId: "E2", outcome: "Completed", exportNext: 9, incompleteBlobList: { blobs: 3 } }, 6 * HOUR);
    // The agent wrote the list to the customer's account itself: the service writes nothing.
    expect(outcome.blobWrites).toEqual([]);
    expect(outcome.job.exportIncomplete).toEqual({ blobs: 3 });
    expect(outcome.job.drives[1].exportRange).toEqual({ start: 7, next: 9 });
  });

  test("an export drive starts only when no other is filling, and only where the last stopped (409 ExportDriveBusy, ExportStartMismatch)", () => {
    let job = run(shippingExport(), pkg(["E1", "E2"]), 2 * HOUR);
    job = run(job, { type: "TransferStarted", driveId: "E1", exportStart: 0 }, 3 * HOUR);
    expect(thrown(() => apply(job, { type: "TransferStarted", driveId: "E2", exportStart: 0 }, 3 * HOUR)).code).toBe("ExportDriveBusy");
    job = run(job, { type: "TransferFinished", driveId: "E1", outcome: "Completed", exportNext: 4 }, 4 * HOUR);
    const mismatch = thrown(() => apply(job, { type: "TransferStarted", driveId: "E2", exportStart: 0 }, 5 * HOUR));
    expect([mismatch.status, mismatch.code]).toEqual([409, "ExportStartMismatch"]);
    expect(run(job, { type: "TransferStarted", driveId: "E2", exportStart: 4 }, 5 * HOUR).drives[1].exportRange).toEqual({ start: 4 });
  });

  test("export fields on an import job's drive are a 400 ExportFieldsNotAllowed", () => {
    const error = thrown(() => apply(receivedImport(), { type: "TransferStarted", driveId: "D1", exportStart: 0 }, 4 * HOUR));
    expect(error.status).toBe(400);
    expect(error.code).toBe("ExportFieldsNotAllowed");
  });

  test("incomplete blobs on an import job are a 400 IncompleteBlobListNotAllowed", () => {
    const error = thrown(() => apply(transferringImport(), { type: "TransferFinished", driveId: "D1", outcome: "Completed", incompleteBlobs: ["/c/a"] }, 4 * HOUR));
    expect(error.status).toBe(400);
    expect(error.code).toBe("IncompleteBlobListNotAllowed");
    expect(error.target).toBe("incompleteBlobs");
  });

  test("a drive that is not copying is a 409 InvalidDriveStateTransition", () => {
    const error = thrown(() => apply(transferringImport(), finish("D2"), 4 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveStateTransition");
    expect(error.message).toContain("'complete' is not allowed for drive 'D2' in state 'Received'");
  });
});

describe("cancellation", () => {
  test("cancelled while Received with no drive started: Packaging at once, received drives skipped", () => {
    const received = run(shippingImport(["D1", "D2", "D3"]), pkg(["D1", "D2"]), 2 * HOUR);
    const job = updateJob(received, { cancelRequested: true }, customer(3 * HOUR));
    expect(job.state).toBe("Packaging");
    expect(job.cancelRequested).toBe(true);
    expect(job.drives.map((drive) => [drive.driveId, drive.state, drive.skipped])).toEqual([
      ["D1", "Received", true],
      ["D2", "Received", true],
      ["D3", "NeverReceived", undefined],
    ]);
    expect(job.history.slice(received.history.length)).toEqual([
      { at: iso(3 * HOUR), from: "Received", to: "Packaging", by: "customer", role: "customer", reason: "Cancelled: remaining drives skipped" },
    ]);
  });

  test("cancelled while Shipping: the package's arrival takes the job straight to Packaging", () => {
    const cancelled = updateJob(shippingImport(), { cancelRequested: true }, customer(2 * HOUR));
    expect(cancelled.state).toBe("Shipping");
    const job = run(cancelled, pkg(["D1", "D2"]), 3 * HOUR);
    expect(job.state).toBe("Packaging");
    expect(job.drives.map((drive) => [drive.state, drive.skipped])).toEqual([
      ["Received", true],
      ["Received", true],
    ]);
  });

  test("cancelled while one drive copies: the others are skipped, the job waits for it, then Packaging, then Completed", () => {
    const job = updateJob(transferringImport(), { cancelRequested: true }, customer(4 * HOUR));
    expect(job.state).toBe("Transferring");
    expect(job.drives.map((drive) => [drive.driveId, drive.state, drive.skipped])).toEqual([
      ["D1", "Transferring", undefined],
      ["D2", "Received", true],
    ]);
    const finished = run(job, finish("D1"), 5 * HOUR);
    expect(finished.state).toBe("Packaging");
    expect(finished.history.at(-1)).toMatchObject({ from: "Transferring", to: "Packaging", reason: "Cancelled: remaining drives skipped", role: "operator" });
    // Nothing went wrong: a cancelled job ends Completed.
    const back = run(finished, shippedBack, 6 * HOUR);
    expect(back.state).toBe("Completed");
    expect(states(back)).toEqual([
      ["D1", "ShippedBack"],
      ["D2", "ShippedBack"],
    ]);
  });

  test("a drive arriving late on a cancelled job is skipped too", () => {
    let job = run(shippingImport(["D1", "D2"]), pkg(["D1"]), 2 * HOUR);
    job = run(job, start("D1"), 3 * HOUR);
    job = updateJob(job, { cancelRequested: true }, customer(4 * HOUR));
    job = run(job, { type: "DriveReceived", driveId: "D2" }, 5 * HOUR);
    expect(job.state).toBe("Transferring");
    expect(job.drives[1]).toMatchObject({ state: "Received", skipped: true });
  });
});

describe("ShippedBack", () => {
  test("every drive is shipped back, the return package is recorded and the job is Completed", () => {
    const packaging = packagingImport();
    const job = run(packaging, shippedBack, 7 * HOUR);
    expect(job.state).toBe("Completed");
    expect(job.returnPackage).toEqual(RETURN_PACKAGE);
    expect(states(job)).toEqual([
      ["D1", "ShippedBack"],
      ["D2", "ShippedBack"],
    ]);
    const at = iso(7 * HOUR);
    expect(job.history.slice(packaging.history.length)).toEqual([
      { at, driveId: "D1", from: "Completed", to: "ShippedBack", by: "op-1", role: "operator", reason: "Shipped back in RET1" },
      { at, driveId: "D2", from: "Completed", to: "ShippedBack", by: "op-1", role: "operator", reason: "Shipped back in RET1" },
      { at, from: "Packaging", to: "Completed", by: "op-1", role: "operator", reason: "Drives shipped back" },
    ]);
  });

  test("extra drives that came in the package are marked returned", () => {
    let job = run(shippingImport(["D1"]), pkg(["D1", "X1"]), 2 * HOUR);
    job = run(job, start("D1"), 3 * HOUR);
    job = run(job, finish("D1"), 4 * HOUR);
    job = run(job, shippedBack, 5 * HOUR);
    expect(job.extraDrives).toEqual([{ driveId: "X1", trackingNumber: "TRK1", arrivedAt: iso(2 * HOUR), returnedAt: iso(5 * HOUR) }]);
    expect(job.state).toBe("Completed");
  });

  test("a drive copied with more info makes the job Closed", () => {
    let job = run(transferringImport(), start("D2"), 4 * HOUR);
    job = run(job, finish("D1"), 5 * HOUR);
    job = run(job, finish("D2", "CompletedMoreInfo"), 6 * HOUR);
    job = run(job, shippedBack, 7 * HOUR);
    expect(job.state).toBe("Closed");
    expect(job.history.at(-1)).toMatchObject({ from: "Packaging", to: "Closed", reason: "Drives shipped back; some drives had errors, never arrived, or the job faulted" });
  });

  test("a drive that never arrived stays NeverReceived and makes the job Closed", () => {
    let job = run(shippingImport(["D1", "D2"]), pkg(["D1"]), 2 * HOUR);
    job = run(job, start("D1"), 3 * HOUR);
    job = run(job, finish("D1"), 4 * HOUR);
    const packaging = job;
    job = run(job, shippedBack, 5 * HOUR);
    expect(states(job)).toEqual([
      ["D1", "ShippedBack"],
      ["D2", "NeverReceived"],
    ]);
    expect(job.state).toBe("Closed");
    expect(job.history.slice(packaging.history.length).map((entry) => entry.driveId)).toEqual(["D1", undefined]);
  });

  test("a job that ever faulted ends Closed even when every drive copied cleanly", () => {
    let job = run(transferringImport(), { type: "FaultJob", reason: "Power loss" }, 4 * HOUR);
    job = run(job, { type: "ClearJobFault", reason: "Power back" }, 5 * HOUR);
    job = run(job, start("D2"), 6 * HOUR);
    job = run(job, finish("D1"), 7 * HOUR);
    job = run(job, finish("D2"), 8 * HOUR);
    expect(job.hadFault).toBe(true);
    expect(run(job, shippedBack, 9 * HOUR).state).toBe("Closed");
  });

  test("a drive fault also counts as a fault of the job", () => {
    let job = run(transferringImport(), { type: "FaultDrive", driveId: "D1", reason: "Read errors" }, 4 * HOUR);
    job = run(job, { type: "ClearDriveFault", driveId: "D1", reason: "Reseated" }, 5 * HOUR);
    job = run(job, start("D2"), 6 * HOUR);
    job = run(job, finish("D1"), 7 * HOUR);
    job = run(job, finish("D2"), 8 * HOUR);
    expect(job.hadFault).toBe(true);
    expect(run(job, shippedBack, 9 * HOUR).state).toBe("Closed");
  });

  test("a drive a fault was cleared to ShippedBack is not shipped again; the job closes", () => {
    let job = run(transferringImport(), { type: "FaultDrive", driveId: "D2", reason: "Unreadable" }, 4 * HOUR);
    job = run(job, { type: "ClearDriveFault", driveId: "D2", returnTo: "ShippedBack", reason: "Sent back unread" }, 5 * HOUR);
    job = run(job, finish("D1"), 6 * HOUR);
    expect(job.state).toBe("Packaging");
    const packaging = job;
    job = run(job, shippedBack, 7 * HOUR);
    expect(states(job)).toEqual([
      ["D1", "ShippedBack"],
      ["D2", "ShippedBack"],
    ]);
    expect(job.state).toBe("Closed");
    expect(job.history.slice(packaging.history.length).map(({ driveId, from, to }) => [driveId, from, to])).toEqual([
      ["D1", "Completed", "ShippedBack"],
      [undefined, "Packaging", "Closed"],
    ]);
  });

  test("is refused with a 409 ReturnAddressProblemPending while the return address has a problem", () => {
    const flagged = run(packagingImport(), { type: "ReturnAddressProblem", reason: "No such street" }, 7 * HOUR);
    const error = thrown(() => apply(flagged, shippedBack, 8 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("ReturnAddressProblemPending");
    expect(error.message).toContain("(No such street)");
    // Once the customer corrects it the drives can go.
    const corrected = updateJob(flagged, { returnAddress: CORRECTED_ADDRESS }, customer(9 * HOUR));
    expect(run(corrected, shippedBack, 10 * HOUR).state).toBe("Completed");
  });
});

describe("ReturnAddressProblem", () => {
  const report: OperatorEvent = { type: "ReturnAddressProblem", reason: "Street does not exist" };

  test.each([
    ["Transferring", () => transferringImport()],
    ["Packaging", () => packagingImport()],
  ] as [JobState, () => Job][])("in %s sets the flag and yields a notice for the customer", (state, build) => {
    const before = build();
    const outcome = apply(before, report, 10 * HOUR);
    expect(outcome.job.state).toBe(state);
    expect(outcome.job.returnAddressProblem).toEqual({ reason: "Street does not exist", reportedAt: iso(10 * HOUR) });
    expect(outcome.notices).toEqual([
      {
        audience: "customer",
        kind: "ReturnAddressProblem",
        message: "The drives of job 'job1' cannot be shipped back to the return address: Street does not exist. Correct 'returnAddress' on the job.",
      },
    ]);
    expect(outcome.blobWrites).toEqual([]);
    expect(outcome.job.history).toEqual(before.history);
  });

  test("the customer correcting the return address clears it", () => {
    const flagged = run(transferringImport(), report, 4 * HOUR);
    const job = updateJob(flagged, { returnAddress: CORRECTED_ADDRESS }, customer(5 * HOUR));
    expect(job.returnAddressProblem).toBeUndefined();
    expect(job.returnAddress).toEqual(CORRECTED_ADDRESS);
  });

  test("the same address sent again, or another update, does not clear it", () => {
    const flagged = run(transferringImport(), report, 4 * HOUR);
    const resent = updateJob(flagged, { returnAddress: { ...RETURN_ADDRESS } }, customer(5 * HOUR));
    expect(resent.returnAddressProblem).toEqual({ reason: "Street does not exist", reportedAt: iso(4 * HOUR) });
    const tagged = updateJob(flagged, { tags: { a: "b" } }, customer(5 * HOUR));
    expect(tagged.returnAddressProblem).toEqual({ reason: "Street does not exist", reportedAt: iso(4 * HOUR) });
  });

  test("a corrected address sent by create-or-update (PUT) clears it too", () => {
    const flagged = run(transferringImport(), report, 4 * HOUR);
    const job = redefineJob(flagged, importDefinition(["D1", "D2"], { returnAddress: CORRECTED_ADDRESS }), customer(5 * HOUR));
    expect(job.returnAddress).toEqual(CORRECTED_ADDRESS);
    expect(job.returnAddressProblem).toBeUndefined();
    const same = redefineJob(flagged, importDefinition(["D1", "D2"]), customer(5 * HOUR));
    expect(same.returnAddressProblem).toEqual({ reason: "Street does not exist", reportedAt: iso(4 * HOUR) });
  });

  test("is refused while Received", () => {
    const error = thrown(() => apply(receivedImport(), report, 3 * HOUR));
    expect(error.code).toBe("EventNotAllowed");
  });
});

describe("FaultJob and ClearJobFault", () => {
  const fault: OperatorEvent = { type: "FaultJob", reason: "Power loss" };
  const clear = (returnTo?: JobState): OperatorEvent => ({ type: "ClearJobFault", reason: "Power back", returnTo });

  test("a fault remembers the state it interrupted and marks the job as having faulted", () => {
    const transferring = transferringImport();
    const job = run(transferring, fault, 4 * HOUR);
    expect(job.state).toBe("Faulted");
    expect(job.stateBeforeFault).toBe("Transferring");
    expect(job.hadFault).toBe(true);
    expect(job.drives).toEqual(transferring.drives);
    expect(job.history.at(-1)).toEqual({ at: iso(4 * HOUR), from: "Transferring", to: "Faulted", by: "op-1", role: "operator", reason: "Power loss" });
  });

  test("clearing without returnTo goes back to that state; hadFault stays", () => {
    const job = run(run(transferringImport(), fault, 4 * HOUR), clear(), 5 * HOUR);
    expect(job.state).toBe("Transferring");
    expect(job.stateBeforeFault).toBeUndefined();
    expect(job.hadFault).toBe(true);
    expect(job.history.at(-1)).toEqual({ at: iso(5 * HOUR), from: "Faulted", to: "Transferring", by: "op-1", role: "operator", reason: "Power back" });
  });

  test("regression: clearing to Packaging while drives still copy is refused (the job would be stuck)", () => {
    const faulted = run(transferringImport(), fault, 4 * HOUR);
    const error = thrown(() => apply(faulted, clear("Packaging"), 5 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("DrivesNotFinished");
    expect(error.message).toContain("D1 (Transferring)");
  });

  test("returnTo a state out of reach is a 409 InvalidJobState naming the states allowed", () => {
    const faulted = run(receivedImport(), fault, 3 * HOUR);
    expect(faulted.stateBeforeFault).toBe("Received");
    const error = thrown(() => apply(faulted, clear("Completed"), 4 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobState");
    expect(error.message).toBe("A job faulted in 'Received' and can return only to 'Received', 'Packaging', not 'Completed'.");
  });

  test("clearing the fault moves the job on to Packaging when its drives finished meanwhile", () => {
    let job = run(transferringImport(), start("D2"), 4 * HOUR);
    job = run(job, { type: "FaultDrive", driveId: "D1", reason: "Read errors" }, 4 * HOUR);
    job = run(job, { type: "FaultDrive", driveId: "D2", reason: "Read errors" }, 4 * HOUR);
    job = run(job, fault, 5 * HOUR);
    job = run(job, { type: "ClearDriveFault", driveId: "D1", returnTo: "CompletedMoreInfo", reason: "Copied what could be read" }, 6 * HOUR);
    job = run(job, { type: "ClearDriveFault", driveId: "D2", returnTo: "Completed", reason: "Copy finished" }, 6 * HOUR);
    // A drive fault cleared while the job is Faulted does not move the job.
    expect(job.state).toBe("Faulted");
    job = run(job, clear(), 7 * HOUR);
    expect(job.state).toBe("Packaging");
    expect(job.history.slice(-2).map(({ from, to }) => [from, to])).toEqual([
      ["Faulted", "Transferring"],
      ["Transferring", "Packaging"],
    ]);
  });
});

describe("FaultDrive and ClearDriveFault", () => {
  const faultD1 = (job: Job) => run(job, { type: "FaultDrive", driveId: "d1", reason: "Read errors" }, 4 * HOUR);
  const clearD1 = (returnTo?: Job["drives"][number]["state"]): OperatorEvent => ({ type: "ClearDriveFault", driveId: "D1", returnTo, reason: "Reseated" });

  test("a drive fault remembers the drive's state; the job's state is unchanged", () => {
    const job = faultD1(transferringImport());
    expect(job.state).toBe("Transferring");
    expect(job.drives[0]).toMatchObject({ state: "Faulted", stateBeforeFault: "Transferring" });
    expect(job.hadFault).toBe(true);
    expect(job.history.at(-1)).toEqual({ at: iso(4 * HOUR), driveId: "D1", from: "Transferring", to: "Faulted", by: "op-1", role: "operator", reason: "Read errors" });
  });

  test("clearing without returnTo resumes the copy", () => {
    const job = run(faultD1(transferringImport()), clearD1(), 5 * HOUR);
    expect(job.drives[0].state).toBe("Transferring");
    expect(job.drives[0].stateBeforeFault).toBeUndefined();
  });

  test("faulted while Transferring, returnTo CompletedMoreInfo is allowed; the last drive done moves the job on", () => {
    let job = run(shippingImport(["D1"]), pkg(["D1"]), 2 * HOUR);
    job = run(job, start("D1"), 3 * HOUR);
    job = run(faultD1(job), clearD1("CompletedMoreInfo"), 5 * HOUR);
    expect(states(job)).toEqual([["D1", "CompletedMoreInfo"]]);
    expect(job.state).toBe("Packaging");
  });

  test("faulted while Transferring, returnTo ShippedBack is a 409 InvalidDriveState", () => {
    const error = thrown(() => apply(faultD1(transferringImport()), clearD1("ShippedBack"), 5 * HOUR));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveState");
    expect(error.target).toBe("D1");
    expect(error.message).toBe("Drive 'D1' faulted in 'Transferring' and can return only to 'Transferring', 'Completed', 'CompletedMoreInfo', not 'ShippedBack'.");
  });

  test("clearing a drive that is not faulted is a 409 InvalidDriveStateTransition", () => {
    const error = thrown(() => apply(transferringImport(), clearD1(), 5 * HOUR));
    expect(error.code).toBe("InvalidDriveStateTransition");
    expect(error.message).toContain("'clearFault' is not allowed for drive 'D1' in state 'Transferring'");
  });
});

describe("ExtendShippingWait", () => {
  test("moves the due date on from the current one while it is still ahead, and clears the overdue notice", () => {
    const shipping = shippingImport();
    expect(shipping.shippingDueAt).toBe(iso(HOUR + 14 * DAY));
    const notified: Job = { ...shipping, shippingOverdueNotifiedAt: iso(HOUR + 14 * DAY) };
    const job = run(notified, { type: "ExtendShippingWait", days: 7 }, 10 * DAY);
    expect(job.shippingDueAt).toBe(iso(HOUR + 21 * DAY));
    expect(job.shippingOverdueNotifiedAt).toBeUndefined();
    expect(job.state).toBe("Shipping");
    expect(job.history).toEqual(shipping.history);
  });

  test("counts from now once the due date has passed", () => {
    const notified: Job = { ...shippingImport(), shippingOverdueNotifiedAt: iso(HOUR + 14 * DAY) };
    const job = run(notified, { type: "ExtendShippingWait", days: 3 }, 20 * DAY);
    expect(job.shippingDueAt).toBe(iso(23 * DAY));
    expect(job.shippingOverdueNotifiedAt).toBeUndefined();
  });
});

describe("CloseUnresponsive", () => {
  test("closes a Shipping job; drives still Specified become NeverReceived", () => {
    let shipping = shippingImport(["D1", "D2"]);
    shipping = transitionDriveOf(shipping, "D2", "markNeverReceived", operator(15 * DAY), "The package is overdue");
    const job = run(shipping, { type: "CloseUnresponsive", reason: "Customer never answered" }, 22 * DAY);
    expect(job.state).toBe("Closed");
    expect(job.shippingDueAt).toBeUndefined();
    expect(states(job)).toEqual([
      ["D1", "NeverReceived"],
      ["D2", "NeverReceived"],
    ]);
    const at = iso(22 * DAY);
    expect(job.history.slice(shipping.history.length)).toEqual([
      { at, driveId: "D1", from: "Specified", to: "NeverReceived", by: "op-1", role: "operator", reason: "The package never arrived" },
      { at, from: "Shipping", to: "Closed", by: "op-1", role: "operator", reason: "Customer never answered" },
    ]);
  });
});

describe("EVENT_ALLOWED_IN", () => {
  /** Hand-written: the events the operator console offers in each job state, in table order. */
  const EXPECTED_ALLOWED: Record<JobState, OperatorEventType[]> = {
    Creating: [],
    Shipping: ["PackageReceived", "FaultJob", "ExtendShippingWait", "CloseUnresponsive"],
    Received: ["DriveReceived", "TransferStarted", "FaultJob", "FaultDrive", "ClearDriveFault"],
    Transferring: ["DriveReceived", "TransferStarted", "TransferProgress", "TransferFinished", "ReturnAddressProblem", "FaultJob", "FaultDrive", "ClearDriveFault"],
    Packaging: ["ShippedBack", "ReturnAddressProblem", "FaultJob"],
    Completed: [],
    Closed: ["DrivesReturned", "DrivesDestroyed"],
    Faulted: ["ClearJobFault", "ClearDriveFault"],
  };

  const SAMPLE: Record<OperatorEventType, OperatorEvent> = {
    PackageReceived: pkg(["D1"]),
    DriveReceived: { type: "DriveReceived", driveId: "D2" },
    TransferStarted: start("D2"),
    TransferProgress: { type: "TransferProgress", driveId: "D1", bytesSucceeded: 1, percentComplete: 1 },
    TransferFinished: finish("D1"),
    ShippedBack: shippedBack,
    ReturnAddressProblem: { type: "ReturnAddressProblem", reason: "Bad address" },
    FaultJob: { type: "FaultJob", reason: "Fault" },
    ClearJobFault: { type: "ClearJobFault", reason: "Cleared" },
    FaultDrive: { type: "FaultDrive", driveId: "D1", reason: "Fault" },
    ClearDriveFault: { type: "ClearDriveFault", driveId: "D1", reason: "Cleared" },
    ExtendShippingWait: { type: "ExtendShippingWait", days: 7 },
    CloseUnresponsive: { type: "CloseUnresponsive", reason: "No answer" },
    DrivesReturned: { type: "DrivesReturned", carrierName: "UPS", trackingNumber: "1Z-LATE" },
    DrivesDestroyed: { type: "DrivesDestroyed", certificateReference: "CERT-1" },
  };

  /** A job in `state`, reached through customer operations and operator events only. */
  function jobIn(state: JobState): Job {
    const creating = createJob(KEY, importDefinition(["D1", "D2"]), SHIPPING_INFO, customer(0));
    if (state === "Creating") return creating;
    const shipping = markShipping(creating, customer(HOUR));
    if (state === "Shipping") return shipping;
    if (state === "Closed") return run(shipping, SAMPLE.CloseUnresponsive, 2 * HOUR);
    const received = run(shipping, pkg(["D1", "D2"]), 2 * HOUR);
    if (state === "Received") return received;
    const transferring = run(received, start("D1"), 3 * HOUR);
    if (state === "Transferring") return transferring;
    if (state === "Faulted") return run(transferring, SAMPLE.FaultJob, 4 * HOUR);
    let packaging = run(transferring, start("D2"), 4 * HOUR);
    packaging = run(packaging, finish("D1"), 5 * HOUR);
    packaging = run(packaging, finish("D2"), 6 * HOUR);
    if (state === "Packaging") return packaging;
    return run(packaging, shippedBack, 7 * HOUR);
  }

  test("each helper job is in the state it claims", () => {
    expect(JOB_STATES.map((state) => jobIn(state).state)).toEqual([...JOB_STATES]);
  });

  test.each(JOB_STATES.map((state) => [state]))("eventsAllowedIn('%s') follows the table", (state) => {
    expect(eventsAllowedIn(state)).toEqual(EXPECTED_ALLOWED[state]);
    for (const type of Object.keys(EVENT_ALLOWED_IN) as OperatorEventType[]) {
      expect([type, EVENT_ALLOWED_IN[type].includes(state)]).toEqual([type, EXPECTED_ALLOWED[state].includes(type)]);
    }
  });

  const pairs = (Object.keys(SAMPLE) as OperatorEventType[]).flatMap((type) => JOB_STATES.map((state) => [type, state] as [OperatorEventType, JobState]));
  const refused = pairs.filter(([type, state]) => !EXPECTED_ALLOWED[state].includes(type));
  const accepted = pairs.filter(([type, state]) => EXPECTED_ALLOWED[state].includes(type));

  test("the table covers every event type", () => {
    expect(Object.keys(EVENT_ALLOWED_IN).sort()).toEqual(Object.keys(SAMPLE).sort());
    expect([refused.length, accepted.length]).toEqual([96, 24]);
  });

  test.each(refused)("%s in %s is a 409 EventNotAllowed naming the state and what it allows", (type, state) => {
    const job = jobIn(state);
    const before = structuredClone(job);
    const error = thrown(() => apply(job, SAMPLE[type], 10 * DAY));
    expect(error.status).toBe(409);
    expect(error.code).toBe("EventNotAllowed");
    const allowed = EXPECTED_ALLOWED[state];
    expect(error.message).toBe(
      `'${type}' cannot be recorded for a job in state '${state}'. ` +
        (allowed.length > 0 ? `Events allowed in '${state}': ${allowed.join(", ")}.` : `No operator event applies to a '${state}' job.`),
    );
    expect(job).toEqual(before);
  });

  test.each(accepted)("%s in %s passes the table check", (type, state) => {
    // It may still be refused for another reason (e.g. a drive in the wrong state), never by the table.
    let code: string | undefined;
    try {
      apply(jobIn(state), SAMPLE[type], 10 * DAY);
    } catch (error) {
      code = (error as ServiceError).code;
    }
    expect(code).not.toBe("EventNotAllowed");
  });
});
