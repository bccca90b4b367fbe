/**
 * Behaviour that depends on time, with the clocks shortened: log SAS URIs that expire after one
 * second, and a Shipping job whose package is overdue after one second (the operators' "overdue"
 * view). Its own file, since these settings apply to the whole process.
 * The service runs on a test clock: the overdue view reads it, so that test moves it on; a SAS is
 * checked by the storage against the wall clock, so that test signs at the wall clock's time and
 * waits for the expiry for real.
 */
import { driveSpec, importJobBody, newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { createJob, sleep } from "../api/helpers";
import { driveOf, event, fetchText, getJob, JobRef, listAll, markShipping, namesIn, PACKAGE } from "./helpers";

let service: TestService;
const clock = new TestClock();
beforeAll(async () => {
  service = await startTestService({ LOG_SAS_LIFETIME: "PT1S", SHIPPING_WAIT: "PT1S" }, undefined, clock);
});
afterAll(() => service.close());

const RG = "clock-rg";

async function newJob(sub: string, name: string, shipping = true): Promise<JobRef> {
  const job = { sub, rg: RG, name };
  await createJob(service, sub, RG, name, importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01")] } }));
  if (shipping) await markShipping(service, job);
  return job;
}

test("a log URI stops working once its SAS expires", async () => {
  const job = await newJob(newSubscriptionId(), "sas-expiry");
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
  await event(service, job, { type: "TransferStarted", driveId: "DRIVE01" });
  await event(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 1, percentComplete: 1, errorLog: ["expiring line"] });

  clock.set(new Date());
  const uri: string = driveOf(await getJob(service, job), "DRIVE01").errorLogUri;
  const url = new URL(uri);
  // Starts in the past for clock skew; expires a second after it was signed.
  const startsOn = Date.parse(url.searchParams.get("st")!);
  const expiresOn = Date.parse(url.searchParams.get("se")!);
  expect(expiresOn - startsOn).toBeGreaterThanOrEqual(5 * 60_000);
  expect(expiresOn - Date.now()).toBeLessThanOrEqual(1_000);

  await sleep(2_500);
  const expired = await fetchText(uri);
  expect(expired.status).toBe(403);
  expect(expired.text).not.toContain("expiring line");

  // A fresh Get Job signs a new URI, which works (until it expires too: on a loaded machine the
  // one second can pass before the read, so a few fresh tries are allowed).
  let read = { status: 0, text: "" };
  for (let attempt = 0; attempt < 5 && read.status !== 200; attempt++) {
    clock.set(new Date());
    const fresh: string = driveOf(await getJob(service, job), "DRIVE01").errorLogUri;
    expect(fresh).not.toBe(uri);
    read = await fetchText(fresh);
  }
  expect(read.status).toBe(200);
  expect(read.text).toContain("expiring line");
});

test("a Shipping job whose package is late appears in the overdue view; received or extended, it leaves it", async () => {
  const sub = newSubscriptionId();
  const late = await newJob(sub, "late-package");
  const arrives = await newJob(sub, "arrives-in-time");
  const extended = await newJob(sub, "extended-wait");
  await newJob(sub, "still-creating", false);

  const dueAt = Date.parse((await listAll(service, "/operator/jobs?state=Shipping")).find((job) => job.id.includes(sub) && job.name === "late-package").operator.shippingDueAt);
  expect(dueAt - Date.now()).toBeLessThanOrEqual(1_000);
  expect(namesIn(await listAll(service, "/operator/jobs?view=overdue"), sub)).toEqual([]);

  await event(service, arrives, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01"] });
  clock.advance(1_500);

  expect(namesIn(await listAll(service, "/operator/jobs?view=overdue"), sub)).toEqual(["extended-wait", "late-package"]);

  // An extension moves the deadline days ahead: no longer overdue.
  const moved = await event(service, extended, { type: "ExtendShippingWait", days: 2, reason: "Customer says the courier is delayed" });
  expect(moved.properties.state).toBe("Shipping");
  expect(Date.parse(moved.operator.shippingDueAt) - Date.now()).toBeGreaterThan(47 * 3_600_000);
  expect(namesIn(await listAll(service, "/operator/jobs?view=overdue"), sub)).toEqual(["late-package"]);
  expect((await getJob(service, late)).properties.state).toBe("Shipping");
});
