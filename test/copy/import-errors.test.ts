/**
 * What goes wrong on a drive, through the agent: blob errors (a file missing, truncated or
 * corrupted, an invalid blob name, two files for one blob) are logged and the drive goes on to
 * `CompletedMoreInfo`; drive errors (the wrong key, a tampered manifest, an account the data center
 * cannot reach) fault the drive with the reason and copy nothing.
 */
import { readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { md5Hex } from "../../shared/formats/drive-manifest";
import { generateRecoveryPassword } from "../../shared/formats/key-record";
import { api, jobUrl } from "../api/helpers";
import { event, getHistory, markShipping } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { startCopySuite, stopCopySuite } from "../support/copy-setup";
import {
  agentArgs,
  blobNames,
  DriveEntry,
  driveStatus,
  fetchLog,
  lastJsonLine,
  prepareDrive,
  randomContent,
  receivedJob,
  runCli,
  sourceFolder,
  tempDir,
  uniqueName,
} from "./helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

/** Rewrites the manifest and returns the entry with its new hash, as a customer creating the job from it would. */
function editManifest(drive: string, entry: DriveEntry, edit: (xml: string) => string): DriveEntry {
  const file = path.join(drive, "DriveManifest.xml");
  const xml = edit(readFileSync(file, "utf8"));
  writeFileSync(file, xml);
  return { ...entry, manifestHash: md5Hex(Buffer.from(xml)) };
}

test("each blob error is logged with its code and the drive finishes CompletedMoreInfo, the good blobs copied", async () => {
  const containerName = uniqueName("errs");
  const source = sourceFolder({
    "good.txt": "fine\n",
    "missing.txt": "gone before the copy\n",
    "truncated.bin": randomContent(200_000),
    "corrupted.bin": randomContent(100_000),
    "twin-a.txt": "first of two\n",
    "twin-b.txt": "second of two\n",
    "badname.txt": "its blob name is refused\n",
  });
  const prepared = await prepareDrive(driveTool, ["--source", source, "--destination", containerName, "--block-size", "65536"]);
  const { drive } = prepared;
  const onDrive = (name: string) => path.join(drive, containerName, name);
  rmSync(onDrive("missing.txt"));
  truncateSync(onDrive("truncated.bin"), 150_000);
  const corrupted = readFileSync(onDrive("corrupted.bin"));
  corrupted[70_000] ^= 0xff;
  writeFileSync(onDrive("corrupted.bin"), corrupted);
  // Two files for one blob, and a blob name Azure refuses (the customer edited the manifest by hand).
  const entry = editManifest(drive, prepared.entry, (xml) =>
    xml.replace(`${containerName}/twin-b.txt`, `${containerName}/twin-a.txt`).replace(`${containerName}/badname.txt`, "Bad_Container/badname.txt"),
  );
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("errors") };
  await receivedJob(service, job, [entry], { logLevel: "Verbose" });

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state"), ["--log-format", "json"]));

  expect(run.code).toBe(3);
  const result = lastJsonLine(run.stdout);
  expect(result.outcome).toBe("CompletedMoreInfo");
  expect(result.summary).toEqual({
    blobsCopied: 3,
    issuesByKind: { FileNotFound: 1, FileUnexpectedEnd: 1, Corrupted: 1, BlobRequestFailed: 1, Renamed: 1 },
  });
  // The agent's log (stderr, --log-format json): each failure it caught with its cause, then the run's one record.
  const records = run.stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  const jobPath = `${job.sub}/${job.rg}/${job.name}`;
  expect(records).toContainEqual(expect.objectContaining({ level: "warn", status: "FileNotFound", path: `${containerName}/missing.txt`, job: jobPath, error: expect.objectContaining({ message: expect.any(String) }) }));
  expect(records).toContainEqual(expect.objectContaining({ level: "warn", status: "BlobRequestFailed", path: "Bad_Container/badname.txt", error: expect.objectContaining({ name: "BlobNameError" }) }));
  const copy = records.filter((record) => record.event === "copy");
  expect(copy).toEqual([
    expect.objectContaining({
      level: "warn",
      direction: "import",
      outcome: "CompletedMoreInfo",
      job: jobPath,
      driveId: entry.driveId,
      agentId: expect.any(String),
      blobsCopied: 3,
      bytesCopied: expect.any(Number),
      durationMs: expect.any(Number),
      issuesByKind: result.summary.issuesByKind,
      errorLog: expect.not.stringContaining("sig="),
    }),
  ]);
  expect(await blobNames(containerName)).toEqual(["good.txt", "twin-a (2).txt", "twin-a.txt"]);

  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status.state).toBe("CompletedMoreInfo");
  expect(status.copyStatus).toBe("CompletedWithErrors");
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.status).toBe("CompletedWithErrors");
  const byFile = Object.fromEntries(errorLog.blobs.map((blob) => [blob.filePath, blob]));
  const file = (name: string) => `\\${containerName}\\${name}`;
  expect(Object.keys(byFile).sort()).toEqual(["badname.txt", "corrupted.bin", "missing.txt", "truncated.bin", "twin-b.txt"].map(file));
  expect(byFile[file("missing.txt")].status).toBe("FileNotFound");
  expect(byFile[file("truncated.bin")].status).toBe("CompletedWithErrors");
  expect(byFile[file("truncated.bin")].blocks?.map((block) => block.status)).toEqual(["Uncommitted", "Uncommitted", "FileUnexpectedEnd", "Cancelled"]);
  expect(byFile[file("corrupted.bin")].blocks?.find((block) => block.offset === 65536)?.status).toBe("Corrupted");
  expect(byFile[file("badname.txt")].status).toBe("BlobRequestFailed");
  expect(byFile[file("twin-b.txt")]).toMatchObject({ status: "Completed", blobPath: `${containerName}/twin-a (2).txt`, importDisposition: { status: "Renamed", value: "rename" } });
  // The verbose log has every blob; the error log only those with something to say.
  const verbose = await fetchLog(status.verboseLogUri);
  expect(verbose.blobs).toHaveLength(7);
  // The portal's timeline carries the log's summary for the job page.
  const timeline = await api(service, "GET", `/portal/api/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}/timeline`);
  expect(timeline.body.copyLogs).toEqual([{ driveId: entry.driveId, ...result.summary }]);
});

test("a metadata file larger than any blob's metadata is refused unread for each blob naming it (bug: each blob in flight read it whole)", async () => {
  const containerName = uniqueName("bigmeta");
  const side = sourceFolder({ "meta.xml": "<Metadata><owner>ana</owner></Metadata>" });
  const files = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`f${index}.txt`, `file ${index}\n`]));
  const prepared = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName, "--metadata", path.join(side, "meta.xml")]);
  // The customer's metadata file on the drive: well formed, and 1 MiB of indentation.
  const padded = Buffer.from(`<Metadata>${" ".repeat(1024 * 1024)}<owner>ana</owner></Metadata>`);
  const metadataFile = path.join(prepared.drive, "_ImportExport", "metadata-1.xml");
  const oldHash = md5Hex(readFileSync(metadataFile)).toUpperCase();
  writeFileSync(metadataFile, padded);
  const entry = editManifest(prepared.drive, prepared.entry, (xml) => xml.replace(oldHash, md5Hex(padded).toUpperCase()));
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("bigmeta") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, prepared.drive, tempDir("state"), ["--parallelism", "8"]));

  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout).summary).toEqual({ blobsCopied: 0, issuesByKind: { MetadataXmlReadFailed: 8 } });
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.map((blob) => blob.metadata?.status)).toEqual(Array(8).fill("XmlReadFailed"));
  expect(await blobNames(containerName)).toEqual([]);
});

test("the wrong BitLocker key faults the drive (BitLockerKeyInvalid) and copies nothing", async () => {
  const containerName = uniqueName("key");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  let otherKey = generateRecoveryPassword();
  while (otherKey === entry.bitLockerKey) otherKey = generateRecoveryPassword();
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("wrongkey") };
  await receivedJob(service, job, [{ ...entry, bitLockerKey: otherKey }]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "BitLockerKeyInvalid" });
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status.state).toBe("Faulted");
  const history = await getHistory(service, job);
  expect(history.find((change) => change.to === "Faulted")?.reason).toMatch(/^BitLockerKeyInvalid: .*does not unlock/);
  // Get Job links the agent's error log, which holds the drive's status.
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog).toEqual({ driveId: entry.driveId, blobs: [], status: "BitLockerKeyInvalid", description: expect.stringMatching(/^BitLockerKeyInvalid: .*does not unlock/) });
  expect(await blobNames(containerName)).toEqual([]);
});

test("a manifest changed after the job was created faults the drive (ManifestCorrupted)", async () => {
  const containerName = uniqueName("tamper");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a", "b.txt": "b" }), "--destination", containerName]);
  const manifest = path.join(drive, "DriveManifest.xml");
  writeFileSync(manifest, readFileSync(manifest, "utf8").replace("a.txt</BlobPath>", "x.txt</BlobPath>"));
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("tampered") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestCorrupted" });
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status.state).toBe("Faulted");
  expect(await blobNames(containerName)).toEqual([]);
});

test("a manifest nesting 100,000 elements faults the drive (ManifestFormatInvalid); bug: the agent crashed on a stack overflow", async () => {
  const containerName = uniqueName("deep");
  const prepared = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  const deep = "<x>".repeat(100_000) + "</x>".repeat(100_000);
  const entry = editManifest(prepared.drive, prepared.entry, (xml) => xml.replace("<BlobPath>", `<ClientData>${deep}</ClientData><BlobPath>`));
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("deep") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, prepared.drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestFormatInvalid" });
  const history = await getHistory(service, job);
  expect(history.find((change) => change.to === "Faulted")?.reason).toMatch(/^ManifestFormatInvalid: .*nested too deep/);
  expect(await blobNames(containerName)).toEqual([]);
});

test("a job naming an account this data center cannot reach is accepted, and the agent faults the drive naming the account", async () => {
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", "somewhere"]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("nostore") };
  const created = await api(service, "PUT", jobUrl(job.sub, job.rg, job.name), {
    location: "westus",
    properties: { jobType: "Import", storageAccountId: `/subscriptions/${job.sub}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/nosuchstore`, driveList: [entry] },
  });
  expect(created.status).toBe(201);
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "1Z1", driveIds: [entry.driveId] });

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  const result = lastJsonLine(run.stdout);
  expect(result.reason).toContain("'nosuchstore'");
  const history = await getHistory(service, job);
  expect(history.find((change) => change.to === "Faulted")?.reason).toContain("nosuchstore");
});
