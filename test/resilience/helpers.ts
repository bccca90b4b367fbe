/**
 * Helpers of the resilience suites: the invariant checker over the service's configured storage,
 * and a readable failure when it finds something.
 */
import { createDeadlineIndex, getSettings } from "../../shared/service/app/composition";
import { checkStorage, InvariantProblem, InvariantStorage } from "../support/invariants";
import { createBlobServiceClient, createTableClient } from "../../shared/storage/clients";
import { JobsStore } from "../../shared/storage/jobs.store";
import { LogBlobStore } from "../../shared/storage/log-blobs.store";

/** The checker's view of the storage the current settings name (the running test service's). */
export function invariantStorage(): InvariantStorage {
  const settings = getSettings();
  return {
    jobs: new JobsStore(createTableClient(settings, settings.jobsTableName)),
    index: createDeadlineIndex(settings),
    logs: new LogBlobStore(createBlobServiceClient(settings), settings.logsContainerName, settings.logSasLifetimeMs),
    rules: settings.rules,
  };
}

export async function checkAll(): Promise<InvariantProblem[]> {
  return checkStorage(invariantStorage(), 50);
}

/** One line per problem, so a failing `toEqual([])` says what broke. */
export function describeProblems(problems: InvariantProblem[]): string[] {
  return problems.map((problem) => `${problem.severity} ${problem.code} ${problem.subject}: ${problem.message}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
