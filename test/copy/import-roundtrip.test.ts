/**
 * The import end to end, through the two CLIs and the operator API on the run's Azurite: a folder
 * prepared onto a drive, the job created with the printed entry, received, copied by the agent into
 * `demostore`, every blob byte-identical with its metadata and properties, Get Job at 100 % and
 * `Completed`, and the verbose log saying so blob by blob.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { getJob } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Base64 as md5, startCopySuite, stopCopySuite } from "../support/copy-setup";
import {
  agentArgs,
  blobNames,
  container,
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

test("a prepared folder lands in demostore byte for byte, with metadata and properties, and the job shows Completed at 100 %", async () => {
  const files: Record<string, Buffer> = {
    "big.bin": randomContent(300_000),
    "empty.txt": Buffer.alloc(0),
    "docs/ünïcødé 文件.txt": Buffer.from("unicode name\n"),
    "a/b/c/d/e/f/g/deep.dat": randomContent(70_000),
  };
  const source = sourceFolder(files);
  const side = tempDir("side");
  writeFileSync(path.join(side, "meta.xml"), '<?xml version="1.0" encoding="UTF-8"?>\n<Metadata><Owner>ana</Owner><Project>roundtrip</Project></Metadata>\n');
  writeFileSync(path.join(side, "props.xml"), '<?xml version="1.0" encoding="UTF-8"?>\n<Properties><Content-Type>application/octet-stream</Content-Type><Cache-Control>no-cache</Cache-Control></Properties>\n');
  const containerName = uniqueName("rt");
  const { drive, entry } = await prepareDrive(driveTool, [
    "--source", source, "--destination", `${containerName}/import`, "--block-size", "65536",
    "--metadata", path.join(side, "meta.xml"), "--properties", path.join(side, "props.xml"),
  ]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("roundtrip") };
  await receivedJob(service, job, [entry], { logLevel: "Verbose" });

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.stderr).toContain("Completed");
  expect(run.code).toBe(0);
  // The verbose log's link carries a read SAS: printed without its signature (regression: in full).
  expect(run.stderr).toMatch(/^Verbose log: http\S+[?&]sig=REDACTED/m);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/[?&]sig=(?!REDACTED)/);
  // In a pipe the progress line is printed every few seconds, and once more at the end: the last
  // one says where the copy ended (regression: the last shown said "100.0 %, 0 of 1 blobs", or nothing).
  const progress = run.stderr.split("\n").filter((line) => / %, \d+ of \d+ blobs/.test(line));
  expect(progress[progress.length - 1]).toMatch(/^100\.0 %, 4 of 4 blobs, 361\.3 KiB of 361\.3 KiB, /);
  expect(progress.filter((line) => line.startsWith("100.0 %") && !line.includes("4 of 4 blobs"))).toEqual([]);
  const result = lastJsonLine(run.stdout);
  expect(result).toMatchObject({ outcome: "Completed", driveStatus: "Completed", summary: { blobsCopied: 4, issuesByKind: {} } });
  expect(await blobNames(containerName)).toEqual(Object.keys(files).map((name) => `import/${name}`).sort());
  for (const [name, content] of Object.entries(files)) {
    const blob = container(containerName).getBlockBlobClient(`import/${name}`);
    const downloaded = await blob.downloadToBuffer();
    expect(md5(downloaded)).toBe(md5(content));
    const properties = await blob.getProperties();
    expect(Buffer.from(properties.contentMD5!).toString("base64")).toBe(md5(content));
    expect(properties.metadata).toEqual({ owner: "ana", project: "roundtrip" });
    expect(properties.contentType).toBe("application/octet-stream");
    expect(properties.cacheControl).toBe("no-cache");
  }

  const customerView = await getJob(service, job);
  expect(customerView.properties.state).toBe("Packaging");
  expect(customerView.properties.percentComplete).toBe(100);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status).toMatchObject({ state: "Completed", percentComplete: 100, bytesSucceeded: 370_013 });
  expect(status.errorLogUri).toBeUndefined();
  const verbose = await fetchLog(status.verboseLogUri);
  expect(verbose.driveId).toBe(entry.driveId);
  expect(verbose.status).toBe("Completed");
  expect(verbose.blobs.map((blob) => blob.blobPath).sort()).toEqual(Object.keys(files).map((name) => `${containerName}/import/${name}`).sort());
  expect(verbose.blobs.every((blob) => blob.status === "Completed" && blob.importDisposition?.status === "Created")).toBe(true);
  const big = verbose.blobs.find((blob) => blob.blobPath.endsWith("big.bin"))!;
  expect(big.blocks).toHaveLength(5);
  expect(big.metadata?.status).toBe("Completed");
});
