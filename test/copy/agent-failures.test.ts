/**
 * Issue 21 §2: every failure before or during a copy faults the drive with its error log linked,
 * never "Copy failed" with the drive left `Received` or `Transferring` and no log. Each case is one
 * that used to exit 1: a drive error whose reason is longer than the API's limit, a manifest whose
 * blobs add up past 2^53 bytes, a folder on an export drive named like a file the agent writes, a
 * manifest nested deeply enough to overflow a recursive parser. And a slow or interrupted operator
 * API is retried, not a failed copy.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { md5Hex } from "../../shared/drive/drive-manifest";
import { KEY_RECORD_FILE } from "../../shared/drive/key-record";
import { MAX_REASON_CHARS } from "../../shared/domain/operator-events";
import { getHistory } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { seedContainer, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { FlakyProxy, startFlakyProxy } from "../support/flaky-proxy";
import { agentArgs, blobNames, DriveEntry, driveStatus, fetchLog, lastJsonLine, prepareDrive, randomContent, receivedJob, runCli, sourceFolder, tempDir, uniqueName } from "./helpers";
import { emptyDrive, exportArgs, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

function rewriteManifest(drive: string, entry: DriveEntry, xml: string): DriveEntry {
  writeFileSync(path.join(drive, "DriveManifest.xml"), xml);
  return { ...entry, manifestHash: md5Hex(Buffer.from(xml)) };
}

/** The drive is Faulted with `status` in its reason, and Get Job links an error log holding that status. */
async function expectFaultedWithLog(job: { sub: string; rg: string; name: string }, driveId: string, status: string) {
  const { drive } = await driveStatus(service, job, driveId);
  expect(drive.state).toBe("Faulted");
  expect(drive.errorLogUri).toBeDefined();
  const log = await fetchLog(drive.errorLogUri);
  expect(log.status).toBe(status);
  const reason = (await getHistory(service, job)).find((change) => change.to === "Faulted")!.reason;
  expect(reason.startsWith(`${status}: `)).toBe(true);
  return { log, reason };
}

test("a drive error whose reason is longer than the API's limit faults the drive (regression: exit 1, drive left Received)", async () => {
  const containerName = uniqueName("longreason");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  // A manifest name the job accepts (1,024 characters at most) that names no file: the reason quotes it whole.
  const manifestFile = `\\${"m".repeat(200)}\\${"n".repeat(200)}\\${"o".repeat(200)}\\${"p".repeat(200)}\\${"q".repeat(190)}.xml`;
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("longreason") };
  await receivedJob(service, job, [{ ...entry, manifestFile }]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  const result = lastJsonLine(run.stdout);
  expect(result).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestNotFound" });
  expect(result.reason).toContain(manifestFile);
  const { log, reason } = await expectFaultedWithLog(job, entry.driveId, "ManifestNotFound");
  // The drive's reason is cut to the limit; the log keeps the whole text.
  expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
  expect(reason.endsWith("…")).toBe(true);
  expect(log.description).toContain(manifestFile);
  expect(await blobNames(containerName)).toEqual([]);
});

test("a manifest whose blobs add up past 2^53 bytes faults the drive (regression: TransferStarted refused, exit 1)", async () => {
  const containerName = uniqueName("huge");
  const prepared = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a", "b.txt": "b" }), "--destination", containerName]);
  // Two sparse page blobs of 2^52 bytes each (one page range each): a manifest can say so in a few lines.
  const half = 2 ** 52;
  const xml = readFileSync(path.join(prepared.drive, "DriveManifest.xml"), "utf8")
    .replace(/<Length>1<\/Length>/g, `<Length>${half}</Length>`)
    .replace(/<BlockList>[\s\S]*?<\/BlockList>/g, `<PageRangeList><PageRange Offset="0" Length="512" Hash="${"0".repeat(32)}"/></PageRangeList>`);
  const entry = rewriteManifest(prepared.drive, prepared.entry, xml);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("huge") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, prepared.drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestFormatInvalid" });
  await expectFaultedWithLog(job, entry.driveId, "ManifestFormatInvalid");
  expect(await blobNames(containerName)).toEqual([]);
});

test("a manifest nested deeply enough to overflow the parser's stack faults the drive (regression: RangeError, exit 1)", async () => {
  const prepared = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", uniqueName("deep")]);
  const depth = 200_000;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DriveManifest Version="2014-11-01">${"<x>".repeat(depth)}${"</x>".repeat(depth)}</DriveManifest>\n`;
  const entry = rewriteManifest(prepared.drive, prepared.entry, xml);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("deep") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, prepared.drive, tempDir("state")));

  expect(run.code).toBe(4);
  const status = lastJsonLine(run.stdout).driveStatus;
  // Whichever way the parser refuses it (a format error, or any failure it did not foresee), the drive is faulted with its log.
  expect(["ManifestFormatInvalid", "InternalError"]).toContain(status);
  await expectFaultedWithLog(job, entry.driveId, status);
});

test.each([
  ["the drive manifest", "DriveManifest.xml", "Transferring"],
  ["the key record", KEY_RECORD_FILE, "Received"],
])("a folder on an export drive named like %s (%s) faults the drive (regression: exit 1, drive left %s)", async (_what, name) => {
  const containerName = uniqueName("xfolder");
  await seedContainer(containerName, { "a.bin": randomContent(1000), "b.bin": randomContent(2000) });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xfolder") };
  await receivedExportJob(service, job, ["XFOLD001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();
  mkdirSync(path.join(drive, name, "planted"), { recursive: true });

  const run = await runCli(agent, exportArgs(service, job, "XFOLD001", drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "DiskOperationFailed" });
  await expectFaultedWithLog(job, "XFOLD001", "DiskOperationFailed");
});

describe("through a service that is slow or drops answers", () => {
  let proxy: FlakyProxy;
  afterEach(() => proxy?.close());

  test("a lost answer or a timeout is retried, and a repeated event is applied once (regression: 'Copy failed', exit 1)", async () => {
    const containerName = uniqueName("flaky");
    const files = { "a.bin": randomContent(100_000), "b.bin": randomContent(50_000) };
    const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName]);
    const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("flaky") };
    await receivedJob(service, job, [entry]);
    const seen = new Map<string, number>();
    proxy = await startFlakyProxy(service.url, (request) => {
      const kind = request.method === "GET" ? "GetJob" : ((JSON.parse(request.body || "{}") as { type?: string }).type ?? request.url);
      const count = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, count);
      if (count > 1) return "pass";
      // The first of each: the service applies the event and its answer is lost; a Get answers too late; a restart answers 503.
      if (kind === "TransferStarted" || kind === "TransferFinished") return "dropAnswer";
      if (kind === "GetJob") return { delayMs: 3000 };
      return kind.endsWith("/claim") ? { status: 503 } : "pass";
    });

    const run = await runCli(agent, [...agentArgs(service, job, entry.driveId, drive, tempDir("state")).map((arg) => (arg === service.url ? proxy.url : arg)), "--api-timeout", "PT1S"]);

    expect(run.stderr).not.toContain("Copy failed");
    expect(run.code).toBe(0);
    expect(seen.get("TransferStarted")).toBeGreaterThanOrEqual(2);
    expect(seen.get("TransferFinished")).toBeGreaterThanOrEqual(2);
    expect(await blobNames(containerName)).toEqual(["a.bin", "b.bin"]);
    const history = await getHistory(service, job);
    expect(history.filter((change) => change.driveId === entry.driveId).map((change) => change.to)).toEqual(["Received", "Transferring", "Completed"]);
  }, 60_000);
});
