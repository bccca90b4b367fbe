/**
 * The customer rules of a job, pure: a fixed clock, fixed rules, and jobs moved between states only
 * through the state machine (`transition`).
 */
import { DriveState, DriveTransition, transitionDrive } from "../../shared/domain/drive-state-machine";
import {
  assertDeletable,
  CANCELLABLE_STATES,
  createJob,
  DeliveryPackage,
  Drive,
  Job,
  JobDefinition,
  JobUpdate,
  markShipping,
  OperationContext,
  redefineJob,
  requestCancellation,
  ReturnAddress,
  transition,
  UPDATABLE_IN,
  updateJob,
} from "../../shared/domain/job";
import { jobPercentComplete } from "../../shared/domain/progress";
import { JOB_STATES, JobState } from "../../shared/domain/job-state-machine";
import { contextAt, DAY, DELIVERY, domainDrive as drive, JOB_KEY as KEY, RETURN_ADDRESS, RULES, SHIPPING_INFO, STORAGE_ACCOUNT as STORAGE, thrown } from "../support/fixtures";

function at(offsetMs: number, actorId = "customer"): OperationContext {
  return contextAt(offsetMs, { id: actorId, type: "User" }, RULES);
}
const ctx0 = at(0);
const operator = (offsetMs: number) => at(offsetMs, "operator");

const OTHER_RETURN_ADDRESS: ReturnAddress = { ...RETURN_ADDRESS, streetAddress1: "2 Other Ave" };
const OTHER_DELIVERY: DeliveryPackage = { carrierName: "UPS", trackingNumber: "1Z999" };
const DRIVES = [drive("D1"), drive("D2")];

function importDefinition(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return { location: "westus", jobType: "Import", storageAccountId: STORAGE, driveList: DRIVES, ...overrides };
}

function exportDefinition(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return { location: "westus", jobType: "Export", storageAccountId: STORAGE, export: { blobPath: ["/container/blob"] }, ...overrides };
}

function newJob(overrides: Partial<JobDefinition> = {}): Job {
  return createJob(KEY, importDefinition(overrides), SHIPPING_INFO, ctx0);
}

/** A job in `state`, reached through the state machine, one hour per step after T0. */
function jobIn(state: JobState): Job {
  let job = newJob({ returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY });
  if (state === "Creating") return job;
  job = markShipping(job, at(1 * 3_600_000));
  if (state === "Shipping") return job;
  if (state === "Closed") return transition(job, "close", operator(2 * 3_600_000), "No package arrived");
  job = transition(job, "receivePackage", operator(2 * 3_600_000), "Package arrived");
  if (state === "Received") return job;
  if (state === "Faulted") return transition(job, "fault", operator(3 * 3_600_000), "Drive unreadable");
  job = transition(job, "startTransfer", operator(3 * 3_600_000), "Copy started");
  if (state === "Transferring") return job;
  job = transition(job, "beginPackaging", operator(4 * 3_600_000), "All drives done");
  if (state === "Packaging") return job;
  return transition(job, "complete", operator(5 * 3_600_000), "Drives shipped back");
}

/** A drive moved through the drive state machine. */
function driveAfter(id: string, steps: DriveTransition[], percentComplete: number): Drive {
  let state: DriveState = "Specified";
  for (const step of steps) state = transitionDrive(id, state, step);
  return { ...drive(id), state, percentComplete };
}

describe("createJob", () => {
  test("a new import job starts Creating with its drives Specified and a 14-day lifetime", () => {
    const job = newJob();
    expect(job.state).toBe("Creating");
    expect(job.drives.map((d) => [d.driveId, d.state, d.percentComplete])).toEqual([
      ["D1", "Specified", 0],
      ["D2", "Specified", 0],
    ]);
    expect(job.creatingExpiresAt).toBe("2026-03-15T12:00:00.000Z");
    expect(job.createdAt).toBe("2026-03-01T12:00:00.000Z");
    expect(job.stateChangedAt).toBe(job.createdAt);
    expect(job.lastModifiedAt).toBe(job.createdAt);
    expect(job.createdBy).toEqual({ id: "customer", type: "User" });
    expect(job.cancelRequested).toBe(false);
    expect(job.shippingInformation).toEqual(SHIPPING_INFO);
    expect(job.history).toEqual([{ at: "2026-03-01T12:00:00.000Z", from: null, to: "Creating", by: "customer", role: "customer", reason: "Job created" }]);
  });

  test("fills the documented defaults", () => {
    const job = newJob();
    expect(job.logLevel).toBe("Error");
    expect(job.backupDriveManifest).toBe(false);
    expect(job.encryptionKey).toEqual({ kekType: "MicrosoftManaged" });
    expect(job.tags).toEqual({});
  });

  test("keeps the given optional values", () => {
    const job = newJob({ logLevel: "Verbose", backupDriveManifest: true, tags: { team: "data" }, returnAddress: RETURN_ADDRESS });
    expect(job.logLevel).toBe("Verbose");
    expect(job.backupDriveManifest).toBe(true);
    expect(job.tags).toEqual({ team: "data" });
    expect(job.returnAddress).toEqual(RETURN_ADDRESS);
  });

  test("an export job starts Creating with no drives", () => {
    const job = createJob(KEY, exportDefinition(), SHIPPING_INFO, ctx0);
    expect(job.state).toBe("Creating");
    expect(job.drives).toEqual([]);
    expect(job.export).toEqual({ blobPath: ["/container/blob"] });
  });
});

describe("import job validation", () => {
  test("no drive list is a 400 DriveListRequired", () => {
    const error = thrown(() => newJob({ driveList: undefined }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DriveListRequired");
    expect(error.target).toBe("properties.driveList");
  });

  test("0 drives is a 400", () => {
    const error = thrown(() => newJob({ driveList: [] }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DriveListRequired");
  });

  test("10 drives is accepted", () => {
    const ten = Array.from({ length: 10 }, (_, i) => drive(`D${i}`));
    expect(newJob({ driveList: ten }).drives).toHaveLength(10);
  });

  test("11 drives is a 400 InvalidDriveCount", () => {
    const eleven = Array.from({ length: 11 }, (_, i) => drive(`D${i}`));
    const error = thrown(() => newJob({ driveList: eleven }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidDriveCount");
    expect(error.message).toContain("11 were given");
  });

  test("a duplicate drive id (ignoring case) is a 400 DuplicateDriveId pointing at the second one", () => {
    const error = thrown(() => newJob({ driveList: [drive("D1"), drive("D2"), drive("d1")] }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DuplicateDriveId");
    expect(error.target).toBe("properties.driveList[2].driveId");
    expect(error.message).toContain("'d1'");
  });

  test("an import job with 'export' is a 400 ExportNotAllowed", () => {
    const error = thrown(() => newJob({ export: { blobPath: ["/c/b"] } }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("ExportNotAllowed");
  });
});

describe("export job validation", () => {
  test.each([
    ["blobPath", { blobPath: ["/c/b"] }],
    ["blobPathPrefix", { blobPathPrefix: ["/c/"] }],
    ["blobPath and blobPathPrefix", { blobPath: ["/c/b"], blobPathPrefix: ["/c/"] }],
    ["blobListBlobPath", { blobListBlobPath: "/c/list.xml" }],
  ])("accepts %s", (_label, exportSpec) => {
    expect(createJob(KEY, exportDefinition({ export: exportSpec }), SHIPPING_INFO, ctx0).export).toEqual(exportSpec);
  });

  test.each([
    ["no export at all", undefined],
    ["an empty export", {}],
    ["empty lists", { blobPath: [], blobPathPrefix: [] }],
    ["both a blob list and blobListBlobPath", { blobPath: ["/c/b"], blobListBlobPath: "/c/list.xml" }],
  ])("refuses %s with a 400 ExportBlobListRequired", (_label, exportSpec) => {
    const error = thrown(() => createJob(KEY, exportDefinition({ export: exportSpec }), SHIPPING_INFO, ctx0));
    expect(error.status).toBe(400);
    expect(error.code).toBe("ExportBlobListRequired");
    expect(error.target).toBe("properties.export");
  });

  test("a drive list is a 400 DriveListNotAllowed", () => {
    const error = thrown(() => createJob(KEY, exportDefinition({ driveList: DRIVES }), SHIPPING_INFO, ctx0));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DriveListNotAllowed");
  });

  test("a drive list in an update of an export job is a 400 DriveListNotAllowed", () => {
    const job = createJob(KEY, exportDefinition(), SHIPPING_INFO, ctx0);
    const error = thrown(() => updateJob(job, { driveList: DRIVES }, at(DAY)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("DriveListNotAllowed");
  });
});

describe("the Creating lifetime", () => {
  test("an update while Creating keeps it Creating and restarts the 14 days from the update", () => {
    const job = updateJob(newJob(), { tags: { a: "b" } }, at(3 * DAY + 5_000));
    expect(job.state).toBe("Creating");
    expect(job.creatingExpiresAt).toBe("2026-03-18T12:00:05.000Z");
    expect(job.lastModifiedAt).toBe("2026-03-04T12:00:05.000Z");
    expect(job.tags).toEqual({ a: "b" });
    expect(job.history).toHaveLength(1);
  });

  test("redefining a Creating job also restarts the clock", () => {
    const job = redefineJob(newJob(), importDefinition({ tags: { x: "y" } }), at(2 * DAY));
    expect(job.creatingExpiresAt).toBe("2026-03-17T12:00:00.000Z");
  });

  test("leaving Creating clears the expiry", () => {
    expect(jobIn("Shipping").creatingExpiresAt).toBeUndefined();
    expect(requestCancellation(newJob(), at(DAY)).creatingExpiresAt).toBeUndefined();
  });

  test("an update after Creating does not set an expiry", () => {
    const job = updateJob(jobIn("Received"), { tags: { a: "b" } }, at(DAY));
    expect(job.creatingExpiresAt).toBeUndefined();
  });
});

describe("marking the job Shipping", () => {
  test("without delivery package and return address is a 400 naming both", () => {
    const error = thrown(() => updateJob(newJob(), { state: "Shipping" }, at(DAY)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("ShippingInformationMissing");
    expect(error.target).toBe("properties.state");
    expect(error.message).toContain("a delivery package (properties.deliveryPackage)");
    expect(error.message).toContain("a return address (properties.returnAddress)");
  });

  test("without only the return address names just that", () => {
    const error = thrown(() => updateJob(newJob({ deliveryPackage: DELIVERY }), { state: "Shipping" }, at(DAY)));
    expect(error.code).toBe("ShippingInformationMissing");
    expect(error.message).toContain("return address");
    expect(error.message).not.toContain("delivery package");
  });

  test("without only the delivery package names just that", () => {
    const error = thrown(() => markShipping(newJob({ returnAddress: RETURN_ADDRESS }), at(DAY)));
    expect(error.code).toBe("ShippingInformationMissing");
    expect(error.message).toContain("delivery package");
    expect(error.message).not.toContain("return address");
  });

  test("with both in the same update the job is Shipping and no longer expires", () => {
    const job = updateJob(newJob(), { state: "Shipping", deliveryPackage: DELIVERY, returnAddress: RETURN_ADDRESS }, at(DAY));
    expect(job.state).toBe("Shipping");
    expect(job.creatingExpiresAt).toBeUndefined();
    expect(job.deliveryPackage).toEqual(DELIVERY);
    expect(job.returnAddress).toEqual(RETURN_ADDRESS);
    expect(job.stateChangedAt).toBe("2026-03-02T12:00:00.000Z");
    expect(job.history.at(-1)).toEqual({
      at: "2026-03-02T12:00:00.000Z",
      from: "Creating",
      to: "Shipping",
      by: "customer",
      role: "customer",
      reason: "Customer marked the package as shipped",
    });
  });

  test("with both sent in earlier updates the job is Shipping", () => {
    let job = updateJob(newJob(), { returnAddress: RETURN_ADDRESS }, at(DAY));
    job = updateJob(job, { deliveryPackage: DELIVERY }, at(2 * DAY));
    expect(job.state).toBe("Creating");
    job = updateJob(job, { state: "Shipping" }, at(3 * DAY));
    expect(job.state).toBe("Shipping");
    expect(job.creatingExpiresAt).toBeUndefined();
  });

  test("a failed Shipping update leaves the input job untouched", () => {
    const job = newJob();
    const before = structuredClone(job);
    thrown(() => updateJob(job, { state: "Shipping", deliveryPackage: DELIVERY }, at(DAY)));
    expect(job).toEqual(before);
  });

  test("asking for Shipping again on a Shipping job is not a change", () => {
    const shipping = jobIn("Shipping");
    const again = updateJob(shipping, { state: "Shipping" }, at(DAY));
    expect(again.state).toBe("Shipping");
    expect(again.history).toHaveLength(shipping.history.length);
  });

  test("asking for Shipping on a Received job is a 409 InvalidJobStateTransition", () => {
    const error = thrown(() => updateJob(jobIn("Received"), { state: "Shipping" }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobStateTransition");
  });
});

describe("cancellation", () => {
  test("CANCELLABLE_STATES are Creating to Transferring", () => {
    expect(CANCELLABLE_STATES).toEqual(["Creating", "Shipping", "Received", "Transferring"]);
  });

  test("cancel in Creating completes the job with cancelRequested", () => {
    const job = updateJob(newJob(), { cancelRequested: true }, at(DAY));
    expect(job.state).toBe("Completed");
    expect(job.cancelRequested).toBe(true);
    expect(job.history.at(-1)).toMatchObject({ from: "Creating", to: "Completed", reason: "Cancelled before shipping" });
  });

  test.each([["Shipping"], ["Received"], ["Transferring"]] as [JobState][])(
    "cancel in %s keeps the state and sets cancelRequested",
    (state) => {
      const before = jobIn(state);
      const job = updateJob(before, { cancelRequested: true }, at(DAY));
      expect(job.state).toBe(state);
      expect(job.cancelRequested).toBe(true);
      expect(job.history).toHaveLength(before.history.length);
    },
  );

  test.each([["Packaging"], ["Completed"], ["Closed"]] as [JobState][])("cancel in %s is a 409 CancellationNotAllowed", (state) => {
    const error = thrown(() => updateJob(jobIn(state), { cancelRequested: true }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("CancellationNotAllowed");
    expect(error.target).toBe("properties.cancelRequested");
    expect(error.message).toContain(`'${state}'`);
  });

  test("cancel in Faulted is a 409 JobFaulted that mentions an operator", () => {
    const faulted = jobIn("Faulted");
    expect(faulted.state).toBe("Faulted");
    const error = thrown(() => updateJob(faulted, { cancelRequested: true }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("JobFaulted");
    expect(error.message).toMatch(/operator/);
  });

  test("cancelRequested:false after a cancel is a 409 CancellationCannotBeWithdrawn", () => {
    const cancelled = updateJob(jobIn("Shipping"), { cancelRequested: true }, at(DAY));
    const error = thrown(() => updateJob(cancelled, { cancelRequested: false }, at(2 * DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("CancellationCannotBeWithdrawn");
  });

  test("cancelRequested:false on a job that was never cancelled is not a change", () => {
    const job = updateJob(jobIn("Shipping"), { cancelRequested: false }, at(DAY));
    expect(job.cancelRequested).toBe(false);
    expect(job.state).toBe("Shipping");
  });

  test("cancelling again is harmless, even once the job is Completed", () => {
    const shipping = updateJob(jobIn("Shipping"), { cancelRequested: true }, at(DAY));
    expect(updateJob(shipping, { cancelRequested: true }, at(2 * DAY)).cancelRequested).toBe(true);
    const completed = updateJob(newJob(), { cancelRequested: true }, at(DAY));
    const again = updateJob(completed, { cancelRequested: true }, at(2 * DAY));
    expect(again.state).toBe("Completed");
    expect(again.history).toHaveLength(completed.history.length);
  });

  test("cancel and Shipping in one update is a 400 ConflictingUpdate", () => {
    const job = newJob({ returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY });
    const error = thrown(() => updateJob(job, { cancelRequested: true, state: "Shipping" }, at(DAY)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("ConflictingUpdate");
  });
});

describe("which fields may change in which state", () => {
  test("the return address may change up to Packaging", () => {
    for (const state of ["Creating", "Shipping", "Received", "Transferring", "Packaging", "Faulted"] as JobState[]) {
      const job = updateJob(jobIn(state), { returnAddress: OTHER_RETURN_ADDRESS }, at(DAY));
      expect([state, job.returnAddress?.streetAddress1]).toEqual([state, "2 Other Ave"]);
    }
  });

  test.each([["Completed"], ["Closed"]] as [JobState][])("the return address cannot change in %s (409 PropertyNotUpdatable)", (state) => {
    const error = thrown(() => updateJob(jobIn(state), { returnAddress: OTHER_RETURN_ADDRESS }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("PropertyNotUpdatable");
    expect(error.target).toBe("properties.returnAddress");
    expect(error.message).toContain(`while the job is '${state}'`);
    expect(error.message).toContain("Creating, Shipping, Received, Transferring, Packaging, Faulted");
  });

  test("the delivery package may change while Shipping", () => {
    expect(updateJob(jobIn("Shipping"), { deliveryPackage: OTHER_DELIVERY }, at(DAY)).deliveryPackage).toEqual(OTHER_DELIVERY);
  });

  test("the delivery package cannot change once Received", () => {
    const error = thrown(() => updateJob(jobIn("Received"), { deliveryPackage: OTHER_DELIVERY }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("PropertyNotUpdatable");
    expect(error.target).toBe("properties.deliveryPackage");
  });

  test("the drive list may change while Creating", () => {
    const job = updateJob(newJob(), { driveList: [drive("D3")] }, at(DAY));
    expect(job.drives.map((d) => [d.driveId, d.state])).toEqual([["D3", "Specified"]]);
  });

  test.each([["Shipping"], ["Received"], ["Completed"]] as [JobState][])("the drive list cannot change in %s", (state) => {
    const error = thrown(() => updateJob(jobIn(state), { driveList: [drive("D3")] }, at(DAY)));
    expect(error.status).toBe(409);
    expect(error.code).toBe("PropertyNotUpdatable");
    expect(error.target).toBe("properties.driveList");
    expect(error.message).toContain("it can be changed in: Creating.");
  });

  test("a drive list in an update is validated like at creation", () => {
    expect(thrown(() => updateJob(newJob(), { driveList: [] }, at(DAY))).code).toBe("InvalidDriveCount");
    expect(thrown(() => updateJob(newJob(), { driveList: [drive("A"), drive("a")] }, at(DAY))).code).toBe("DuplicateDriveId");
  });

  test("log level and manifest backup may change while Shipping but not once Received", () => {
    const shipping = updateJob(jobIn("Shipping"), { logLevel: "Verbose", backupDriveManifest: true }, at(DAY));
    expect([shipping.logLevel, shipping.backupDriveManifest]).toEqual(["Verbose", true]);
    expect(thrown(() => updateJob(jobIn("Received"), { logLevel: "Verbose" }, at(DAY))).target).toBe("properties.logLevel");
    expect(thrown(() => updateJob(jobIn("Received"), { backupDriveManifest: true }, at(DAY))).target).toBe("properties.backupDriveManifest");
  });

  test("tags may change in every state", () => {
    expect(UPDATABLE_IN.tags).toEqual(JOB_STATES);
    expect(updateJob(jobIn("Closed"), { tags: { late: "yes" } }, at(DAY)).tags).toEqual({ late: "yes" });
  });

  test.each(JOB_STATES.map((state) => [state]))("sending fields with their current values is not a change in %s", (state) => {
    const job = jobIn(state);
    const sameValues: JobUpdate = {
      tags: {},
      // Same content, keys in another order.
      returnAddress: Object.fromEntries(Object.entries(RETURN_ADDRESS).reverse()) as unknown as ReturnAddress,
      deliveryPackage: { trackingNumber: DELIVERY.trackingNumber, carrierName: DELIVERY.carrierName },
      logLevel: "Error",
      backupDriveManifest: false,
      driveList: DRIVES,
    };
    const updated = updateJob(job, sameValues, at(DAY));
    expect(updated.state).toBe(state);
    expect(updated.returnAddress).toEqual(RETURN_ADDRESS);
    expect(updated.drives).toEqual(job.drives);
    expect(updated.history).toEqual(job.history);
  });

  test("an update leaves the job it was given unchanged", () => {
    const job = newJob();
    const before = structuredClone(job);
    updateJob(job, { tags: { a: "b" }, returnAddress: RETURN_ADDRESS }, at(DAY));
    expect(job).toEqual(before);
  });

  test("an update records who changed the job and when", () => {
    const job = updateJob(jobIn("Shipping"), { tags: { a: "b" } }, at(DAY, "someone-else"));
    expect(job.lastModifiedBy).toEqual({ id: "someone-else", type: "User" });
    expect(job.lastModifiedAt).toBe("2026-03-02T12:00:00.000Z");
  });
});

describe("redefineJob (create on an existing job)", () => {
  test("refuses another job type with a 400 PropertyChangeNotAllowed", () => {
    const error = thrown(() => redefineJob(newJob(), exportDefinition(), at(DAY)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("PropertyChangeNotAllowed");
    expect(error.target).toBe("properties.jobType");
  });

  test("refuses another location with a 400 PropertyChangeNotAllowed", () => {
    const error = thrown(() => redefineJob(newJob(), importDefinition({ location: "eastus" }), at(DAY)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("PropertyChangeNotAllowed");
    expect(error.target).toBe("location");
    expect(error.message).toContain("'westus'");
  });

  test.each([["West US"], ["WESTUS"], ["west us"]])("accepts %s for a westus job", (location) => {
    const job = redefineJob(newJob(), importDefinition({ location, tags: { v: "2" } }), at(DAY));
    expect(job.tags).toEqual({ v: "2" });
    expect(job.location).toBe("westus");
  });

  test("follows the update rules for other fields", () => {
    const received = jobIn("Received");
    const error = thrown(() =>
      redefineJob(received, importDefinition({ returnAddress: RETURN_ADDRESS, deliveryPackage: OTHER_DELIVERY }), at(DAY)),
    );
    expect(error.code).toBe("PropertyNotUpdatable");
    expect(error.target).toBe("properties.deliveryPackage");
    expect(thrown(() => redefineJob(received, importDefinition({ driveList: [drive("D9")] }), at(DAY))).target).toBe(
      "properties.driveList",
    );
  });

  test("repeating the same definition on a Received job is accepted and changes nothing", () => {
    const received = jobIn("Received");
    const job = redefineJob(received, importDefinition({ returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY }), at(DAY));
    expect(job.state).toBe("Received");
    expect(job.drives).toEqual(received.drives);
  });
});

describe("assertDeletable", () => {
  test.each([["Creating"], ["Completed"]] as [JobState][])("allows %s", (state) => {
    expect(() => assertDeletable(jobIn(state), RULES)).not.toThrow();
  });

  test.each([["Shipping"], ["Received"], ["Transferring"], ["Packaging"], ["Closed"], ["Faulted"]] as [JobState][])(
    "refuses %s with a 409 JobNotDeletable",
    (state) => {
      const error = thrown(() => assertDeletable(jobIn(state), RULES));
      expect(error.status).toBe(409);
      expect(error.code).toBe("JobNotDeletable");
      expect(error.message).toContain(`The job is '${state}'`);
    },
  );

  test("the Closed message mentions the purge 90 days after it closed", () => {
    const closed = jobIn("Closed");
    expect(closed.stateChangedAt).toBe("2026-03-01T14:00:00.000Z");
    const error = thrown(() => assertDeletable(closed, RULES));
    expect(error.message).toContain("90 days");
    expect(error.message).toContain("2026-05-30T14:00:00.000Z");
  });

  test("the Faulted message points to the operator", () => {
    expect(thrown(() => assertDeletable(jobIn("Faulted"), RULES)).message).toContain("operator");
  });
});

describe("jobPercentComplete", () => {
  function withDrives(state: JobState, drives: Drive[]): Job {
    return { ...jobIn(state), drives };
  }

  test("averages the drives, counting finished ones as 100 and ignoring NeverReceived", () => {
    const job = withDrives("Transferring", [
      driveAfter("D1", ["receive", "startTransfer"], 50),
      driveAfter("D2", ["receive", "startTransfer", "complete"], 10),
      driveAfter("D3", ["markNeverReceived"], 0),
    ]);
    expect(jobPercentComplete(job)).toBe(75);
  });

  test("rounds down", () => {
    const job = withDrives("Transferring", [
      driveAfter("D1", ["receive", "startTransfer"], 0),
      driveAfter("D2", ["receive", "startTransfer"], 0),
      driveAfter("D3", ["receive", "startTransfer", "completeWithInfo", "shipBack"], 0),
    ]);
    expect(jobPercentComplete(job)).toBe(33);
  });

  test("is 0 when no drive will be copied", () => {
    expect(jobPercentComplete(withDrives("Received", [driveAfter("D1", ["markNeverReceived"], 0)]))).toBe(0);
    expect(jobPercentComplete(withDrives("Creating", []))).toBe(0);
  });

  test.each([["Completed"], ["Closed"]] as [JobState][])("is 100 for a %s job whatever its drives say", (state) => {
    expect(jobPercentComplete(withDrives(state, [driveAfter("D1", ["receive"], 0)]))).toBe(100);
  });

  test("a new job is at 0", () => {
    expect(jobPercentComplete(newJob())).toBe(0);
  });
});

describe("history", () => {
  test("records each state change with time, actor and reason", () => {
    let job = newJob({ returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY });
    job = updateJob(job, { tags: { a: "1" } }, at(1_000));
    job = updateJob(job, { state: "Shipping" }, at(2_000));
    job = transition(job, "receivePackage", operator(3_000), "Package arrived");
    job = transition(job, "startTransfer", operator(4_000), "Copy started");
    job = transition(job, "fault", operator(5_000), "Drive unreadable");
    expect(job.stateBeforeFault).toBe("Transferring");
    job = transition(job, "clearFault", operator(6_000), "Drive replaced");
    expect(job.state).toBe("Transferring");
    expect(job.stateBeforeFault).toBeUndefined();
    job = transition(job, "beginPackaging", operator(7_000), "All drives done");
    job = transition(job, "complete", operator(8_000), "Drives shipped back");

    expect(job.state).toBe("Completed");
    expect(job.stateChangedAt).toBe("2026-03-01T12:00:08.000Z");
    expect(job.history.map(({ from, to, by, reason, at: when }) => [from, to, by, reason, when])).toEqual([
      [null, "Creating", "customer", "Job created", "2026-03-01T12:00:00.000Z"],
      ["Creating", "Shipping", "customer", "Customer marked the package as shipped", "2026-03-01T12:00:02.000Z"],
      ["Shipping", "Received", "operator", "Package arrived", "2026-03-01T12:00:03.000Z"],
      ["Received", "Transferring", "operator", "Copy started", "2026-03-01T12:00:04.000Z"],
      ["Transferring", "Faulted", "operator", "Drive unreadable", "2026-03-01T12:00:05.000Z"],
      ["Faulted", "Transferring", "operator", "Drive replaced", "2026-03-01T12:00:06.000Z"],
      ["Transferring", "Packaging", "operator", "All drives done", "2026-03-01T12:00:07.000Z"],
      ["Packaging", "Completed", "operator", "Drives shipped back", "2026-03-01T12:00:08.000Z"],
    ]);
  });

  test("a refused transition leaves the job and its history as they were", () => {
    const job = jobIn("Creating");
    const error = thrown(() => transition(job, "receivePackage", operator(1_000), "Package arrived"));
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(job.history).toHaveLength(1);
    expect(job.state).toBe("Creating");
  });

  test("a job stored as Faulted without its earlier state cannot be resumed", () => {
    // An impossible stored state: Faulted with no record of what it was before.
    const broken: Job = { ...jobIn("Received"), state: "Faulted", stateBeforeFault: undefined };
    const error = thrown(() => transition(broken, "clearFault", operator(1_000), "Cleared"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobState");
  });
});
