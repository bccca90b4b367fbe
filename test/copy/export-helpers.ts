/**
 * Helpers of the export suites: export jobs brought to `Received` with empty drive folders, the
 * agent's export arguments, and drive contents read back (files and manifest).
 */
import { Dirent, existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { api, jobUrl } from "../api/helpers";
import { event, JobRef, markShipping } from "../operator/helpers";
import { TestService } from "../support/service";
import { parseDriveManifest, DriveManifest, MANIFEST_FILE } from "../../shared/formats/drive-manifest";
import { demostoreId, tempDir } from "./helpers";

export async function exportJob(service: TestService, job: JobRef, exportSpec: Record<string, unknown>, properties: Record<string, unknown> = {}) {
  return api(service, "PUT", jobUrl(job.sub, job.rg, job.name), {
    location: "westus",
    properties: { jobType: "Export", storageAccountId: demostoreId(), export: exportSpec, ...properties },
  });
}

/** Creates an export job, marks it Shipping, receives `driveIds` (empty drives): they are Received. */
export async function receivedExportJob(service: TestService, job: JobRef, driveIds: string[], exportSpec: Record<string, unknown>, properties: Record<string, unknown> = {}): Promise<void> {
  const created = await exportJob(service, job, exportSpec, properties);
  if (created.status !== 201) throw new Error(`create ${job.name}: ${created.status} ${JSON.stringify(created.body)}`);
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "1Z999", driveIds });
}

export function exportArgs(service: TestService, job: JobRef, driveId: string, drive: string, stateDir: string, extra: string[] = []): string[] {
  return ["export", "--job", `${job.sub}/${job.rg}/${job.name}`, "--drive", driveId, "--path", drive, "--api", service.url, "--state-dir", stateDir, ...extra];
}

export function emptyDrive(): string {
  return path.join(tempDir("exportdrive"), "volume");
}

export function readManifest(drive: string): DriveManifest {
  return parseDriveManifest(readFileSync(path.join(drive, MANIFEST_FILE), "utf8"));
}

/** Every file on the drive below the container folders (relative, `/`-separated), tool files and the blobs' metadata and properties files excluded. */
export function driveFiles(drive: string): string[] {
  const files: string[] = [];
  const walk = (folder: string, prefix: string) => {
    // A test may look while the agent writes: a file renamed into place (the key record, the
    // manifest) leaves the folder it was listed in, and the partial folder goes once the drive is done.
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && prefix !== "") return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(path.join(folder, entry.name), `${prefix}${entry.name}/`);
      else files.push(`${prefix}${entry.name}`);
    }
  };
  if (existsSync(drive)) walk(drive, "");
  return files.filter((file) => file.includes("/") && !file.startsWith("_ImportExport/")).sort();
}
