/**
 * Unmatched arrivals: packages for a job that is not Shipping, for no known job, or with no job on
 * the label are recorded (202/201), listed, and attached when the job is Shipping: by the customer
 * marking it so, or by an operator.
 */
import { ErrorFactory } from "../../shared/domain/errors";
import { ArrivalsStore } from "../../shared/storage/arrivals.store";
import { importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError } from "../api/helpers";
import { Body, driveStates, event, getHistory, getJob, JobRef, listAll, markShipping, postEvent } from "./helpers";
import { jobsTableClient, table } from "../maintenance/helpers";
import { getSettings } from "../../shared/app/services";
import { randomBytes } from "node:crypto";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "arrivals-rg";
const ARRIVAL_ID = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

async function newJob(name: string, shipping = false): Promise<JobRef> {
  const job = { sub: newSubscriptionId(), rg: RG, name };
  await createJob(service, job.sub, RG, name, importJobBody(job.sub));
  if (shipping) await markShipping(service, job);
  return job;
}

async function arrivals(status?: "Unmatched" | "Attached"): Promise<Body[]> {
  return listAll(service, `/operator/arrivals${status ? `?status=${status}` : ""}`);
}

function attach(arrivalId: string, job: JobRef) {
  return api(service, "POST", `/operator/arrivals/${arrivalId}/attach`, { subscriptionId: job.sub, resourceGroupName: job.rg, jobName: job.name });
}

test("a package for a Creating job is an unmatched arrival, received the moment the customer marks the job Shipping", async () => {
  const job = await newJob("early-package");
  const response = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "EARLY-1", driveIds: ["DRIVE01", "DRIVE02"] });
  expect(response.status).toBe(202);
  const arrival = response.body.arrival;
  expect(Object.keys(response.body)).toEqual(["arrival"]);
  expect(arrival).toMatchObject({
    status: "Unmatched",
    reason: "JobNotShipping",
    carrierName: "FedEx",
    trackingNumber: "EARLY-1",
    driveIds: ["DRIVE01", "DRIVE02"],
    job: { subscriptionId: job.sub, resourceGroupName: RG, jobName: "early-package" },
  });
  expect(arrival.id).toMatch(ARRIVAL_ID);
  expect(arrival.attachedAt).toBeUndefined();

  // The job itself did not move.
  expect((await getJob(service, job)).properties.state).toBe("Creating");
  expect((await arrivals()).map((a) => a.id)).toContain(arrival.id);
  expect((await arrivals("Attached")).map((a) => a.id)).not.toContain(arrival.id);

  // Marking Shipping receives the package in the same request.
  const shipped = await markShipping(service, job);
  expect(shipped.properties.state).toBe("Received");
  expect(driveStates(shipped)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
  expect((await getJob(service, job)).properties.state).toBe("Received");

  const attached = (await arrivals("Attached")).find((a) => a.id === arrival.id);
  expect(attached).toMatchObject({ status: "Attached", reason: "JobNotShipping", attachedTo: { subscriptionId: job.sub, resourceGroupName: RG, jobName: "early-package" } });
  expect(Date.parse(attached.attachedAt)).toBeGreaterThanOrEqual(Date.parse(attached.arrivedAt));
  expect((await arrivals("Unmatched")).map((a) => a.id)).not.toContain(arrival.id);

  const history = await getHistory(service, job);
  expect(history.filter((entry) => !entry.driveId).map((entry) => [entry.to, entry.role])).toEqual([
    ["Creating", "customer"],
    ["Shipping", "customer"],
    ["Received", "operator"],
  ]);
  expect(history.find((entry) => entry.to === "Received" && !entry.driveId)?.reason).toMatch(/EARLY-1/);

  // The arrival, once attached, cannot be attached again.
  expectArmError(await attach(arrival.id, job), 409, "ArrivalAlreadyAttached");
});

test("the label's job name is matched case-insensitively when the customer marks the job Shipping", async () => {
  const job = await newJob("mixed-case");
  const response = await postEvent(service, { ...job, name: "MIXED-Case" }, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "CASE-1", driveIds: ["drive01", "DRIVE02"] });
  expect(response.status).toBe(202);
  expect(response.body.arrival.reason).toBe("JobNotShipping");
  const shipped = await markShipping(service, job);
  expect(shipped.properties.state).toBe("Received");
  expect(driveStates(shipped)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
  expect((await arrivals("Attached")).find((a) => a.id === response.body.arrival.id)?.attachedTo.jobName).toBe("mixed-case");
});

test("a package for a job that does not exist is recorded as NoSuchJob", async () => {
  const job = { sub: newSubscriptionId(), rg: RG, name: "never-created" };
  const response = await postEvent(service, job, { type: "PackageReceived", carrierName: "UPS", trackingNumber: "GHOST-1", driveIds: ["G1"] });
  expect(response.status).toBe(202);
  expect(response.body.arrival).toMatchObject({ status: "Unmatched", reason: "NoSuchJob", driveIds: ["G1"], job: { subscriptionId: job.sub, jobName: "never-created" } });
  const listed = (await arrivals()).find((a) => a.id === response.body.arrival.id);
  expect(listed).toMatchObject({ reason: "NoSuchJob", trackingNumber: "GHOST-1" });
  // Any other event for the missing job is a 404.
  expectArmError(await postEvent(service, job, { type: "FaultJob", reason: "x" }), 404, "ResourceNotFound");
});

test("a second PackageReceived for a job already Received is recorded as an arrival and changes nothing", async () => {
  const job = await newJob("package-twice", true);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "ONCE-1", driveIds: ["DRIVE01"] });
  const again = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "ONCE-2", driveIds: ["DRIVE02"] });
  expect(again.status).toBe(202);
  expect(again.body.arrival.reason).toBe("JobNotShipping");
  const customer = await getJob(service, job);
  expect(customer.properties.state).toBe("Received");
  expect(driveStates(customer)).toEqual({ DRIVE01: "Received", DRIVE02: "NeverReceived" });
});

test("regression: the same package reported twice (a retry) is a 409, not a second arrival", async () => {
  const job = await newJob("package-retry", true);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "RETRY-1", driveIds: ["DRIVE01", "DRIVE02"] });
  const unmatchedBefore = (await api(service, "GET", "/operator/arrivals")).body.value.length;

  const again = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "RETRY-1", driveIds: ["DRIVE01", "DRIVE02"] });

  expectArmError(again, 409, "EventNotAllowed", { message: /'Received'/ });
  expect((await api(service, "GET", "/operator/arrivals")).body.value.length).toBe(unmatchedBefore);
});

describe("the same package reported again (a retry) is the arrival first recorded, not a second one", () => {
  const unmatchedWith = async (trackingNumber: string) => (await arrivals("Unmatched")).filter((a) => a.trackingNumber === trackingNumber);

  test("for a Creating job, and for a job that does not exist", async () => {
    const creating = await newJob("retry-creating");
    const missing = { sub: newSubscriptionId(), rg: RG, name: "retry-missing" };
    const firstIds: string[] = [];
    for (const [job, trackingNumber] of [[creating, "RETRY-C"], [missing, "RETRY-M"]] as const) {
      const package_ = { type: "PackageReceived", carrierName: "FedEx", trackingNumber, driveIds: ["DRIVE01"] };
      const first = await postEvent(service, job, package_);
      const again = await postEvent(service, job, package_);
      expect([first.status, again.status]).toEqual([202, 202]);
      expect(again.body.arrival.id).toBe(first.body.arrival.id);
      expect((await unmatchedWith(trackingNumber)).map((a) => a.id)).toEqual([first.body.arrival.id]);
      firstIds.push(first.body.arrival.id);
    }
    // Another carrier's parcel with the same number is another package.
    const other = await postEvent(service, creating, { type: "PackageReceived", carrierName: "UPS", trackingNumber: "RETRY-C", driveIds: ["DRIVE02"] });
    expect(other.body.arrival.id).not.toBe(firstIds[0]);
    expect((await unmatchedWith("RETRY-C")).map((a) => a.id).sort()).toEqual([firstIds[0], other.body.arrival.id].sort());
  });

  test("with no job on the label", async () => {
    const package_ = { carrierName: "DHL", trackingNumber: "RETRY-N", driveIds: ["DRIVE01"] };
    const first = await api(service, "POST", "/operator/arrivals", package_);
    const again = await api(service, "POST", "/operator/arrivals", package_);
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await unmatchedWith("RETRY-N")).map((a) => a.id)).toEqual([first.body.id]);
  });

  test("a package first reported for a job that did not exist marks the job once it does, so marking Shipping receives it", async () => {
    const job = { sub: newSubscriptionId(), rg: RG, name: "retry-later" };
    const package_ = { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "RETRY-L", driveIds: ["DRIVE01", "DRIVE02"] };
    const first = await postEvent(service, job, package_);
    expect(first.body.arrival.reason).toBe("NoSuchJob");
    await createJob(service, job.sub, RG, job.name, importJobBody(job.sub));

    const again = await postEvent(service, job, package_);
    expect(again.body.arrival.id).toBe(first.body.arrival.id);
    expect((await markShipping(service, job)).properties.state).toBe("Received");
    expect((await arrivals("Attached")).map((a) => a.id)).toContain(first.body.arrival.id);
  });
});

describe("one package, one arrival: carrier and tracking number compared normalised, recorded under a uniqueness key", () => {
  const unmatchedBy = async (trackingNumbers: string[]) => {
    const all = await arrivals("Unmatched");
    return trackingNumbers.map((trackingNumber) => all.filter((a) => a.trackingNumber === trackingNumber).map((a) => a.id));
  };
  const unique = () => randomBytes(4).toString("hex").toUpperCase();

  test("regression: `１２３` and `123` are one package, with the text first reported kept", async () => {
    const missing = { sub: newSubscriptionId(), rg: RG, name: "fullwidth-missing" };
    const first = await postEvent(service, missing, { type: "PackageReceived", carrierName: "ＦｅｄＥｘ", trackingNumber: "１２３-４５６", driveIds: ["DRIVE01"] });
    const again = await postEvent(service, missing, { type: "PackageReceived", carrierName: "fedex", trackingNumber: "123 456", driveIds: ["DRIVE01"] });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.arrival.id).toBe(first.body.arrival.id);
    expect(again.body.arrival).toMatchObject({ carrierName: "ＦｅｄＥｘ", trackingNumber: "１２３-４５６" });

    const desk = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "ＮＯＲＭ-１", driveIds: ["DRIVE01"] });
    const deskAgain = await api(service, "POST", "/operator/arrivals", { carrierName: "dhl", trackingNumber: "norm1", driveIds: ["DRIVE01"] });
    expect(deskAgain.body.id).toBe(desk.body.id);
    expect(await unmatchedBy(["１２３-４５６", "123 456", "ＮＯＲＭ-１", "norm1"])).toEqual([[first.body.arrival.id], [], [desk.body.id], []]);
  });

  test("the package a job received, reported again in another form, is a 409, not a second arrival", async () => {
    const job = await newJob("fullwidth-received", true);
    await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "RCV-77", driveIds: ["DRIVE01", "DRIVE02"] });
    expectArmError(await postEvent(service, job, { type: "PackageReceived", carrierName: "ＦＥＤＥＸ", trackingNumber: "ｒｃｖ７７", driveIds: ["DRIVE01"] }), 409, "EventNotAllowed");
    expect(await unmatchedBy(["ｒｃｖ７７"])).toEqual([[]]);
  });

  test("two identical reports at the same instant are recorded once (no label, no such job, a Creating job), round after round", async () => {
    const ROUNDS = 5;
    const trackingNumbers: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const creating = await newJob(`same-instant-${round}`);
      const missing = { sub: newSubscriptionId(), rg: RG, name: `same-instant-missing-${round}` };
      const [noLabel, noJob, notShipping] = [`SI-N-${unique()}`, `SI-M-${unique()}`, `SI-C-${unique()}`];
      trackingNumbers.push(noLabel, noJob, notShipping);
      const twice = <T>(report: () => Promise<T>) => Promise.all([report(), report(), report()]);
      const [desk, missed, early] = await Promise.all([
        twice(() => api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: noLabel, driveIds: ["DRIVE01"] })),
        twice(() => postEvent(service, missing, { type: "PackageReceived", carrierName: "UPS", trackingNumber: noJob, driveIds: ["DRIVE01"] })),
        twice(() => postEvent(service, creating, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: notShipping, driveIds: ["DRIVE01"] })),
      ]);
      expect(desk.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(new Set(desk.map((r) => r.body.id)).size).toBe(1);
      for (const responses of [missed, early]) {
        expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
        expect(new Set(responses.map((r) => r.body.arrival.id)).size).toBe(1);
      }
      // The job's mark survives the race, so marking Shipping receives the one arrival.
      expect((await markShipping(service, creating)).properties.state).toBe("Received");
    }
    const recorded = await unmatchedBy(trackingNumbers);
    const attached = (await arrivals("Attached")).filter((a) => trackingNumbers.includes(a.trackingNumber));
    // Per round: one unmatched arrival without a label, one for the missing job, one attached.
    expect(recorded.map((ids) => ids.length)).toEqual(Array.from({ length: ROUNDS }, () => [1, 1, 0]).flat());
    expect(attached).toHaveLength(ROUNDS);
  });

  test("a package closed out and reported again is a new arrival (the first one's key no longer holds it)", async () => {
    const trackingNumber = `CLOSED-${unique()}`;
    const first = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    expect((await api(service, "POST", `/operator/arrivals/${first.body.id}/events`, { type: "DrivesDestroyed", certificateReference: "CERT-1" })).status).toBe(200);
    const again = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect(await unmatchedBy([trackingNumber])).toEqual([[again.body.id]]);
  });

  test("a key left behind when releasing it failed does not hold the package: the next report records it anew", async () => {
    const trackingNumber = `STALE-${unique()}`;
    const job = await newJob("stale-key", true);
    const first = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    const release = jest.spyOn(ArrivalsStore.prototype as unknown as { releasePackageKey: () => Promise<void> }, "releasePackageKey").mockRejectedValue(ErrorFactory.storageUnavailable());
    try {
      expect((await attach(first.body.id, job)).status).toBe(200);
    } finally {
      release.mockRestore();
    }
    const again = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    const third = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    expect(third.body.id).toBe(again.body.id);
    expect(await unmatchedBy([trackingNumber])).toEqual([[again.body.id]]);
  });

  test("an arrival recorded before uniqueness keys (its row keyed by id alone) is still the one a report finds, and attaches", async () => {
    const job = await newJob("legacy-arrival");
    const id = `20260101T000000000Z-${randomBytes(4).toString("hex")}`;
    const trackingNumber = `LEGACY-${unique()}`;
    const legacy = { id, carrierName: "FedEx", trackingNumber, driveIds: ["DRIVE01", "DRIVE02"], jobKey: { subscriptionId: job.sub, resourceGroup: RG, name: job.name }, reason: "JobNotShipping", arrivedAt: "2026-01-01T00:00:00.000Z", status: "Unmatched" };
    await table(getSettings().arrivalsTableName).createEntity({
      partitionKey: "unmatched",
      rowKey: id,
      JobKey: `${job.sub}:${RG}/${job.name}`.toLowerCase(),
      ArrivedAt: new Date(legacy.arrivedAt),
      Arrival: JSON.stringify(legacy),
    });
    const again = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(again.status).toBe(202);
    expect(again.body.arrival.id).toBe(id);
    expect(await unmatchedBy([trackingNumber])).toEqual([[id]]);
    // The report marked the job, so marking Shipping receives the package and moves the old row.
    expect((await markShipping(service, job)).properties.state).toBe("Received");
    expect((await arrivals("Attached")).map((a) => a.id)).toContain(id);
    expect(await unmatchedBy([trackingNumber])).toEqual([[]]);
  });

  test("a tracking number whose normalised form is long and holds characters table keys forbid is one package too", async () => {
    // NFKC turns each U+FDFA into 18 characters and '／', '＃', '？' into '/', '#', '?': the key is a hash.
    const tail = unique();
    const trackingNumber = `／＃？${"\ufdfa".repeat(53)}${tail}`;
    expect(trackingNumber).toHaveLength(64);
    expect(Buffer.byteLength(trackingNumber.normalize("NFKC"))).toBeGreaterThan(1024);
    const job = { sub: newSubscriptionId(), rg: RG, name: "long-key" };
    const first = await postEvent(service, job, { type: "PackageReceived", carrierName: "DHL", trackingNumber, driveIds: ["DRIVE01"] });
    expect(first.status).toBe(202);
    const again = await postEvent(service, job, { type: "PackageReceived", carrierName: "DHL", trackingNumber: `/#?${"\ufdfa".repeat(53)}${tail.toLowerCase()}`, driveIds: ["DRIVE01"] });
    expect(again.status).toBe(202);
    expect(again.body.arrival.id).toBe(first.body.arrival.id);
  });

  test("a carrier or tracking number with no letter or digit is refused: it could name no package", async () => {
    const desk = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "- -\u200b", driveIds: ["DRIVE01"] });
    expectArmError(desk, 400, "InvalidRequestContent");
    expect(desk.body.error.details).toEqual([expect.objectContaining({ target: "trackingNumber", message: expect.stringMatching(/letter or a digit/) })]);
    const job = { sub: newSubscriptionId(), rg: RG, name: "no-digits" };
    const event = await postEvent(service, job, { type: "PackageReceived", carrierName: "--", trackingNumber: "1", driveIds: ["DRIVE01"] });
    expectArmError(event, 400, "InvalidRequestContent");
    expect(event.body.error.details.map((detail: { target: string }) => detail.target)).toEqual(["carrierName"]);
  });
});

test("POST /operator/arrivals naming a Shipping job receives the package for it", async () => {
  const job = await newJob("desk-shipping", true);
  const response = await api(service, "POST", "/operator/arrivals", {
    carrierName: "DHL",
    trackingNumber: "DESK-1",
    driveIds: ["DRIVE01", "DRIVE02"],
    subscriptionId: job.sub,
    resourceGroupName: RG,
    jobName: "desk-shipping",
  });
  expect(response.status).toBe(200);
  expect(response.body.properties.state).toBe("Received");
});

test("POST /operator/arrivals naming a job still Creating records it as JobNotShipping", async () => {
  const job = await newJob("desk-creating", false);
  const response = await api(service, "POST", "/operator/arrivals", {
    carrierName: "DHL",
    trackingNumber: "DESK-2",
    driveIds: ["DRIVE01"],
    subscriptionId: job.sub,
    resourceGroupName: RG,
    jobName: "desk-creating",
  });
  expect(response.status).toBe(201);
  expect(response.body).toMatchObject({ reason: "JobNotShipping", status: "Unmatched" });
});

test("a package with no job on the label: recorded, then attached by an operator to the Shipping job", async () => {
  const response = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "NOLABEL-1", driveIds: ["DRIVE01", "DRIVE02"] });
  expect(response.status).toBe(201);
  const arrival = response.body;
  expect(arrival).toMatchObject({ status: "Unmatched", reason: "NoJobNamed", carrierName: "DHL", trackingNumber: "NOLABEL-1", driveIds: ["DRIVE01", "DRIVE02"] });
  expect(arrival.job).toBeUndefined();
  expect(arrival.id).toMatch(ARRIVAL_ID);
  expect((await arrivals()).map((a) => a.id)).toContain(arrival.id);

  // Not to a Creating job: it is attached when the customer marks that one Shipping.
  const creating = await newJob("attach-creating");
  expectArmError(await attach(arrival.id, creating), 409, "JobNotShipping", { message: /'Creating'/ });
  expect((await getJob(service, creating)).properties.state).toBe("Creating");

  const shipping = await newJob("attach-shipping", true);
  const attached = await attach(arrival.id, shipping);
  expect(attached.status).toBe(200);
  expect(attached.body.properties.state).toBe("Received");
  expect(driveStates(attached.body)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
  expect(attached.body.operator.allowedEvents).toContain("TransferStarted");
  expect((await getJob(service, shipping)).properties.state).toBe("Received");

  const listed = (await arrivals("Attached")).find((a) => a.id === arrival.id);
  expect(listed?.attachedTo).toEqual({ subscriptionId: shipping.sub, resourceGroupName: RG, jobName: "attach-shipping" });
  expect((await arrivals()).map((a) => a.id)).not.toContain(arrival.id);

  // Twice: refused, and the job is untouched.
  expectArmError(await attach(arrival.id, shipping), 409, "ArrivalAlreadyAttached");
  expectArmError(await attach(arrival.id, creating), 409, "ArrivalAlreadyAttached");
  expect((await getJob(service, creating)).properties.state).toBe("Creating");
});

test("attach: an unknown arrival is 404, a malformed id or body 400, an unknown job 404", async () => {
  const job = await newJob("attach-errors", true);
  expectArmError(await attach("20260101T000000000Z-0badc0de", job), 404, "ResourceNotFound");
  const malformed = await attach("not-an-arrival", job);
  expect(malformed.status).toBe(400);
  expectArmError(malformed, 400, malformed.body.error.code);
  const { body: arrival } = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "ERR-1", driveIds: ["DRIVE01"] });
  expectArmError(await attach(arrival.id, { ...job, name: "no-such-job" }), 404, "ResourceNotFound");
  expectArmError(await api(service, "POST", `/operator/arrivals/${arrival.id}/attach`, { jobName: "x" }), 400, "InvalidRequestContent");
  expectArmError(await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", driveIds: [] }), 400, "InvalidRequestContent");
  // Still unmatched after all that.
  expect((await arrivals()).map((a) => a.id)).toContain(arrival.id);
  expect((await getJob(service, job)).properties.state).toBe("Shipping");
});

// Regression: once the job had received the package, a failure to move the arrival answered 503;
// the customer's retry could not repair it, and an operator's retry of the attach got a 409.
test("marking Shipping answers 200 when the job received the package but the arrival could not be moved; attaching it then settles it", async () => {
  const job = await newJob("arrival-move-fails");
  const early = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "MOVE-1", driveIds: ["DRIVE01", "DRIVE02"] });
  const arrivalsDown = jest.spyOn(ArrivalsStore.prototype, "markAttached").mockRejectedValue(ErrorFactory.storageUnavailable());
  let shipped;
  try {
    shipped = await markShipping(service, job);
  } finally {
    arrivalsDown.mockRestore();
  }
  expect(shipped.properties.state).toBe("Received");
  expect((await arrivals("Unmatched")).map((a) => a.id)).toContain(early.body.arrival.id);

  const attached = await attach(early.body.arrival.id, job);
  expect(attached.status).toBe(200);
  expect(attached.body.properties.state).toBe("Received");
  expect((await arrivals("Attached")).map((a) => a.id)).toContain(early.body.arrival.id);
});

test("an attach that failed after the job received the package succeeds when retried", async () => {
  const job = await newJob("attach-retried", true);
  const unmatched = await api(service, "POST", "/operator/arrivals", { carrierName: "UPS", trackingNumber: "RETRY-1", driveIds: ["DRIVE01", "DRIVE02"] });
  const id = unmatched.body.id;
  const arrivalsDown = jest.spyOn(ArrivalsStore.prototype, "markAttached").mockRejectedValueOnce(ErrorFactory.storageUnavailable());
  try {
    expectArmError(await attach(id, job), 503, "ServiceUnavailable");
  } finally {
    arrivalsDown.mockRestore();
  }
  const retried = await attach(id, job);
  expect(retried.status).toBe(200);
  expect(retried.body.properties.state).toBe("Received");
  expect((await getHistory(service, job)).filter((entry) => entry.to === "Received" && !entry.driveId)).toHaveLength(1);
  expect((await arrivals("Attached")).map((a) => a.id)).toContain(id);
});

describe("closing out an unmatched arrival", () => {
  async function unmatched(tracking: string): Promise<string> {
    const response = await api(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: tracking, driveIds: ["X1", "X2"] });
    expect(response.status).toBe(201);
    return response.body.id;
  }
  const arrivalEvent = (id: string, body: Record<string, unknown>) => api(service, "POST", `/operator/arrivals/${id}/events`, body);

  test("DrivesReturned records carrier and tracking, and the arrival is listed as Returned only", async () => {
    const id = await unmatched("CLOSE-RET-1");
    const returned = await arrivalEvent(id, { type: "DrivesReturned", carrierName: "UPS", trackingNumber: "1Z-BACK-1" });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ id, status: "Returned", returnPackage: { carrierName: "UPS", trackingNumber: "1Z-BACK-1" }, closedBy: "dev-operator" });
    expect(Date.parse(returned.body.closedAt)).toBeGreaterThanOrEqual(Date.parse(returned.body.arrivedAt));
    expect((await arrivals("Unmatched")).map((a) => a.id)).not.toContain(id);
    expect((await listAll(service, "/operator/arrivals?status=Returned")).find((a) => a.id === id)).toMatchObject({ status: "Returned" });

    // Closed for good: no second close, no attach.
    expectArmError(await arrivalEvent(id, { type: "DrivesDestroyed", certificateReference: "CERT-9" }), 409, "InvalidArrivalStatus", { message: /'Returned'/ });
    const job = await newJob("after-returned", true);
    expectArmError(await attach(id, job), 409, "ArrivalClosed");
    expect((await getJob(service, job)).properties.state).toBe("Shipping");
  });

  test("DrivesDestroyed records the certificate, and the arrival is listed as Destroyed", async () => {
    const id = await unmatched("CLOSE-DES-1");
    const destroyed = await arrivalEvent(id, { type: "DrivesDestroyed", certificateReference: "CERT-2026-0042" });
    expect(destroyed.status).toBe(200);
    expect(destroyed.body).toMatchObject({ id, status: "Destroyed", certificateReference: "CERT-2026-0042" });
    expect((await listAll(service, "/operator/arrivals?status=Destroyed")).map((a) => a.id)).toContain(id);
    expect((await arrivals("Unmatched")).map((a) => a.id)).not.toContain(id);
  });

  test("bad events: unknown arrival 404, malformed body 400, an attached arrival 409", async () => {
    expectArmError(await arrivalEvent("20260101T000000000Z-00000000", { type: "DrivesDestroyed", certificateReference: "C" }), 404, "ResourceNotFound");
    const id = await unmatched("CLOSE-BAD-1");
    expectArmError(await arrivalEvent(id, { type: "DrivesDestroyed" }), 400, "InvalidRequestContent");
    expectArmError(await arrivalEvent(id, { type: "FaultJob", reason: "x" }), 400, "InvalidRequestContent");
    const job = await newJob("closes-attached", true);
    expect((await attach(id, job)).status).toBe(200);
    expectArmError(await arrivalEvent(id, { type: "DrivesReturned", carrierName: "UPS", trackingNumber: "1Z" }), 409, "InvalidArrivalStatus", { message: /'Attached'/ });
  });
});

describe("the desk's mark: marking Shipping reads the arrivals only for a job a package came for", () => {
  async function arrivalWaiting(job: JobRef): Promise<boolean | undefined> {
    const entity = await jobsTableClient().getEntity(`${job.sub}:${job.rg}`.toLowerCase(), job.name.toLowerCase());
    return entity.ArrivalWaiting as boolean | undefined;
  }

  test("an unmarked job is marked Shipping without an arrival lookup; a package for a Creating job marks it, and marking Shipping then looks it up and receives it", async () => {
    const lookups = jest.spyOn(ArrivalsStore.prototype, "unmatchedFor");
    try {
      const plain = await newJob("mark-none");
      expect((await markShipping(service, plain)).properties.state).toBe("Shipping");
      expect(lookups).not.toHaveBeenCalled();

      const job = await newJob("mark-waiting");
      expect(await arrivalWaiting(job)).toBeFalsy();
      const recorded = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "MARK-1", driveIds: ["DRIVE01", "DRIVE02"] });
      expect(recorded.status).toBe(202);
      expect(await arrivalWaiting(job)).toBe(true);

      lookups.mockClear(); // the desk looked for the package already recorded
      const shipped = await markShipping(service, job);
      expect(lookups).toHaveBeenCalledTimes(1);
      expect(shipped.properties.state).toBe("Received");
      expect((await arrivals("Attached")).map((a) => a.id)).toContain(recorded.body.arrival.id);
      // The mark has served once the job is Shipping.
      expect(await arrivalWaiting(job)).toBeFalsy();
    } finally {
      lookups.mockRestore();
    }
  });

  test("the customer marks the job Shipping between the desk recording the package and marking the job: the mark loses, and the desk receives the package", async () => {
    const job = await newJob("mark-race");
    const record = ArrivalsStore.prototype.record;
    let raced = 0;
    const racing = jest.spyOn(ArrivalsStore.prototype, "record").mockImplementation(async function (this: ArrivalsStore, arrival) {
      const recorded = await record.call(this, arrival);
      raced++;
      expect((await markShipping(service, job)).properties.state).toBe("Shipping");
      return recorded;
    });
    let response;
    try {
      response = await postEvent(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "RACE-1", driveIds: ["DRIVE01", "DRIVE02"] });
    } finally {
      racing.mockRestore();
    }
    expect(raced).toBe(1);
    expect(response.status).toBe(200);
    const current = await getJob(service, job);
    expect(current.properties.state).toBe("Received");
    expect(driveStates(current)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
    const attached = (await arrivals("Attached")).filter((a) => a.trackingNumber === "RACE-1");
    expect(attached).toHaveLength(1);
    expect((await arrivals("Unmatched")).filter((a) => a.trackingNumber === "RACE-1")).toEqual([]);
  });
});
