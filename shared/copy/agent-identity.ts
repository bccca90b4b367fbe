/**
 * Who a copy agent is, for its claims on drives: `<station>/<run>`. The station is stable (the
 * machine the drives are plugged into: `--station`, else the host name); the run is this process
 * (its pid and a few random bytes, so a recycled pid is another run). The service refuses a second
 * run on a claimed drive, of another station or the same one. A run of this station that is no
 * longer running (it crashed, it was killed) is the one holder an agent may replace at once, without
 * waiting for its lease to expire: the station can see for itself that the process is gone.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";

export interface AgentIdentity {
  station: string;
  agentId: string;
}

/** A station's name: what the service accepts as the first part of an agent id. */
export const STATION = /^[A-Za-z0-9._-]{1,64}$/;

export function agentIdentity(station = defaultStation()): AgentIdentity {
  return { station, agentId: `${station}/${process.pid}-${randomBytes(3).toString("hex")}` };
}

/** The host name, as a station name. */
export function defaultStation(): string {
  return os.hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64) || "station";
}

/** Whether `holder` is a run of this station whose process is gone (a crashed or killed agent). */
export function isGoneRunOfStation(holder: string, me: AgentIdentity): boolean {
  if (holder === me.agentId) return false;
  const match = /^([^/]+)\/(\d+)-[0-9a-f]+$/.exec(holder);
  if (!match || match[1] !== me.station) return false;
  const pid = Number(match[2]);
  // Our own pid under another run id: that earlier process is gone, its pid given to us.
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: a process of another user has that pid, so it runs; only "no such process" is gone.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
