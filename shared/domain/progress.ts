/**
 * Approximate percent complete, defined once. A drive's own percent comes from its progress events.
 * The job's is byte-weighted when every drive to be copied has a known size, otherwise the mean over
 * those drives; drives that never arrived or were skipped don't count; 100 once every drive is done.
 */
import type { Drive, Job } from "./job";

const DONE_STATES = new Set(["Completed", "CompletedMoreInfo", "ShippedBack"]);

export function drivePercentComplete(drive: Drive): number {
  if (DONE_STATES.has(drive.state)) return 100;
  return drive.percentComplete;
}

export function jobPercentComplete(job: Job): number {
  if (job.state === "Completed" || job.state === "Closed" || job.state === "Packaging") return 100;
  const counted = job.drives.filter((drive) => drive.state !== "NeverReceived" && !drive.skipped);
  if (counted.length === 0) return 0;
  if (counted.every((drive) => drive.totalBytes && drive.totalBytes > 0)) {
    const total = counted.reduce((sum, drive) => sum + drive.totalBytes!, 0);
    const copied = counted.reduce(
      (sum, drive) => sum + (DONE_STATES.has(drive.state) ? drive.totalBytes! : Math.min(drive.bytesSucceeded ?? 0, drive.totalBytes!)),
      0,
    );
    return Math.floor((100 * copied) / total);
  }
  return Math.floor(counted.reduce((sum, drive) => sum + drivePercentComplete(drive), 0) / counted.length);
}
