/**
 * Many writers at one job at once: customer PATCHes (tag sets with distinct keys, return-address
 * corrections), operator events (progress on a copying drive, faults raised and cleared on two
 * drives) and a maintenance sweep that owes the job its outbox. Each accepted write (2xx) must be in
 * the final job, each refused one a 409 in the ARM shape, none a 5xx, and the history must have no
 * gap. The lanes are built so the final job is checkable: tag and address writers go in bursts (the
 * final value is one of the last burst's accepted values), each progress writer sends rising
 * percents with one log line each, and each drive's faults are raised and cleared by one writer.
 */
import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { getSettings } from "../../shared/service/app/composition";
import { OUTBOX_GRACE_MS } from "../../shared/domain/deadlines";
import { Job } from "../../shared/domain/job";
import { driveBlobName } from "../../shared/domain/log-blobs";
import { checkJob } from "../support/invariants";
import { createQueueServiceClient } from "../../shared/storage/clients";
import { Bookkeeping, JobsStore, StoredJob } from "../../shared/storage/jobs.store";
import { ApiResponse, importJobBody, newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { createJob, expectArmError } from "../api/helpers";
import { driveChanges, event, getHistory, getJob, jobChanges, markShipping, PACKAGE, patchJob, postEvent } from "../operator/helpers";
import { buildSweep, indexEntriesOf, JobRef, MaintenanceHarness, MINUTE, runSweep, startMaintenanceService, storedJob } from "../maintenance/helpers";
import { checkAll, describeProblems, sleep } from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  // Its own logs container too: the checker reports blobs of jobs it can't see as orphans.
  h = await startMaintenanceService({ LOGS_CONTAINER_NAME: `resilience-${randomBytes(5).toString("hex")}` });
});
afterAll(() => h.close());

const RG = "resilience-rg";
const ROUNDS = [1, 2, 3, 4, 5];

/** Whether a write was accepted (200); otherwise it must be a 409 with one of `codes`, in the ARM shape. */
function accepted(response: ApiResponse, codes: string[], what: string): boolean {
  if (response.status === 200) return true;
  if (response.status !== 409) throw new Error(`${what}: expected 200 or 409, got ${response.status} ${JSON.stringify(response.body)}`);
  const code = response.body?.error?.code as string;
  if (!codes.includes(code)) throw new Error(`${what}: 409 ${code} is not one of ${codes.join(", ")}: ${JSON.stringify(response.body)}`);
  expectArmError(response, 409, code);
  return false;
}

async function readBlob(name: string): Promise<string> {
  const container = BlobServiceClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!).getContainerClient(getSettings().logsContainerName);
  return (await container.getBlobClient(name).downloadToBuffer()).toString("utf8");
}

function queue() {
  const settings = getSettings();
  return createQueueServiceClient(settings).getQueueClient(settings.notificationsQueueName);
}

/**
 * An import job (DRIVE01, DRIVE02, verbose logs) with DRIVE01 copying, whose copy started while the
 * notification queue was gone: the two state-change messages wait in the job's outbox.
 */
async function copyingJobWithOutbox(name: string): Promise<{ job: JobRef; outbox: string[] }> {
  const job = { sub: newSubscriptionId(), rg: RG, name };
  await createJob(h.service, job.sub, RG, name, importJobBody(job.sub, { properties: { returnAddress: RETURN_ADDRESS, logLevel: "Verbose" } }));
  await markShipping(h.service, job);
  await event(h.service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
  await queue().delete();
  try {
    expect((await event(h.service, job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 100_000 })).properties.state).toBe("Transferring");
  } finally {
    await queue().createIfNotExists();
  }
  const stored = (await storedJob(job.sub, RG, name))!;
  expect(stored.outbox?.map((message) => [message.kind, message.from, message.to])).toEqual([
    ["DriveStateChanged", "Received", "Transferring"],
    ["JobStateChanged", "Received", "Transferring"],
  ]);
  expect((await indexEntriesOf(job.sub, RG, name)).filter((entry) => entry.endsWith("|Outbox"))).toHaveLength(1);
  return { job, outbox: stored.outbox!.map((message) => message.id) };
}

/** Runs `count` bursts of concurrent PATCHes; returns each burst's accepted values. */
async function burstLane<T>(count: number, width: number, valueOf: (burst: number, writer: number) => T, bodyOf: (value: T) => unknown, echoed: (body: ApiResponse["body"]) => T, job: JobRef): Promise<T[][]> {
  const bursts: T[][] = [];
  for (let burst = 0; burst < count; burst++) {
    const values = Array.from({ length: width }, (_, writer) => valueOf(burst, writer));
    const responses = await Promise.all(values.map((value) => patchJob(h.service, job, bodyOf(value))));
    bursts.push(
      values.filter((value, i) => {
        if (!accepted(responses[i], ["ConcurrentUpdateConflict"], `PATCH ${JSON.stringify(bodyOf(value))}`)) return false;
        expect(echoed(responses[i].body)).toEqual(value);
        return true;
      }),
    );
  }
  return bursts;
}

/** The value after the bursts: one of the last burst that had an accepted write, else the initial one. */
function lastAccepted<T>(bursts: T[][], initial: T): T[] {
  return [...bursts].reverse().find((burst) => burst.length > 0) ?? [initial];
}

/** Raises and clears a drive's fault `cycles` times, retrying each until accepted; returns how many cycles were done. */
async function faultLane(job: JobRef, driveId: string, cycles: number): Promise<number> {
  let done = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (const type of ["FaultDrive", "ClearDriveFault"]) {
      let ok = false;
      for (let attempt = 0; attempt < 10 && !ok; attempt++) {
        // This lane is the only one moving the drive between its state and Faulted, so the event is always
        // allowed: the only refusal possible is a lost race.
        ok = accepted(await postEvent(h.service, job, { type, driveId, reason: `${type} ${cycle}.${attempt}` }), ["ConcurrentUpdateConflict"], `${type} ${driveId}`);
      }
      if (!ok) throw new Error(`${type} on ${driveId} lost 10 races in a row`);
    }
    done++;
  }
  return done;
}

const PROGRESS_WRITERS = 2;
const PROGRESS_STEPS = 8;
const percentOf = (writer: number, step: number) => 5 * (step + 1) + writer; // distinct across writers, rising per writer

/** One progress writer: rising percents, each with its own verbose log line; returns the accepted ones in order. */
async function progressLane(job: JobRef, writer: number): Promise<number[]> {
  const acceptedPercents: number[] = [];
  for (let step = 0; step < PROGRESS_STEPS; step++) {
    const percent = percentOf(writer, step);
    const response = await postEvent(h.service, job, {
      type: "TransferProgress",
      driveId: "DRIVE01",
      bytesSucceeded: percent * 1000,
      totalBytes: 100_000,
      percentComplete: percent,
      verboseLog: [`progress ${percent}`],
    });
    // Refused while the fault lane has the drive Faulted.
    if (accepted(response, ["ConcurrentUpdateConflict", "InvalidDriveState"], `progress ${percent}`)) acceptedPercents.push(percent);
  }
  return acceptedPercents;
}

test.each(ROUNDS)("round %i: concurrent PATCHes, operator events and a sweep: every accepted write is kept, every refusal a 409, the history without gap", async (round) => {
  const { job, outbox } = await copyingJobWithOutbox(`contended-${round}`);
  h.clock.advance(OUTBOX_GRACE_MS + MINUTE); // the outbox is owed: the sweep sends it and clears it
  await h.inbox.drain();

  const addressOf = (burst: number, writer: number) => ({ ...RETURN_ADDRESS, recipientName: `Person ${round}.${burst}.${writer}`, streetAddress1: `${burst * 10 + writer} Main Street` });
  const [tagBursts, addressBursts, progress, faults1, faults2, sweep] = await Promise.all([
    burstLane(4, 3, (burst, writer) => ({ [`b${burst}w${writer}`]: `round-${round}`, writer: `${burst}.${writer}` }), (tags) => ({ tags }), (body) => body.tags, job),
    burstLane(4, 2, addressOf, (returnAddress) => ({ properties: { returnAddress } }), (body) => body.properties.returnAddress, job),
    Promise.all(Array.from({ length: PROGRESS_WRITERS }, (_, writer) => progressLane(job, writer))),
    faultLane(job, "DRIVE01", 3),
    faultLane(job, "DRIVE02", 2),
    sleep(Math.floor(Math.random() * 250)).then(() => runSweep(h.service)),
  ]);
  expect(sweep.sweep.errors).toEqual([]);
  expect(faults1).toBe(3);
  expect(faults2).toBe(2);

  // A quiet sweep afterwards: whatever the racing one could not clear, this one sends and clears.
  const quiet = await runSweep(h.service);
  expect(quiet.sweep.errors).toEqual([]);
  // Exactly one of them sent and cleared it: the racing one, or (when a writer got in between its
  // send and its clear, which keeps the outbox and its entry) the quiet one.
  expect((sweep.sweep.byKind.Outbox ?? 0) + (quiet.sweep.byKind.Outbox ?? 0)).toBe(1);
  expect(sweep.sweep.skippedChangedMeanwhile).toBe(1 - (sweep.sweep.byKind.Outbox ?? 0));
  const final = (await storedJob(job.sub, RG, job.name)) as Job;
  expect(final.outbox ?? []).toEqual([]);
  const received = new Set((await h.inbox.forJob(job.sub, job.name)).map((message) => message.id));
  for (const id of outbox) expect(received).toContain(id);

  // Tags and return address: one of the last burst's accepted values, whole (never a blend).
  expect(tagBursts.flat().length).toBeGreaterThan(0);
  expect(addressBursts.flat().length).toBeGreaterThan(0);
  expect(lastAccepted<Record<string, string>>(tagBursts, {})).toContainEqual(final.tags);
  expect(lastAccepted(addressBursts, RETURN_ADDRESS)).toContainEqual(final.returnAddress);
  expect((await getJob(h.service, job)).tags).toEqual(final.tags);

  // States: every fault raised was cleared; the job copies on.
  expect(final.state).toBe("Transferring");
  expect(final.hadFault).toBe(true);
  expect(final.drives.map((drive) => [drive.driveId, drive.state, drive.stateBeforeFault])).toEqual([
    ["DRIVE01", "Transferring", undefined],
    ["DRIVE02", "Received", undefined],
  ]);
  const history = await getHistory(h.service, job);
  expect(jobChanges(history).map(([from, to]) => [from, to])).toEqual([
    [null, "Creating"],
    ["Creating", "Shipping"],
    ["Shipping", "Received"],
    ["Received", "Transferring"],
  ]);
  const cycles = (count: number, state: string) => Array.from({ length: count }, () => [[state, "Faulted"], ["Faulted", state]]).flat();
  expect(driveChanges(history, "DRIVE01").map(([from, to]) => [from, to])).toEqual([["Specified", "Received"], ["Received", "Transferring"], ...cycles(3, "Transferring")]);
  expect(driveChanges(history, "DRIVE02").map(([from, to]) => [from, to])).toEqual([["Specified", "Received"], ...cycles(2, "Received")]);

  // Progress: the drive shows the last accepted percent of one writer (each writer's percents
  // rise), with its bytes; every accepted percent is in the verbose log exactly once, and every
  // line there is one that was sent (a refused event may have logged before it lost).
  const drive = final.drives[0];
  const acceptedPercents = progress.flat();
  const lasts = progress.filter((percents) => percents.length > 0).map((percents) => percents[percents.length - 1]);
  if (acceptedPercents.length === 0) {
    expect(drive.percentComplete).toBe(0);
  } else {
    expect(lasts).toContain(drive.percentComplete);
    expect(drive.bytesSucceeded).toBe(drive.percentComplete * 1000);
    // Read with the account key: the SAS of Get Job is signed on the test clock, ahead of real time.
    expect(drive.blobs?.verboseLog).toBe(true);
    const verbose = await readBlob(driveBlobName(final, "DRIVE01", "verboseLog"));
    const logged = verbose.split("\n").filter(Boolean).map((line) => Number(/^\S+ progress (\d+)$/.exec(line)![1]));
    const sent = new Set(Array.from({ length: PROGRESS_WRITERS }, (_, writer) => Array.from({ length: PROGRESS_STEPS }, (_, step) => percentOf(writer, step))).flat());
    for (const percent of logged) expect(sent).toContain(percent);
    expect(new Set(logged).size).toBe(logged.length);
    for (const percent of acceptedPercents) expect(logged).toContain(percent);
  }

  // The invariant checker: this job alone, then everything in this suite's storage.
  expect(describeProblems(checkJob(final))).toEqual([]);
  expect(describeProblems(await checkAll())).toEqual([]);
});

test("a write between the sweep sending an owed outbox and clearing it: the outbox keeps its index entry and the next sweep sends it", async () => {
  const { job, outbox } = await copyingJobWithOutbox("outbox-race");
  h.clock.advance(OUTBOX_GRACE_MS + MINUTE);
  await h.inbox.drain();
  let raced = 0;
  /** A jobs store that lets the customer write just before the sweep clears the outbox it sent. */
  class RacingJobsStore extends JobsStore {
    override async replace(next: Job, base: StoredJob, bookkeeping?: Bookkeeping): Promise<StoredJob> {
      if (raced === 0 && next.outbox === undefined && (base.job.outbox?.length ?? 0) > 0) {
        raced++;
        expect((await patchJob(h.service, job, { tags: { racer: "won" } })).status).toBe(200);
      }
      return super.replace(next, base, bookkeeping);
    }
  }
  const { sweep } = buildSweep(h.clock, (table: TableClient) => new RacingJobsStore(table));

  const first = await sweep.run();
  expect(raced).toBe(1);
  expect(first.errors).toEqual([]);
  expect([...new Set((await h.inbox.forJob(job.sub, job.name)).map((message) => message.id))].sort()).toEqual([...outbox].sort());
  const kept = (await storedJob(job.sub, RG, job.name))!;
  expect(kept.tags).toEqual({ racer: "won" });
  expect(kept.outbox?.map((message) => message.id)).toEqual(outbox);
  // The customer's write kept the outbox; its entry must stay too, or nothing brings a sweep back.
  expect((await indexEntriesOf(job.sub, RG, job.name)).filter((entry) => entry.endsWith("|Outbox"))).toHaveLength(1);

  const second = await sweep.run();
  expect(second.errors).toEqual([]);
  expect(second.byKind).toEqual({ Outbox: 1 });
  expect((await storedJob(job.sub, RG, job.name))!.outbox).toBeUndefined();
  // Sent and cleared: its entry is dropped (the older ones of past states are not due yet).
  expect((await indexEntriesOf(job.sub, RG, job.name)).filter((entry) => entry.endsWith("|Outbox"))).toEqual([]);
  expect(describeProblems(checkJob((await storedJob(job.sub, RG, job.name))!))).toEqual([]);
});
