/**
 * The maintenance rules, pure: which deadline a job or an unmatched arrival has in which state, and
 * what `decideJobDeadline` / `decideArrivalDeadline` answer just before, exactly at and just after
 * each one. Jobs are built only through the domain's own operations on a fixed clock, with the
 * default durations (P14D, P14D, P30D, P90D, P90D, P14D, P90D).
 */
import { Arrival, attachArrival, newArrival } from "../../shared/domain/arrival";
import {
  arrivalDeadlines,
  decideArrivalDeadline,
  decideJobDeadline,
  dueKind,
  earliestDeadline,
  jobDeadlines,
  JobDecision,
  MaintenanceRules,
  OUTBOX_GRACE_MS,
  OutboxNotice,
} from "../../shared/domain/deadlines";
import { createJob, Job, updateJob } from "../../shared/domain/job";
import { applyOperatorEvent, OperatorEvent } from "../../shared/domain/operator-events";
import { at, contextAt, CUSTOMER, DAY, DELIVERY, domainDrive as drive, HOUR, isoAt as iso, OPERATOR, RETURN_ADDRESS as ADDRESS, RULES as JOB_RULES } from "../support/fixtures";

const MS = 1;
const RULES: MaintenanceRules = {
  ...JOB_RULES,
  shippingResponseWindowMs: 30 * DAY,
  returnAddressWaitMs: 90 * DAY,
  arrivalReturnAfterMs: 14 * DAY,
  arrivalDestroyAfterMs: 90 * DAY,
};

const customer = (offsetMs: number) => contextAt(offsetMs, CUSTOMER, RULES);
const operator = (offsetMs: number) => contextAt(offsetMs, OPERATOR, RULES);

const KEY = { subscriptionId: "00000000-0000-0000-0000-0000000000d1", resourceGroup: "rg", name: "deadline-job" };
const STORAGE = `/subscriptions/${KEY.subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`;

/** A Creating import job made at T0 + `offsetMs`, with a return address unless told otherwise. */
function creating(offsetMs = 0, withAddress = true): Job {
  return createJob(
    KEY,
    { location: "westus", jobType: "Import", storageAccountId: STORAGE, driveList: [drive("D1"), drive("D2")], returnAddress: withAddress ? ADDRESS : undefined },
    { recipientName: "Data center" },
    customer(offsetMs),
  );
}

/** Created at T0, marked Shipping by the customer at T0 + `offsetMs`. */
function shipping(offsetMs = DAY): Job {
  return updateJob(creating(), { deliveryPackage: DELIVERY, state: "Shipping" }, customer(offsetMs));
}

function event(job: Job, body: OperatorEvent, offsetMs: number): Job {
  return applyOperatorEvent(job, body, operator(offsetMs)).job;
}

/** Shipping at T0+1D, package with both drives at T0+2D, D1 copying from T0+3D: Transferring. */
function transferring(): Job {
  const received = event(shipping(), { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "IN1", driveIds: ["D1", "D2"] }, 2 * DAY);
  return event(received, { type: "TransferStarted", driveId: "D1" }, 3 * DAY);
}

function updated(decision: JobDecision): Job {
  if (decision.action !== "update") throw new Error(`expected an update, got ${JSON.stringify(decision)}`);
  return decision.job;
}

function deleted(decision: JobDecision): { reason: string; notices: OutboxNotice[] } {
  if (decision.action !== "delete") throw new Error(`expected a delete, got ${JSON.stringify(decision)}`);
  return decision;
}

function notices(job: Job): [string, string, string | undefined][] {
  return (job.outbox ?? []).filter((message) => message.type === "notice").map((message) => [message.audience, message.kind, message.contactEmail]);
}

describe("jobDeadlines: the deadlines a job has in each state", () => {
  test("Creating: P14D after creation, moved by every accepted update", () => {
    expect(jobDeadlines(creating(), RULES)).toEqual([{ kind: "CreatingExpiry", dueAt: iso(14 * DAY) }]);
    const tagged = updateJob(creating(), { tags: { team: "a" } }, customer(3 * DAY));
    expect(jobDeadlines(tagged, RULES)).toEqual([{ kind: "CreatingExpiry", dueAt: iso(17 * DAY) }]);
  });

  test("Shipping: overdue P14D after entering Shipping; after the notice only the close, P30D after it", () => {
    const job = shipping(DAY);
    expect(jobDeadlines(job, RULES)).toEqual([{ kind: "ShippingOverdue", dueAt: iso(15 * DAY) }]);
    const noticed = updated(decideJobDeadline(job, "ShippingOverdue", at(15 * DAY + HOUR), RULES));
    expect(jobDeadlines({ ...noticed, outbox: undefined }, RULES)).toEqual([{ kind: "ShippingClose", dueAt: iso(45 * DAY + HOUR) }]);
  });

  test("Received and Transferring jobs have no deadline, unless the return address has a problem", () => {
    const received = event(shipping(), { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "IN1", driveIds: ["D1", "D2"] }, 2 * DAY);
    expect(received.state).toBe("Received");
    expect(jobDeadlines(received, RULES)).toEqual([]);
    expect(jobDeadlines(transferring(), RULES)).toEqual([]);
    const problem = event(transferring(), { type: "ReturnAddressProblem", reason: "No such street" }, 4 * DAY);
    expect(jobDeadlines(problem, RULES)).toEqual([{ kind: "ReturnAddressExpiry", dueAt: iso(94 * DAY) }]);
  });

  test("Completed and Closed: purge P90D after the change of state", () => {
    const completed = updateJob(creating(), { cancelRequested: true }, customer(2 * DAY));
    expect(completed.state).toBe("Completed");
    expect(jobDeadlines(completed, RULES)).toEqual([{ kind: "Purge", dueAt: iso(92 * DAY) }]);
    const closed = event(shipping(), { type: "CloseUnresponsive", reason: "No answer" }, 20 * DAY);
    expect(closed.state).toBe("Closed");
    expect(jobDeadlines(closed, RULES)).toEqual([{ kind: "Purge", dueAt: iso(110 * DAY) }]);
  });

  test("an unsent outbox is due a grace after its first message's time (its own sweep is sending it)", () => {
    const noticed = updated(decideJobDeadline(shipping(), "ShippingOverdue", at(16 * DAY), RULES));
    expect(OUTBOX_GRACE_MS).toBeGreaterThanOrEqual(60_000);
    expect(jobDeadlines(noticed, RULES)).toContainEqual({ kind: "Outbox", dueAt: iso(16 * DAY + OUTBOX_GRACE_MS) });
  });
});

describe("chained deadlines: the earliest deadline, and which one a due entry stands for", () => {
  test("marking Shipping brings a deadline after the Creating one (both waits P14D, Shipping's starts later)", () => {
    const created = creating();
    const shipped = shipping();
    expect(earliestDeadline(created, RULES)).toEqual({ kind: "CreatingExpiry", dueAt: iso(14 * DAY) });
    expect(earliestDeadline(shipped, RULES)).toEqual({ kind: "ShippingOverdue", dueAt: iso(DAY + 14 * DAY) });
    expect(earliestDeadline(shipped, RULES)!.dueAt > earliestDeadline(created, RULES)!.dueAt).toBe(true);
  });

  test("a due CreatingExpiry entry of a job now Shipping stands for its ShippingOverdue deadline once that is due, not before", () => {
    const shipped = shipping();
    expect(dueKind(shipped, "CreatingExpiry", at(14 * DAY + MS), RULES)).toBe("CreatingExpiry");
    expect(decideJobDeadline(shipped, dueKind(shipped, "CreatingExpiry", at(14 * DAY + MS), RULES), at(14 * DAY + MS), RULES).action).toBe("skip");
    expect(dueKind(shipped, "CreatingExpiry", at(15 * DAY), RULES)).toBe("ShippingOverdue");
    expect(decideJobDeadline(shipped, "ShippingOverdue", at(15 * DAY), RULES).action).toBe("update");
  });
});

describe("CreatingExpiry", () => {
  const job = creating();
  const due = 14 * DAY;

  test("just before the deadline: skip", () => {
    expect(decideJobDeadline(job, "CreatingExpiry", at(due - MS), RULES)).toEqual({ action: "skip", reason: `CreatingExpiry not due until ${iso(due)}` });
  });

  test.each([
    ["exactly at", 0],
    ["just after", MS],
  ])("%s the deadline: delete, telling the customer at the return address's email", (_when, offset) => {
    const decision = deleted(decideJobDeadline(job, "CreatingExpiry", at(due + offset), RULES));
    expect(decision.reason).toBe("Still 'Creating' 14 days after its creation or last update");
    expect(decision.notices).toHaveLength(1);
    expect(decision.notices[0]).toMatchObject({
      type: "notice",
      audience: "customer",
      kind: "JobDeletedCreatingExpired",
      contactEmail: "ada@example.com",
      at: iso(due + offset),
      job: { subscriptionId: KEY.subscriptionId, resourceGroup: "rg", name: "deadline-job" },
    });
    expect(decision.notices[0].message).toContain(iso(due));
  });

  test("an update restarts the clock: the original deadline is no longer due", () => {
    const tagged = updateJob(job, { tags: { t: "1" } }, customer(5 * DAY));
    expect(decideJobDeadline(tagged, "CreatingExpiry", at(due + MS), RULES)).toEqual({ action: "skip", reason: `CreatingExpiry not due until ${iso(19 * DAY)}` });
    expect(decideJobDeadline(tagged, "CreatingExpiry", at(19 * DAY), RULES).action).toBe("delete");
  });

  test("a job with no return address gets a notice without contactEmail", () => {
    const decision = deleted(decideJobDeadline(creating(0, false), "CreatingExpiry", at(due), RULES));
    expect(decision.notices[0].contactEmail).toBeUndefined();
  });

  test("stale: a Creating deadline on a job that is now Shipping is skipped", () => {
    expect(decideJobDeadline(shipping(), "CreatingExpiry", at(due + DAY), RULES)).toEqual({ action: "skip", reason: "no CreatingExpiry deadline in state 'Shipping'" });
  });
});

describe("ShippingOverdue", () => {
  const job = shipping(DAY);
  const due = 15 * DAY;

  test("just before: skip", () => {
    expect(decideJobDeadline(job, "ShippingOverdue", at(due - MS), RULES)).toEqual({ action: "skip", reason: `ShippingOverdue not due until ${iso(due)}` });
  });

  test.each([
    ["exactly at", 0],
    ["just after", MS],
  ])("%s: Specified drives become NeverReceived, operators and the customer are told, the job stays Shipping", (_when, offset) => {
    const now = due + offset;
    const next = updated(decideJobDeadline(job, "ShippingOverdue", at(now), RULES));
    expect(next.state).toBe("Shipping");
    expect(next.shippingOverdueNotifiedAt).toBe(iso(now));
    expect(next.drives.map((d) => [d.driveId, d.state])).toEqual([
      ["D1", "NeverReceived"],
      ["D2", "NeverReceived"],
    ]);
    expect(next.history.slice(job.history.length).map((h) => [h.driveId, h.from, h.to, h.role, h.by])).toEqual([
      ["D1", "Specified", "NeverReceived", "timer", "maintenance-sweep"],
      ["D2", "Specified", "NeverReceived", "timer", "maintenance-sweep"],
    ]);
    expect(notices(next)).toEqual([
      ["operators", "ShippingOverdue", undefined],
      ["customer", "ShippingOverdue", "ada@example.com"],
    ]);
    expect(next.outbox![1].message).toMatch(/within 30 days/);
  });

  test("ExtendShippingWait moves the deadline: the original one is skipped, the new one acts", () => {
    const extended = event(job, { type: "ExtendShippingWait", days: 7 }, 10 * DAY);
    expect(extended.shippingDueAt).toBe(iso(22 * DAY));
    expect(decideJobDeadline(extended, "ShippingOverdue", at(due + MS), RULES)).toEqual({ action: "skip", reason: `ShippingOverdue not due until ${iso(22 * DAY)}` });
    expect(decideJobDeadline(extended, "ShippingOverdue", at(22 * DAY - MS), RULES).action).toBe("skip");
    expect(updated(decideJobDeadline(extended, "ShippingOverdue", at(22 * DAY), RULES)).shippingOverdueNotifiedAt).toBe(iso(22 * DAY));
  });

  test("stale: once notified, the overdue deadline is gone; on a Received job too", () => {
    const noticed = updated(decideJobDeadline(job, "ShippingOverdue", at(due), RULES));
    expect(decideJobDeadline(noticed, "ShippingOverdue", at(due + DAY), RULES)).toEqual({ action: "skip", reason: "no ShippingOverdue deadline in state 'Shipping'" });
    const received = event(job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "IN1", driveIds: ["D1", "D2"] }, 2 * DAY);
    expect(decideJobDeadline(received, "ShippingOverdue", at(due + DAY), RULES)).toEqual({ action: "skip", reason: "no ShippingOverdue deadline in state 'Received'" });
  });
});

describe("ShippingClose (the response window after the overdue notice)", () => {
  const noticedAt = 15 * DAY + HOUR;
  const noticed = { ...updated(decideJobDeadline(shipping(DAY), "ShippingOverdue", at(noticedAt), RULES)), outbox: undefined };
  const due = noticedAt + 30 * DAY;

  test("just before: skip", () => {
    expect(decideJobDeadline(noticed, "ShippingClose", at(due - MS), RULES)).toEqual({ action: "skip", reason: `ShippingClose not due until ${iso(due)}` });
  });

  test.each([
    ["exactly at", 0],
    ["just after", MS],
  ])("%s: the job is Closed by the timer and both sides are told", (_when, offset) => {
    const closed = updated(decideJobDeadline(noticed, "ShippingClose", at(due + offset), RULES));
    expect(closed.state).toBe("Closed");
    expect(closed.stateChangedAt).toBe(iso(due + offset));
    expect(closed.history.at(-1)).toMatchObject({ from: "Shipping", to: "Closed", role: "timer" });
    expect(notices(closed)).toEqual([
      ["customer", "JobClosedNoResponse", "ada@example.com"],
      ["operators", "JobClosedNoResponse", undefined],
    ]);
    // Closed jobs are purged after the retention.
    expect(jobDeadlines({ ...closed, outbox: undefined }, RULES)).toEqual([{ kind: "Purge", dueAt: iso(due + offset + 90 * DAY) }]);
  });

  test("an ExtendShippingWait after the notice cancels the pending close", () => {
    const extended = event(noticed, { type: "ExtendShippingWait", days: 5 }, noticedAt + DAY);
    expect(extended.shippingOverdueNotifiedAt).toBeUndefined();
    expect(jobDeadlines(extended, RULES)).toEqual([{ kind: "ShippingOverdue", dueAt: iso(noticedAt + 6 * DAY) }]);
    expect(decideJobDeadline(extended, "ShippingClose", at(due + DAY), RULES)).toEqual({ action: "skip", reason: "no ShippingClose deadline in state 'Shipping'" });
  });

  test("the package arriving after the notice: its drives are Received and the close is stale", () => {
    const received = event(noticed, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "LATE", driveIds: ["D1"] }, noticedAt + DAY);
    expect(received.state).toBe("Received");
    expect(received.drives.map((d) => [d.driveId, d.state])).toEqual([
      ["D1", "Received"],
      ["D2", "NeverReceived"],
    ]);
    expect(decideJobDeadline(received, "ShippingClose", at(due + DAY), RULES)).toEqual({ action: "skip", reason: "no ShippingClose deadline in state 'Received'" });
  });
});

describe("Purge (Completed and Closed, P90D)", () => {
  const completed = updateJob(creating(), { cancelRequested: true }, customer(2 * DAY));
  const due = 92 * DAY;

  test("just before: skip", () => {
    expect(decideJobDeadline(completed, "Purge", at(due - MS), RULES)).toEqual({ action: "skip", reason: `Purge not due until ${iso(due)}` });
  });

  test.each([
    ["exactly at", 0],
    ["just after", MS],
  ])("%s: delete with the reason and a JobPurged notice", (_when, offset) => {
    const decision = deleted(decideJobDeadline(completed, "Purge", at(due + offset), RULES));
    expect(decision.reason).toBe("Purged 90 days after it became 'Completed'");
    expect(decision.notices.map((n) => [n.audience, n.kind, n.contactEmail])).toEqual([["customer", "JobPurged", "ada@example.com"]]);
  });

  test("a Closed job is purged 90 days after it closed", () => {
    const closed = event(shipping(), { type: "CloseUnresponsive", reason: "No answer" }, 20 * DAY);
    expect(decideJobDeadline(closed, "Purge", at(110 * DAY - MS), RULES).action).toBe("skip");
    expect(deleted(decideJobDeadline(closed, "Purge", at(110 * DAY), RULES)).reason).toBe("Purged 90 days after it became 'Closed'");
  });

  test("stale: a Purge entry for a job that is not finished is skipped", () => {
    expect(decideJobDeadline(shipping(), "Purge", at(200 * DAY), RULES)).toEqual({ action: "skip", reason: "no Purge deadline in state 'Shipping'" });
  });
});

describe("ReturnAddressExpiry (P90D after the problem is reported)", () => {
  const problem = event(transferring(), { type: "ReturnAddressProblem", reason: "No such street" }, 4 * DAY);
  const due = 94 * DAY;

  test("just before: skip", () => {
    expect(decideJobDeadline(problem, "ReturnAddressExpiry", at(due - MS), RULES)).toEqual({ action: "skip", reason: `ReturnAddressExpiry not due until ${iso(due)}` });
  });

  test.each([
    ["exactly at", 0],
    ["just after", MS],
  ])("%s: Closed, operators told to destroy the drives, the customer told why", (_when, offset) => {
    const closed = updated(decideJobDeadline(problem, "ReturnAddressExpiry", at(due + offset), RULES));
    expect(closed.state).toBe("Closed");
    expect(closed.history.at(-1)).toMatchObject({ from: "Transferring", to: "Closed", role: "timer" });
    expect(notices(closed)).toEqual([
      ["operators", "DestroyDrives", undefined],
      ["customer", "JobClosedReturnAddress", "ada@example.com"],
    ]);
    expect(closed.outbox![0].message).toMatch(/Destroy its drives securely/);
  });

  test("a corrected address removes the deadline: the entry is stale", () => {
    const corrected = updateJob(problem, { returnAddress: { ...ADDRESS, streetAddress1: "2 Other Ave" } }, customer(10 * DAY));
    expect(corrected.returnAddressProblem).toBeUndefined();
    expect(decideJobDeadline(corrected, "ReturnAddressExpiry", at(due + DAY), RULES)).toEqual({
      action: "skip",
      reason: "no ReturnAddressExpiry deadline in state 'Transferring'",
    });
  });
});

describe("Outbox", () => {
  test("an unsent outbox: skipped within the grace, then an update that leaves the job as it is (the sweep sends it)", () => {
    const noticed = updated(decideJobDeadline(shipping(), "ShippingOverdue", at(16 * DAY), RULES));
    const due = 16 * DAY + OUTBOX_GRACE_MS;
    expect(decideJobDeadline(noticed, "Outbox", at(16 * DAY), RULES)).toEqual({ action: "skip", reason: `Outbox not due until ${iso(due)}` });
    expect(decideJobDeadline(noticed, "Outbox", at(due - MS), RULES).action).toBe("skip");
    const decision = decideJobDeadline(noticed, "Outbox", at(due), RULES);
    expect(decision).toEqual({ action: "update", job: noticed });
    expect(updated(decision)).toBe(noticed);
    expect(decideJobDeadline({ ...noticed, outbox: undefined }, "Outbox", at(due + DAY), RULES).action).toBe("skip");
  });
});

describe("stable notice ids", () => {
  test("the same decision twice gives the same ids, even from a later sweep", () => {
    const job = shipping();
    const first = updated(decideJobDeadline(job, "ShippingOverdue", at(15 * DAY), RULES)).outbox!.map((n) => n.id);
    const again = updated(decideJobDeadline(job, "ShippingOverdue", at(15 * DAY), RULES)).outbox!.map((n) => n.id);
    const later = updated(decideJobDeadline(job, "ShippingOverdue", at(16 * DAY), RULES)).outbox!.map((n) => n.id);
    expect(first).toHaveLength(2);
    expect(new Set(first).size).toBe(2);
    expect(again).toEqual(first);
    expect(later).toEqual(first);
    const deletion = deleted(decideJobDeadline(creating(), "CreatingExpiry", at(14 * DAY), RULES)).notices.map((n) => n.id);
    expect(deleted(decideJobDeadline(creating(), "CreatingExpiry", at(20 * DAY), RULES)).notices.map((n) => n.id)).toEqual(deletion);
  });

  test("a new deadline (after an extension) gives new ids", () => {
    const job = shipping();
    const first = updated(decideJobDeadline(job, "ShippingOverdue", at(15 * DAY), RULES)).outbox!.map((n) => n.id);
    const extended = event({ ...job }, { type: "ExtendShippingWait", days: 3 }, 2 * DAY);
    const second = updated(decideJobDeadline(extended, "ShippingOverdue", at(18 * DAY), RULES)).outbox!.map((n) => n.id);
    expect(second).toHaveLength(2);
    for (const id of second) expect(first).not.toContain(id);
  });

  test("a re-created job of the same name is another job: other ids", () => {
    const first = deleted(decideJobDeadline(creating(0), "CreatingExpiry", at(30 * DAY), RULES)).notices[0].id;
    const recreated = deleted(decideJobDeadline(creating(DAY), "CreatingExpiry", at(30 * DAY), RULES)).notices[0].id;
    expect(recreated).not.toBe(first);
  });
});

describe("unmatched arrivals", () => {
  const arrival: Arrival = { ...newArrival({ carrierName: "DHL", trackingNumber: "PKG-9", driveIds: ["X1", "X2"], reason: "NoJobNamed" }, at(0)) };

  test("arrivalDeadlines: return P14D and destroy P90D after arrival; none once attached", () => {
    expect(arrivalDeadlines(arrival, RULES)).toEqual([
      { kind: "ArrivalReturn", dueAt: iso(14 * DAY) },
      { kind: "ArrivalDestroy", dueAt: iso(90 * DAY) },
    ]);
    expect(arrivalDeadlines(attachArrival(arrival, KEY, at(DAY)), RULES)).toEqual([]);
  });

  test("the return notice: skip just before, notify at and after, once", () => {
    expect(decideArrivalDeadline(arrival, "ArrivalReturn", at(14 * DAY - MS), RULES)).toEqual({ action: "skip", reason: `ArrivalReturn not due until ${iso(14 * DAY)}` });
    for (const offset of [0, MS]) {
      const decision = decideArrivalDeadline(arrival, "ArrivalReturn", at(14 * DAY + offset), RULES);
      if (decision.action !== "notify") throw new Error("expected notify");
      expect(decision.arrival.returnNoticeAt).toBe(iso(14 * DAY + offset));
      expect(decision.arrival.destroyNoticeAt).toBeUndefined();
      expect(decision.notice).toMatchObject({ id: `arrival|${arrival.id}|ArrivalReturn`, type: "notice", audience: "operators", kind: "ReturnUnmatchedDrives" });
      expect(decision.notice.message).toMatch(/PKG-9 \(drives X1, X2\).*Return the drives/);
      // Told once: the decision's arrival no longer has that deadline.
      expect(decideArrivalDeadline(decision.arrival, "ArrivalReturn", at(20 * DAY), RULES)).toEqual({ action: "skip", reason: "no ArrivalReturn deadline for a 'Unmatched' arrival" });
      expect(arrivalDeadlines(decision.arrival, RULES)).toEqual([{ kind: "ArrivalDestroy", dueAt: iso(90 * DAY) }]);
    }
  });

  test("the destroy notice: skip just before, notify at and after", () => {
    const returned = { ...arrival, returnNoticeAt: iso(14 * DAY) };
    expect(decideArrivalDeadline(returned, "ArrivalDestroy", at(90 * DAY - MS), RULES).action).toBe("skip");
    for (const offset of [0, MS]) {
      const decision = decideArrivalDeadline(returned, "ArrivalDestroy", at(90 * DAY + offset), RULES);
      if (decision.action !== "notify") throw new Error("expected notify");
      expect(decision.arrival.destroyNoticeAt).toBe(iso(90 * DAY + offset));
      expect(decision.notice).toMatchObject({ id: `arrival|${arrival.id}|ArrivalDestroy`, audience: "operators", kind: "DestroyUnmatchedDrives" });
      expect(decision.notice.message).toMatch(/Destroy the drives securely/);
    }
  });

  test("an attached arrival is stale for both notices; the same decision twice has the same id", () => {
    const attached = attachArrival(arrival, KEY, at(DAY));
    expect(decideArrivalDeadline(attached, "ArrivalReturn", at(100 * DAY), RULES)).toEqual({ action: "skip", reason: "no ArrivalReturn deadline for a 'Attached' arrival" });
    expect(decideArrivalDeadline(attached, "ArrivalDestroy", at(100 * DAY), RULES).action).toBe("skip");
    const one = decideArrivalDeadline(arrival, "ArrivalDestroy", at(95 * DAY), RULES);
    const two = decideArrivalDeadline(arrival, "ArrivalDestroy", at(96 * DAY), RULES);
    if (one.action !== "notify" || two.action !== "notify") throw new Error("expected notify");
    expect(two.notice.id).toBe(one.notice.id);
  });

  test("an arrival whose label names a job carries the job in its notice", () => {
    const named = newArrival({ carrierName: "DHL", trackingNumber: "PKG-10", driveIds: ["X1"], reason: "JobNotShipping", jobKey: KEY }, at(0));
    const decision = decideArrivalDeadline(named, "ArrivalReturn", at(15 * DAY), RULES);
    if (decision.action !== "notify") throw new Error("expected notify");
    expect(decision.notice.job).toEqual({ subscriptionId: KEY.subscriptionId, resourceGroup: "rg", name: "deadline-job" });
  });
});
