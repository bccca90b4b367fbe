/**
 * Approximate percent complete, defined once. A drive's own percent is what its copy reports
 * (100 once it is done). The job's is the mean over the drives to be copied: each such drive is an
 * equal share of the job; drives that never arrived or were skipped (cancelled) are not to be
 * copied and don't count; 100 once the job is past copying.
 *
 * Why equal shares and not bytes: the job's percent must never go down while the copy moves forward
 * (a drive starts, progresses, finishes, learns its size), and a drive's size is only learnt when
 * its copy starts. Weighting by bytes would need every size before the first one moves: once drive
 * A (1 TB) is half copied, the job's share of A depends on the size of drive B, and whatever B was
 * assumed to weigh, B's real size can be larger, which lowers the job's percent (25 % became 12 %
 * that way). With fixed equal shares the job moves only when a drive's own percent moves, so it
 * rises with every step of every copy, and is exact at 0, at 100 and whenever each drive is either
 * done or not started. The bytes copied and each drive's size stay on each drive for precision.
 * (A drive that arrives late adds a share: that is more work, not less progress.)
 */
import type { Drive, Job } from "./job";

const DONE_STATES = new Set(["Completed", "CompletedMoreInfo", "ShippedBack"]);

export function drivePercentComplete(drive: Drive): number {
  if (DONE_STATES.has(drive.state)) return 100;
  return drive.percentComplete;
}

/** Past copying: a faulted job is where it was when it faulted. */
const PAST_COPYING = new Set(["Packaging", "Completed", "Closed"]);

export function jobPercentComplete(job: Job): number {
  const state = job.state === "Faulted" ? (job.stateBeforeFault ?? job.state) : job.state;
  if (PAST_COPYING.has(state)) return 100;
  const counted = job.drives.filter((drive) => drive.state !== "NeverReceived" && !drive.skipped);
  if (counted.length === 0) return 0;
  return Math.floor(counted.reduce((sum, drive) => sum + drivePercentComplete(drive), 0) / counted.length);
}
