/**
 * The composition root: settings are parsed, and storage clients and services built, once per
 * process and reused by every invocation. The entry file calls `getSettings()` at load time, so a
 * bad setting stops start-up with its name in the message.
 */
import { parseSettings, Settings } from "../config/settings";
import { Clock, systemClock } from "../domain/clock";
import { LocationCatalog } from "../domain/locations";
import { JobService } from "../jobs/job-service";
import { createTableClient } from "../storage/clients";
import { JobsStore } from "../storage/jobs.store";
import { loadLocationCatalog } from "../storage/locations.file";
import { translateStorageError } from "../storage/storage-errors";

export interface Services {
  settings: Settings;
  locations: LocationCatalog;
  jobs: JobService;
}

let settings: Settings | undefined;
let services: Promise<Services> | undefined;

export function getSettings(): Settings {
  settings ??= parseSettings(process.env);
  return settings;
}

export function getServices(): Promise<Services> {
  services ??= buildServices(getSettings(), systemClock).catch((error) => {
    services = undefined; // storage may be back next time; do not cache the failure
    throw translateStorageError(error);
  });
  return services;
}

async function buildServices(current: Settings, clock: Clock): Promise<Services> {
  const locations = loadLocationCatalog(current.locationsFile);
  const jobsTable = createTableClient(current, current.jobsTableName);
  // Created once per process, before the first request, so a Get stays one storage transaction.
  await jobsTable.createTable({ abortSignal: AbortSignal.timeout(current.storageTimeoutMs) });
  const rules = { creatingLifetimeMs: current.creatingLifetimeMs, finishedRetentionMs: current.finishedRetentionMs };
  return {
    settings: current,
    locations,
    jobs: new JobService(new JobsStore(jobsTable, current.storageTimeoutMs), locations, rules, clock),
  };
}

/** For tests and the local host: forget the cached settings and services so the next call rebuilds. */
export function resetServices(): void {
  settings = undefined;
  services = undefined;
}
