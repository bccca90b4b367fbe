/**
 * Helpers of the copy suites: the two CLIs run as real processes (bundled once per file with
 * esbuild, as `npm run` would run the built ones), drives prepared with `npm run drive -- prepare`,
 * import jobs brought to `Received` through the customer and operator APIs, and the customer's
 * account (`demostore` on the run's Azurite) read with the real SDK.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { customerConnectionString, DEMOSTORE_ACCOUNT, DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";
import { parseDriveLog, DriveLog } from "../../shared/copy/copy-log";
import { api, jobUrl } from "../api/helpers";
import { event, getOperatorJob, JobRef, markShipping } from "../operator/helpers";
import { TestService } from "../support/service";
import { lastJsonLine as lastJson, runCli } from "../support/cli";

export { bundleCli, runCli, startCli } from "../support/cli";

/** The agent's closing JSON line, loosely typed: the tests check it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lastJsonLine(stdout: string): any {
  return lastJson(stdout);
}

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes the folders this test file made (drives, sources, journals). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (relative path → content) under a new folder; returns the folder. */
export function sourceFolder(files: Record<string, Buffer | string>): string {
  const root = tempDir("source");
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, ...relative.split("/"));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}

export interface DriveEntry {
  driveId: string;
  bitLockerKey: string;
  manifestFile: string;
  manifestHash: string;
}

/** `npm run drive -- prepare`; returns the drive folder and the printed driveList entry. */
export async function prepareDrive(driveScript: string, args: string[]): Promise<{ drive: string; entry: DriveEntry }> {
  const drive = path.join(tempDir("drive"), "volume");
  const run = await runCli(driveScript, ["prepare", "--drive", drive, ...args]);
  if (run.code !== 0) throw new Error(`prepare failed (${run.code}): ${run.stderr}`);
  return { drive, entry: lastJson<DriveEntry>(run.stdout) };
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

/** demostore's resource id: in its own subscription (the account registry's), whatever the job's. */
export function demostoreId(): string {
  return `/subscriptions/${DEMOSTORE_SUBSCRIPTION}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/${DEMOSTORE_ACCOUNT}`;
}

/** Creates an import job with these drives, marks it Shipping and receives the package: its drives are Received. */
export async function receivedJob(service: TestService, job: JobRef, drives: DriveEntry[], properties: Record<string, unknown> = {}): Promise<void> {
  const created = await api(service, "PUT", jobUrl(job.sub, job.rg, job.name), {
    location: "westus",
    properties: { jobType: "Import", storageAccountId: demostoreId(), driveList: drives, ...properties },
  });
  if (created.status !== 201) throw new Error(`create ${job.name}: ${created.status} ${JSON.stringify(created.body)}`);
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "1Z999", driveIds: drives.map((drive) => drive.driveId) });
}

export function agentArgs(service: TestService, job: JobRef, driveId: string, drive: string, stateDir: string, extra: string[] = []): string[] {
  return ["import", "--job", `${job.sub}/${job.rg}/${job.name}`, "--drive", driveId, "--path", drive, "--api", service.url, "--state-dir", stateDir, ...extra];
}

export function demostore(): BlobServiceClient {
  const port = Number(new URL((process.env.CUSTOMER_BLOB_ENDPOINT ?? "").replace("{account}", "x")).port);
  return BlobServiceClient.fromConnectionString(customerConnectionString(port));
}

export function container(name: string): ContainerClient {
  return demostore().getContainerClient(name);
}

export async function blobNames(containerName: string): Promise<string[]> {
  const names: string[] = [];
  if (!(await container(containerName).exists())) return names;
  for await (const item of container(containerName).listBlobsFlat()) names.push(item.name);
  return names.sort();
}

/** Reads a log through the URL Get Job gave (its read-only SAS), and parses it. */
export async function fetchLog(uri: string): Promise<DriveLog> {
  const response = await fetch(uri);
  if (response.status !== 200) throw new Error(`log ${uri}: ${response.status}`);
  return parseDriveLog(await response.text());
}

export async function driveStatus(service: TestService, job: JobRef, driveId: string) {
  const body = await getOperatorJob(service, job);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { job: body, drive: body.properties.driveList.find((drive: any) => drive.driveId === driveId) };
}
