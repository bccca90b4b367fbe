/**
 * Helpers of the copy suites: the two CLIs run as real processes (bundled once per file with
 * esbuild, as `npm run` would run the built ones), drives prepared with `npm run drive -- prepare`,
 * import jobs brought to `Received` through the customer and operator APIs, and the customer's
 * account (`demostore` on the run's Azurite) read with the real SDK.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildSync } from "esbuild";
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { customerConnectionString, DEMOSTORE_ACCOUNT } from "../../devhost/azurite";
import { parseDriveLog, DriveLog } from "../../shared/copy/copy-log";
import { api, jobUrl } from "../api/helpers";
import { event, getOperatorJob, JobRef, markShipping } from "../operator/helpers";
import { TestService } from "../support/service";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function bundleCli(name: string): string {
  // Inside the project, so the bundle's external packages resolve from its node_modules.
  const folder = path.join(__dirname, "..", "..", "test-results", "cli");
  mkdirSync(folder, { recursive: true });
  const outfile = path.join(mkdtempSync(path.join(folder, `${name}-`)), `${name}.js`);
  buildSync({
    entryPoints: [path.join(__dirname, "..", "..", "cli", `${name}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    logLevel: "error",
  });
  return outfile;
}

export function runCli(script: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: path.join(__dirname, "..", ".."), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({ code: failure ? (typeof failure.code === "number" ? failure.code : null) : 0, signal: failure?.signal ?? null, stdout, stderr });
    });
  });
}

export function startCli(script: string, args: string[]): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [script, ...args], { cwd: path.join(__dirname, "..", ".."), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lastJsonLine<T = any>(stdout: string): T {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
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
  return { drive, entry: lastJsonLine<DriveEntry>(run.stdout) };
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

export function demostoreId(sub: string): string {
  return `/subscriptions/${sub}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/${DEMOSTORE_ACCOUNT}`;
}

/** Creates an import job with these drives, marks it Shipping and receives the package: its drives are Received. */
export async function receivedJob(service: TestService, job: JobRef, drives: DriveEntry[], properties: Record<string, unknown> = {}): Promise<void> {
  const created = await api(service, "PUT", jobUrl(job.sub, job.rg, job.name), {
    location: "westus",
    properties: { jobType: "Import", storageAccountId: demostoreId(job.sub), driveList: drives, ...properties },
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
