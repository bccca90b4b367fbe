/**
 * Packages that came before their job: the maintenance run settles the unmatched arrivals whose
 * label names a job, so a package recorded before its job existed is received once the job exists
 * and ships, without an operator. The label (subscription, resource group, job) is what says whose
 * package it is: a tenant can create jobs only in its own subscriptions, and a tracking number,
 * which anyone can copy into a delivery package, never attaches a package by itself. Its own tables
 * and a TestClock, as the sweep acts on everything in them.
 */
import { randomBytes } from "node:crypto";
import { devToken, DELIVERY_PACKAGE, importJobBody, newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { api, createJob, jobUrl } from "../api/helpers";
import { MaintenanceHarness, runSweep, startMaintenanceService } from "../maintenance/helpers";
import { Body, driveStates, getHistory, getJob, JobRef, listAll, markShipping, postEvent } from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService();
});
afterAll(() => h.close());

const RG = "waiting-rg";
const tracking = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex").toUpperCase()}`;

async function arrivalsWith(status: "Unmatched" | "Attached", trackingNumber: string): Promise<Body[]> {
  return (await listAll(h.service, `/operator/arrivals?status=${status}`)).filter((a) => a.trackingNumber === trackingNumber);
}

async function packageBeforeItsJob(name: string, trackingNumber: string): Promise<{ job: JobRef; arrivalId: string }> {
  const job = { sub: newSubscriptionId(), rg: RG, name };
  const recorded = await postEvent(h.service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber, driveIds: ["DRIVE01", "DRIVE02"] });
  expect(recorded.status).toBe(202);
  expect(recorded.body.arrival.reason).toBe("NoSuchJob");
  return { job, arrivalId: recorded.body.arrival.id };
}

test("regression: a package recorded before its job existed is received once the job exists and ships, with no second report", async () => {
  const trackingNumber = tracking("BEFORE");
  const { job, arrivalId } = await packageBeforeItsJob("before-its-job", trackingNumber);
  await createJob(h.service, job.sub, RG, job.name, importJobBody(job.sub));
  // Nothing told the new job about the package: it ships as any job does.
  expect((await markShipping(h.service, job)).properties.state).toBe("Shipping");

  const report = await runSweep(h.service);

  expect(report.arrivals).toMatchObject({ received: 1, failed: 0 });
  const received = await getJob(h.service, job);
  expect(received.properties.state).toBe("Received");
  expect(driveStates(received)).toEqual({ DRIVE01: "Received", DRIVE02: "Received" });
  const [attached] = await arrivalsWith("Attached", trackingNumber);
  expect(attached).toMatchObject({ id: arrivalId, reason: "NoSuchJob", attachedTo: { subscriptionId: job.sub, resourceGroupName: RG, jobName: job.name } });
  expect(await arrivalsWith("Unmatched", trackingNumber)).toEqual([]);
  const receivedBy = (await getHistory(h.service, job)).find((entry) => entry.to === "Received" && !entry.driveId);
  expect(receivedBy).toMatchObject({ by: "import-export-service", role: "operator" });

  // Settled once: the next run has nothing to do for it.
  expect((await runSweep(h.service)).arrivals).toMatchObject({ received: 0, marked: 0, failed: 0 });
});

test("a run while the new job is still Creating marks it, so marking Shipping receives the package in the same request", async () => {
  const trackingNumber = tracking("MARKED");
  const { job, arrivalId } = await packageBeforeItsJob("created-later", trackingNumber);
  await createJob(h.service, job.sub, RG, job.name, importJobBody(job.sub));

  expect((await runSweep(h.service)).arrivals).toMatchObject({ marked: 1, failed: 0 });
  expect((await getJob(h.service, job)).properties.state).toBe("Creating");

  expect((await markShipping(h.service, job)).properties.state).toBe("Received");
  expect((await arrivalsWith("Attached", trackingNumber)).map((a) => a.id)).toEqual([arrivalId]);
});

test("a package whose job never comes stays unmatched, run after run", async () => {
  const trackingNumber = tracking("NEVER");
  const { arrivalId } = await packageBeforeItsJob("never-comes", trackingNumber);
  await runSweep(h.service);
  await runSweep(h.service);
  expect((await arrivalsWith("Unmatched", trackingNumber)).map((a) => a.id)).toEqual([arrivalId]);
});

describe("a stranger cannot claim another customer's package", () => {
  const HOSTILE = { authorization: `Bearer ${devToken({ tid: "hostile-tenant", upn: "mallory" })}` };

  async function hostileShippingJob(sub: string, name: string, trackingNumber: string): Promise<void> {
    const created = await api(h.service, "PUT", jobUrl(sub, RG, name), importJobBody(sub), HOSTILE);
    expect(created.status).toBe(201);
    const shipping = await api(
      h.service,
      "PATCH",
      jobUrl(sub, RG, name),
      { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, carrierName: "FedEx", trackingNumber }, returnAddress: RETURN_ADDRESS, state: "Shipping" } },
      HOSTILE,
    );
    expect(shipping.status).toBe(200);
  }

  test("not by a job of the same name in its own subscription, nor by copying the tracking number into its delivery package", async () => {
    const victimTracking = tracking("VICTIM");
    const looseTracking = tracking("LOOSE");
    const { job: victim, arrivalId } = await packageBeforeItsJob("wanted-name", victimTracking);
    // The subscription is the victim's (in dev mode the first tenant to use one registers it; in Azure, ARM says).
    await createJob(h.service, victim.sub, RG, "first-use", importJobBody(victim.sub));
    const loose = await api(h.service, "POST", "/operator/arrivals", { carrierName: "FedEx", trackingNumber: looseTracking, driveIds: ["DRIVE01", "DRIVE02"] });
    expect(loose.status).toBe(201);

    // The stranger's own subscription: the same group and job name, the victim's tracking numbers.
    const hostileSub = newSubscriptionId();
    await hostileShippingJob(hostileSub, victim.name, victimTracking);
    await hostileShippingJob(hostileSub, "copied-tracking", looseTracking);
    // The victim's subscription is not the stranger's to create jobs in.
    const intrusion = await api(h.service, "PUT", jobUrl(victim.sub, RG, victim.name), importJobBody(victim.sub), HOSTILE);
    expect(intrusion.status).toBeGreaterThanOrEqual(400);
    expect(intrusion.status).toBeLessThan(500);

    // Settling runs, the desk reports the victim's package again: nothing reaches the stranger.
    await runSweep(h.service);
    expect((await postEvent(h.service, victim, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: victimTracking, driveIds: ["DRIVE01"] })).body.arrival.id).toBe(arrivalId);
    await runSweep(h.service);

    for (const name of [victim.name, "copied-tracking"]) {
      const hostileJob = await api(h.service, "GET", jobUrl(hostileSub, RG, name), undefined, HOSTILE);
      expect(hostileJob.body.properties.state).toBe("Shipping");
      expect(driveStates(hostileJob.body)).toEqual({ DRIVE01: "Specified", DRIVE02: "Specified" });
    }
    expect((await arrivalsWith("Unmatched", victimTracking)).map((a) => a.id)).toEqual([arrivalId]);
    expect((await arrivalsWith("Unmatched", looseTracking)).map((a) => a.id)).toEqual([loose.body.id]);

    // The subscription's own customer creates the job the label names, ships it, and receives it.
    await createJob(h.service, victim.sub, RG, victim.name, importJobBody(victim.sub));
    expect((await markShipping(h.service, victim)).properties.state).toBe("Shipping");
    await runSweep(h.service);
    expect((await getJob(h.service, victim)).properties.state).toBe("Received");
    expect((await arrivalsWith("Attached", victimTracking))[0]).toMatchObject({ id: arrivalId, attachedTo: { subscriptionId: victim.sub, jobName: victim.name } });
    // A package with no label waits for an operator, whatever delivery packages say.
    expect((await arrivalsWith("Unmatched", looseTracking)).map((a) => a.id)).toEqual([loose.body.id]);
  });
});
