/**
 * The invariant checker itself: jobs built through the domain's own operations pass; each broken
 * rule is reported (so an empty report in the other suites means something); and against storage,
 * a missing index entry, a blob a job claims but lacks, and an orphan blob are found.
 */
import { randomBytes } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import { createDeadlineIndex, getSettings } from "../../shared/service/app/composition";
import { jobDeadlines } from "../../shared/domain/deadlines";
import { createJob, Job, markShipping, OperationContext } from "../../shared/domain/job";
import { applyOperatorEvent, OperatorEvent } from "../../shared/domain/operator-events";
import { checkJob, InvariantProblem } from "../support/invariants";
import { jobSubject } from "../../shared/storage/deadline-index.store";
import { driveSpec as apiDriveSpec, importJobBody, newSubscriptionId } from "../support/service";
import { createJob as createJobThroughApi } from "../api/helpers";
import { keysOf, MaintenanceHarness, startMaintenanceService, storedJob, table, jobsTableClient } from "../maintenance/helpers";
import { at, domainDrive as spec, HOUR, JOB_KEY as KEY, RETURN_ADDRESS as ADDRESS, STORAGE_ACCOUNT as STORAGE } from "../support/fixtures";
import { checkAll } from "./helpers";

const RULES = { creatingLifetimeMs: HOUR, shippingWaitMs: 2 * HOUR, finishedRetentionMs: 4 * HOUR };
let minute = 0;
function as(role: "customer" | "operator"): OperationContext {
  return { now: at(++minute * 60_000), actor: { id: role, type: "User", role }, rules: RULES };
}

function apply(job: Job, ...events: OperatorEvent[]): Job {
  return events.reduce((current, event) => applyOperatorEvent(current, event, as("operator")).job, job);
}

function shippingImport(): Job {
  const created = createJob(KEY, { location: "westus", jobType: "Import", storageAccountId: STORAGE, returnAddress: ADDRESS, deliveryPackage: { carrierName: "FedEx", trackingNumber: "1" }, driveList: [spec("D1"), spec("D2")] }, {}, as("customer"));
  return markShipping(created, as("customer"));
}

/** An import job copying D1, after a fault on D1 raised and cleared. */
function copyingImport(): Job {
  return apply(
    shippingImport(),
    { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "1", driveIds: ["D1", "D2"] },
    { type: "TransferStarted", driveId: "D1" },
    { type: "FaultDrive", driveId: "D1", reason: "bad sector" },
    { type: "ClearDriveFault", driveId: "D1", reason: "reseated" },
  );
}

const codes = (problems: InvariantProblem[]) => problems.map((problem) => problem.code);

describe("checkJob (pure)", () => {
  test("jobs built through the state machines pass, at every step of a life cycle, import and export", () => {
    const shipping = shippingImport();
    const copying = copyingImport();
    const packaging = apply(copying, { type: "TransferStarted", driveId: "D2" }, { type: "TransferFinished", driveId: "D1", outcome: "Completed" }, { type: "TransferFinished", driveId: "D2", outcome: "CompletedMoreInfo" });
    expect(packaging.state).toBe("Packaging");
    const closed = apply(packaging, { type: "ShippedBack", carrierName: "UPS", trackingNumber: "R", driveCount: 2, shipDate: "2026-03-20" });
    expect(closed.state).toBe("Closed");
    const faulted = apply(copying, { type: "FaultJob", reason: "flood" });
    const exported = apply(
      markShipping(createJob({ ...KEY, name: "export1" }, { location: "westus", jobType: "Export", storageAccountId: STORAGE, returnAddress: ADDRESS, deliveryPackage: { carrierName: "FedEx", trackingNumber: "2" }, export: { blobPathPrefix: ["/c/"] } }, {}, as("customer")), as("customer")),
      { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "2", driveIds: ["E1", "E2"] },
      { type: "TransferStarted", driveId: "E1" },
    );
    for (const job of [shipping, copying, packaging, closed, faulted, exported]) expect(checkJob(job)).toEqual([]);
  });

  test("a gap in the job's or a drive's history, or a history that ends elsewhere, is reported", () => {
    const job = copyingImport();
    const withoutShipping = { ...job, history: job.history.filter((entry) => !(entry.driveId === undefined && entry.to === "Shipping")) };
    expect(checkJob(withoutShipping)).toEqual([expect.objectContaining({ code: "HistoryGap", subject: "00000000-0000-0000-0000-000000000001/rg/job1", severity: "error" })]);
    const withoutFault = { ...job, history: job.history.filter((entry) => !(entry.driveId === "D1" && entry.to === "Faulted")) };
    expect(checkJob(withoutFault)).toEqual([expect.objectContaining({ code: "HistoryGap", subject: "00000000-0000-0000-0000-000000000001/rg/job1 drive D1" })]);
    expect(codes(checkJob({ ...job, history: job.history.slice(0, -1) }))).toEqual(["HistoryEnd"]);
    expect(codes(checkJob({ ...job, history: [...job.history, { ...job.history[0], driveId: "D9", from: null, to: "Received" }] }))).toEqual(["HistoryGap"]);
  });

  test("illegal states, drives that don't fit the job's state, and lost fault bookkeeping are reported", () => {
    const copying = copyingImport();
    const packaging = apply(copying, { type: "TransferStarted", driveId: "D2" }, { type: "TransferFinished", driveId: "D1", outcome: "Completed" }, { type: "TransferFinished", driveId: "D2", outcome: "Completed" });
    const rewrite = (job: Job, state: string, drives: Partial<Record<string, string>>, extra: Partial<Job> = {}): Job => ({
      ...job,
      ...extra,
      state: state as Job["state"],
      drives: job.drives.map((drive) => (drives[drive.driveId] ? { ...drive, state: drives[drive.driveId] as Job["drives"][number]["state"] } : drive)),
      // The history follows, so only the rule under test breaks.
      history: [
        ...job.history,
        ...(state !== job.state ? [{ ...job.history[0], from: job.state, to: state }] : []),
        ...Object.entries(drives).map(([driveId, to]) => ({ ...job.history[0], driveId, from: job.drives.find((drive) => drive.driveId === driveId)!.state, to: to! })),
      ],
    });

    expect(codes(checkJob(rewrite(copying, "Lost", {})))).toEqual(["IllegalJobState"]);
    expect(codes(checkJob(rewrite(copying, "Transferring", { D2: "Misplaced" })))).toEqual(["IllegalDriveState"]);
    expect(codes(checkJob(rewrite(shippingImport(), "Shipping", { D1: "Received" })))).toEqual(["DriveStateInconsistent"]);
    expect(codes(checkJob(rewrite(packaging, "Packaging", { D2: "Received" })))).toEqual(["DriveStateInconsistent"]); // work left
    expect(codes(checkJob(rewrite(packaging, "Packaging", { D2: "Faulted" })))).toEqual(["FaultBookkeeping", "DriveStateInconsistent"]);
    expect(codes(checkJob(rewrite(copying, "Closed", {})))).toEqual(["DriveStateInconsistent"]); // D1 still Transferring
    expect(codes(checkJob({ ...apply(copying, { type: "FaultJob", reason: "x" }), stateBeforeFault: undefined }))).toEqual(["FaultBookkeeping"]);
    expect(codes(checkJob({ ...copying, stateBeforeFault: "Received" }))).toEqual(["FaultBookkeeping"]);
  });
});

describe("checkStorage (against Azurite)", () => {
  let h: MaintenanceHarness;
  beforeAll(async () => {
    h = await startMaintenanceService({ LOGS_CONTAINER_NAME: `invariants-${randomBytes(5).toString("hex")}` });
  });
  afterAll(() => h.close());

  const mine = (problems: InvariantProblem[], sub: string) => problems.filter((problem) => problem.subject.includes(sub)).map(({ code, severity }) => [code, severity]);

  test("a job written through the API passes; without its index entry, or claiming a blob it lacks, it does not; a blob of no job is an orphan", async () => {
    const sub = newSubscriptionId();
    await createJobThroughApi(h.service, sub, "rg", "checked", importJobBody(sub, { properties: { driveList: [apiDriveSpec("DRIVE01")] } }));
    expect(mine(await checkAll(), sub)).toEqual([]);

    // The CreatingExpiry entry, gone.
    const job = (await storedJob(sub, "rg", "checked"))!;
    const [deadline] = jobDeadlines(job, getSettings().rules);
    const entry = createDeadlineIndex(getSettings()).entryOf(deadline, jobSubject(job));
    await table(entry.table).deleteEntity(entry.shard, entry.rowKey);
    expect(mine(await checkAll(), sub)).toEqual([["MissingIndexEntry", "error"]]);

    // A drive that claims an error log nobody wrote.
    const { partitionKey, rowKey } = keysOf(sub, "rg", "checked");
    const claimed = { ...job, drives: job.drives.map((drive) => ({ ...drive, blobs: { errorLog: true } })) };
    await jobsTableClient().updateEntity({ partitionKey, rowKey, Job: JSON.stringify(claimed) }, "Merge");
    expect(mine(await checkAll(), sub)).toEqual([["MissingIndexEntry", "error"], ["MissingBlob", "error"]]);

    // A log of a job that does not exist: tolerated, but reported.
    const container = BlobServiceClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!).getContainerClient(getSettings().logsContainerName);
    await container.getBlockBlobClient(`waimportexport/${sub}/rg/gone/drives/DRIVE01/error.log`).upload("x", 1);
    expect(mine(await checkAll(), sub)).toEqual([["MissingIndexEntry", "error"], ["MissingBlob", "error"], ["OrphanBlob", "cleanup"]]);
  });
});
