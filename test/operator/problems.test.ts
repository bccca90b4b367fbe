/**
 * What goes wrong at the data center: a return address that does not work, job and drive faults,
 * events the state does not allow, malformed events; and the operator queues that list such jobs.
 */
import { DELIVERY_PACKAGE, driveSpec, importJobBody, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError, jobUrl } from "../api/helpers";
import {
  driveOf,
  driveStates,
  event,
  getHistory,
  getJob,
  getOperatorJob,
  JobRef,
  listAll,
  markShipping,
  namesIn,
  operatorJobPath,
  PACKAGE,
  patchJob,
  postEvent,
  RETURN,
} from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "problems-rg";

async function newJob(name: string, options: { sub?: string; shipping?: boolean; drives?: string[] } = {}): Promise<JobRef> {
  const job = { sub: options.sub ?? newSubscriptionId(), rg: RG, name };
  const drives = options.drives ?? ["DRIVE01", "DRIVE02"];
  await createJob(service, job.sub, RG, name, importJobBody(job.sub, { properties: { driveList: drives.map((id) => driveSpec(id)) } }));
  if (options.shipping !== false) await markShipping(service, job);
  return job;
}

/** A job with DRIVE01 copying and DRIVE02 received. */
async function transferringJob(name: string, sub?: string): Promise<JobRef> {
  const job = await newJob(name, { sub });
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
  const started = await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
  expect(started.properties.state).toBe("Transferring");
  return job;
}

describe("a return-address problem", () => {
  test("flagged in Transferring, blocks ShippedBack until the customer corrects the address", async () => {
    const job = await newJob("bad-address", { drives: ["DRIVE01"] });
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });

    const flagged = await event(service, job, { type: "ReturnAddressProblem", reason: "The carrier says the street does not exist" });
    expect(flagged.properties.state).toBe("Transferring");
    expect(flagged.operator.returnAddressProblem).toEqual({ reason: "The carrier says the street does not exist", reportedAt: expect.any(String) });
    expect(namesIn(await listAll(service, "/operator/jobs?view=returnAddress"), job.sub)).toEqual(["bad-address"]);

    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");
    expect(packaging.operator.returnAddressProblem.reason).toMatch(/street/);

    expectArmError(await postEvent(service, job, { type: "ShippedBack", ...RETURN, driveCount: 1 }), 409, "ReturnAddressProblemPending", { message: /street does not exist/ });
    const still = await getJob(service, job);
    expect(still.properties.state).toBe("Packaging");
    expect(still.properties.returnPackage).toBeUndefined();
    expect(driveOf(still, "DRIVE01").state).toBe("Completed");

    // Sending the same address again is no correction: the flag stays.
    expect((await patchJob(service, job, { properties: { returnAddress: RETURN_ADDRESS } })).status).toBe(200);
    expect((await getOperatorJob(service, job)).operator.returnAddressProblem).toBeDefined();

    const corrected = { ...RETURN_ADDRESS, streetAddress1: "15010 NE 36th Street" };
    const patched = await patchJob(service, job, { properties: { returnAddress: corrected } });
    expect(patched.status).toBe(200);
    expect(patched.body.properties.returnAddress).toEqual(corrected);
    expect((await getOperatorJob(service, job)).operator.returnAddressProblem).toBeUndefined();
    expect(namesIn(await listAll(service, "/operator/jobs?view=returnAddress"), job.sub)).toEqual([]);

    const completed = await event(service, job, { type: "ShippedBack", ...RETURN, driveCount: 1 });
    expect(completed.properties.state).toBe("Completed");
    expect((await getJob(service, job)).properties.returnAddress).toEqual(corrected);
  });
});

describe("a return-address problem corrected with Create (PUT) on the existing job", () => {
  test("the flag is cleared as with PATCH, and ShippedBack works", async () => {
    const job = await newJob("bad-address-put", { drives: ["DRIVE01"] });
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
    await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    expect((await event(service, job, { type: "ReturnAddressProblem", reason: "Recipient moved" })).properties.state).toBe("Packaging");

    // ARM clients (templates, the SDK's create) send the whole definition again, with the new address.
    const corrected = { ...RETURN_ADDRESS, streetAddress1: "1 Microsoft Way" };
    const body = importJobBody(job.sub, { properties: { driveList: [driveSpec("DRIVE01")], returnAddress: corrected, deliveryPackage: DELIVERY_PACKAGE } });
    const put = await api(service, "PUT", jobUrl(job.sub, RG, job.name), body);
    expect(put.status).toBe(200);
    expect(put.body.properties.returnAddress).toEqual(corrected);
    expect((await getOperatorJob(service, job)).operator.returnAddressProblem).toBeUndefined();
    expect((await event(service, job, { type: "ShippedBack", ...RETURN, driveCount: 1 })).properties.state).toBe("Completed");
  });
});

describe("faults", () => {
  test("FaultJob in Transferring: Faulted, the customer cannot cancel, ClearJobFault resumes; the job ends Closed", async () => {
    const job = await transferringJob("job-fault");
    const faulted = await event(service, job, { type: "FaultJob", reason: "Copy station failed" });
    expect(faulted.properties.state).toBe("Faulted");
    expect(faulted.operator.stateBeforeFault).toBe("Transferring");
    expect(faulted.operator.hadFault).toBe(true);
    expect(faulted.operator.allowedEvents).toEqual(["ClearJobFault", "ClearDriveFault"]);
    expect((await getJob(service, job)).properties.state).toBe("Faulted");

    const cancel = await patchJob(service, job, { properties: { cancelRequested: true } });
    expectArmError(cancel, 409, "JobFaulted", { target: "properties.cancelRequested" });
    expect((await getJob(service, job)).properties.cancelRequested).toBe(false);

    // Progress can't be recorded while the job is faulted.
    expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 1, percentComplete: 1 }), 409, "EventNotAllowed", {
      message: "'TransferProgress' cannot be recorded for a job in state 'Faulted'. Events allowed in 'Faulted': ClearJobFault, ClearDriveFault.",
    });

    // Back to a state Transferring could not reach: refused.
    expectArmError(await postEvent(service, job, { type: "ClearJobFault", returnTo: "Shipping", reason: "fixed" }), 409, "InvalidJobState", { message: /'Transferring'.*not 'Shipping'/ });
    expectArmError(await postEvent(service, job, { type: "ClearJobFault", returnTo: "Received", reason: "fixed" }), 409, "InvalidJobState");
    expect((await getJob(service, job)).properties.state).toBe("Faulted");

    const cleared = await event(service, job, { type: "ClearJobFault", reason: "Station replaced" });
    expect(cleared.properties.state).toBe("Transferring");
    expect(cleared.operator.stateBeforeFault).toBeUndefined();
    expect(cleared.operator.hadFault).toBe(true);
    expect(driveStates(cleared)).toEqual({ DRIVE01: "Transferring", DRIVE02: "Received" });

    await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    const packaging = await event(service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" });
    expect(packaging.properties.state).toBe("Packaging");
    const closed = await event(service, job, { type: "ShippedBack", ...RETURN });
    expect(closed.properties.state).toBe("Closed");
    expect(driveStates(closed)).toEqual({ DRIVE01: "ShippedBack", DRIVE02: "ShippedBack" });

    const history = await getHistory(service, job);
    const faultEntries = history.filter((entry) => !entry.driveId && (entry.to === "Faulted" || entry.from === "Faulted"));
    expect(faultEntries.map((entry) => [entry.from, entry.to, entry.role, entry.reason])).toEqual([
      ["Transferring", "Faulted", "operator", "Copy station failed"],
      ["Faulted", "Transferring", "operator", "Station replaced"],
    ]);
  });

  test("FaultDrive / ClearDriveFault: the drive stops and resumes; the faulted view lists both kinds of fault", async () => {
    const sub = newSubscriptionId();
    const driveJob = await transferringJob("drive-fault", sub);
    const jobJob = await transferringJob("whole-fault", sub);
    await transferringJob("healthy", sub);

    const faultedDrive = await event(service, driveJob, { type: "FaultDrive", driveId: "DRIVE01", reason: "Unreadable sectors" });
    expect(faultedDrive.properties.state).toBe("Transferring");
    expect(driveOf(faultedDrive, "DRIVE01").state).toBe("Faulted");
    expect(faultedDrive.operator.hadFault).toBe(true);
    // A faulted drive takes no progress.
    expectArmError(await postEvent(service, driveJob, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 1, percentComplete: 1 }), 409, "InvalidDriveState");
    // A drive that is not faulted can't be cleared.
    expectArmError(await postEvent(service, driveJob, { type: "ClearDriveFault", driveId: "DRIVE02", reason: "x" }), 409, "InvalidDriveStateTransition");

    await event(service, jobJob, { type: "FaultJob", reason: "Customer data question" });

    const faultedView = namesIn(await listAll(service, "/operator/jobs?view=faulted"), sub);
    expect(faultedView).toEqual(["drive-fault", "whole-fault"]);
    const attention = namesIn(await listAll(service, "/operator/jobs"), sub);
    expect(attention).toEqual(["drive-fault", "healthy", "whole-fault"]);

    const cleared = await event(service, driveJob, { type: "ClearDriveFault", driveId: "DRIVE01", reason: "Re-seated" });
    expect(driveOf(cleared, "DRIVE01").state).toBe("Transferring");
    expect(namesIn(await listAll(service, "/operator/jobs?view=faulted"), sub)).toEqual(["whole-fault"]);

    // The drive resumed where it stopped, so it can finish; the job then closes because it had a fault.
    await event(service, driveJob, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await event(service, driveJob, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(service, driveJob, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" });
    expect((await event(service, driveJob, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Closed");
    expect(
      (await getHistory(service, driveJob))
        .filter((entry) => entry.driveId === "DRIVE01")
        .map((entry) => [entry.from, entry.to])
        .slice(2, 4),
    ).toEqual([
      ["Transferring", "Faulted"],
      ["Faulted", "Transferring"],
    ]);
  });

  test("a job faulted while Shipping clears back to Shipping and can still receive its package", async () => {
    const job = await newJob("fault-shipping");
    expect((await event(service, job, { type: "FaultJob", reason: "Wrong data center on the label" })).properties.state).toBe("Faulted");
    expect((await event(service, job, { type: "ClearJobFault", reason: "Rerouted" })).properties.state).toBe("Shipping");
    const received = await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(received.properties.state).toBe("Received");
    expect(received.operator.hadFault).toBe(true);
  });
});

describe("events the state does not allow", () => {
  test("each is 409 EventNotAllowed, naming the state and the events it allows, and changes nothing", async () => {
    const shipping = await newJob("forbidden-shipping");
    expectArmError(await postEvent(service, shipping, { type: "TransferStarted", driveId: "DRIVE01" }), 409, "EventNotAllowed", {
      message: "'TransferStarted' cannot be recorded for a job in state 'Shipping'. Events allowed in 'Shipping': PackageReceived, FaultJob, ExtendShippingWait, CloseUnresponsive.",
    });
    expectArmError(await postEvent(service, shipping, { type: "DriveReceived", driveId: "DRIVE01" }), 409, "EventNotAllowed", { message: /'Shipping'/ });
    expect((await getJob(service, shipping)).properties.state).toBe("Shipping");

    const transferring = await transferringJob("forbidden-transferring");
    expectArmError(await postEvent(service, transferring, { type: "ShippedBack", ...RETURN }), 409, "EventNotAllowed", {
      message:
        "'ShippedBack' cannot be recorded for a job in state 'Transferring'. Events allowed in 'Transferring': DriveReceived, TransferStarted, TransferProgress, TransferFinished, ReturnAddressProblem, FaultJob, FaultDrive, ClearDriveFault.",
    });
    expectArmError(await postEvent(service, transferring, { type: "ClearJobFault", reason: "nothing to clear" }), 409, "EventNotAllowed", { message: /'Transferring'/ });
    expectArmError(await postEvent(service, transferring, { type: "ExtendShippingWait", days: 3 }), 409, "EventNotAllowed");
    const unchanged = await getJob(service, transferring);
    expect(unchanged.properties.state).toBe("Transferring");
    expect(unchanged.properties.returnPackage).toBeUndefined();

    const received = await newJob("forbidden-received");
    await event(service, received, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
    expectArmError(await postEvent(service, received, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 1, percentComplete: 1 }), 409, "EventNotAllowed", {
      message: /state 'Received'.*DriveReceived, TransferStarted, FaultJob, FaultDrive, ClearDriveFault\./,
    });
    expectArmError(await postEvent(service, received, { type: "ReturnAddressProblem", reason: "x" }), 409, "EventNotAllowed");
    // A drive already received can't be received again.
    expectArmError(await postEvent(service, received, { type: "DriveReceived", driveId: "DRIVE01" }), 409, "InvalidDriveStateTransition");

    // A finished job takes no event at all.
    const done = await newJob("forbidden-done", { drives: ["DRIVE01"] });
    await event(service, done, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
    await event(service, done, { type: "TransferStarted", driveId: "DRIVE01" });
    await event(service, done, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await event(service, done, { type: "ShippedBack", ...RETURN, driveCount: 1 });
    expectArmError(await postEvent(service, done, { type: "ShippedBack", ...RETURN, driveCount: 1 }), 409, "EventNotAllowed", {
      message: "'ShippedBack' cannot be recorded for a job in state 'Completed'. No operator event applies to a 'Completed' job.",
    });
    expectArmError(await postEvent(service, done, { type: "FaultJob", reason: "late" }), 409, "EventNotAllowed");

    // Creating: a non-package event is not allowed either.
    const creating = await newJob("forbidden-creating", { shipping: false });
    expectArmError(await postEvent(service, creating, { type: "CloseUnresponsive", reason: "x" }), 409, "EventNotAllowed", { message: /No operator event applies to a 'Creating' job/ });
  });

  test("malformed events are 400 in the ARM error shape; an unknown drive is DriveNotFound; an unknown job 404", async () => {
    const job = await transferringJob("bad-events");

    const unknownType = await postEvent(service, job, { type: "DriveExploded", driveId: "DRIVE01" });
    expectArmError(unknownType, 400, "InvalidRequestContent");
    expect(unknownType.body.error.details[0].target).toBe("type");

    const missingDrive = await postEvent(service, job, { type: "TransferFinished", outcome: "Completed" });
    expectArmError(missingDrive, 400, "InvalidRequestContent", { message: /'driveId' is required/ });
    expect(missingDrive.body.error.details).toEqual([{ code: "MissingRequiredProperty", target: "driveId", message: "'driveId' is required." }]);

    const tooMuch = await postEvent(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 10, percentComplete: 150 });
    expectArmError(tooMuch, 400, "InvalidRequestContent");
    expect(tooMuch.body.error.details).toEqual([expect.objectContaining({ code: "InvalidPropertyValue", target: "percentComplete" })]);

    expectArmError(await postEvent(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Great" }), 400, "InvalidRequestContent");
    expectArmError(await postEvent(service, job, { type: "ShippedBack", ...RETURN, shipDate: "next tuesday" }), 400, "InvalidRequestContent");
    expectArmError(await postEvent(service, job, { type: "TransferStarted", driveId: "bad drive!" }), 400, "InvalidRequestContent");
    expectArmError(await api(service, "POST", operatorJobPath(job, "/events"), "{not json"), 400, "InvalidRequestContent");
    expectArmError(await api(service, "POST", operatorJobPath(job, "/events"), "[]"), 400, "InvalidRequestContent");

    expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: "NOPE01", bytesSucceeded: 1, percentComplete: 1 }), 400, "DriveNotFound", {
      target: "NOPE01",
      message: "Job 'bad-events' has no drive 'NOPE01'. Its drives: DRIVE01, DRIVE02.",
    });

    expectArmError(await postEvent(service, { ...job, name: "no-such-job" }, { type: "TransferStarted", driveId: "DRIVE01" }), 404, "ResourceNotFound", { message: /no-such-job/ });
    expectArmError(await api(service, "GET", operatorJobPath({ ...job, name: "no-such-job" })), 404, "ResourceNotFound");
    expectArmError(await api(service, "GET", operatorJobPath({ ...job, name: "no-such-job" }, "/history")), 404, "ResourceNotFound");

    // None of it touched the job.
    const after = await getJob(service, job);
    expect(after.properties.state).toBe("Transferring");
    expect(driveOf(after, "DRIVE01").percentComplete).toBe(0);
    expect(driveOf(after, "DRIVE01").state).toBe("Transferring");
  });
});

describe("operator job lists", () => {
  test("state=Shipping lists the Shipping jobs only; several states may be named; bad queries are 400", async () => {
    const sub = newSubscriptionId();
    await newJob("listed-shipping", { sub });
    await transferringJob("listed-transferring", sub);
    await newJob("listed-creating", { sub, shipping: false });

    // Small pages, to follow nextLink through every Shipping job of the run.
    const shipping = await listAll(service, "/operator/jobs?state=Shipping&$top=5");
    expect(namesIn(shipping, sub)).toEqual(["listed-shipping"]);
    expect(new Set(shipping.map((job) => job.properties.state))).toEqual(new Set(["Shipping"]));
    const listed = shipping.find((job) => job.name === "listed-shipping" && job.id.includes(sub));
    expect(listed.operator.allowedEvents).toEqual(["PackageReceived", "FaultJob", "ExtendShippingWait", "CloseUnresponsive"]);
    expect(Date.parse(listed.operator.shippingDueAt)).toBeGreaterThan(Date.now());

    expect(namesIn(await listAll(service, "/operator/jobs?state=Shipping,Transferring"), sub)).toEqual(["listed-shipping", "listed-transferring"]);
    expect(namesIn(await listAll(service, "/operator/jobs?state=Creating"), sub)).toEqual(["listed-creating"]);
    // The default (attention) view leaves out Creating jobs.
    expect(namesIn(await listAll(service, "/operator/jobs"), sub)).toEqual(["listed-shipping", "listed-transferring"]);

    // Paging: $top=1 gives one job per page and a nextLink.
    const page = await api(service, "GET", "/operator/jobs?state=Shipping&$top=1");
    expect(page.status).toBe(200);
    expect(page.body.value).toHaveLength(1);

    expectArmError(await api(service, "GET", "/operator/jobs?state=Lost"), 400, "InvalidQueryParameterValue");
    expectArmError(await api(service, "GET", "/operator/jobs?view=everything"), 400, "InvalidQueryParameterValue");
    expectArmError(await api(service, "GET", "/operator/jobs?$top=0"), 400, "InvalidQueryParameterValue");
  });
});

describe("ship dates", () => {
  test("ShippedBack takes Microsoft's US date form too, stored as ISO 8601; an unreadable date is a 400", async () => {
    const job = await transferringJob("shipped-us-date");
    await event(service, job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await event(service, job, { type: "TransferStarted", driveId: "DRIVE02" });
    await event(service, job, { type: "TransferFinished", driveId: "DRIVE02", outcome: "Completed" });
    expectArmError(await postEvent(service, job, { type: "ShippedBack", ...RETURN, shipDate: "someday" }), 400, "InvalidRequestContent", { message: /shipDate/ });
    const shipped = await event(service, job, { type: "ShippedBack", ...RETURN, shipDate: "12/1/2026 9:05:00 AM" });
    expect(shipped.properties.returnPackage.shipDate).toBe("2026-12-01T09:05:00.000Z");
  });
});
