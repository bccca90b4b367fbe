/**
 * The portal in a real browser: Debian's chromium driven by playwright-core, headless, against the
 * local host over the run's Azurite. The suite builds the pages itself (esbuild, as `npm run build`
 * does), so `jest` alone runs it. Screenshots go to test-results/screenshots/; with
 * UPDATE_DOCS_SCREENSHOTS=1 the README's of the jobs list and the console are refreshed in
 * docs/screenshots/ too (those of a job's page by portal-phone.test.ts).
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Browser, BrowserContext, chromium, Page } from "playwright-core";
import { call, driveSpec, exportJobBody, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";
import { DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";

const ROOT = path.join(__dirname, "..", "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");
const DOC_SCREENSHOTS = path.join(ROOT, "docs", "screenshots");
const UPDATE_DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === "1";
const RG = "portal-rg";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm run build`
const { buildPortal } = require("../../scripts/build-portal") as { buildPortal: () => Promise<{ outdir: string; files: string[] }> };

jest.setTimeout(60_000);

let service: TestService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No browser at ${CHROMIUM}: run scripts/install-chromium.sh (npm test does, as root) or set CHROMIUM_PATH.`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const [, started, launched] = await Promise.all([
    buildPortal(),
    // Its own tables, so the operator's cross-subscription queues hold this suite's jobs only.
    startTestService({ JOBS_TABLE_NAME: "portaljobs", ARRIVALS_TABLE_NAME: "portalarrivals" }),
    // playwright gives each launch a fresh, temporary --user-data-dir.
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }),
  ]);
  service = started;
  browser = launched;
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of (4\d\d)/.test(message.text())) pageErrors.push(message.text());
  });
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

async function screenshot(name: string, forDocs = false): Promise<void> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (forDocs && UPDATE_DOCS) {
    mkdirSync(DOC_SCREENSHOTS, { recursive: true });
    copyFileSync(file, path.join(DOC_SCREENSHOTS, `${name}.png`));
  }
}

// ---------------------------------------------------------------- API steps the tests set up with

interface Ref {
  sub: string;
  name: string;
}

function ref(name: string, sub = newSubscriptionId()): Ref {
  return { sub, name };
}

function jobPagePath(job: Ref, query = ""): string {
  return `/portal/jobs/${job.sub}/${RG}/${job.name}${query}`;
}

async function ok<T = Record<string, unknown>>(promise: ReturnType<typeof call>, status = 200): Promise<T> {
  const response = await promise;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire bodies are checked field by field
type Body = any;

async function createJob(job: Ref, properties: Record<string, unknown> = {}): Promise<Body> {
  return ok(call(service, "PUT", `${jobPath(job.sub, RG, job.name)}?api-version=2021-01-01`, importJobBody(job.sub, { properties })), 201);
}

async function getJob(job: Ref): Promise<Body> {
  return ok(call(service, "GET", `${jobPath(job.sub, RG, job.name)}?api-version=2021-01-01`));
}

async function shipJob(job: Ref): Promise<Body> {
  const properties = { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveCount: 2, shipDate: "2026-11-20" }, returnAddress: RETURN_ADDRESS };
  return ok(call(service, "PATCH", `${jobPath(job.sub, RG, job.name)}?api-version=2021-01-01`, { properties }));
}

async function operatorEvent(job: Ref, body: Record<string, unknown>): Promise<Body> {
  return ok(call(service, "POST", `/operator/subscriptions/${job.sub}/resourceGroups/${RG}/jobs/${job.name}/events`, body));
}

async function open(pathAndQuery: string): Promise<void> {
  await page.goto(`${service.url}${pathAndQuery}`);
}

// ---------------------------------------------------------------- the customer's pages

describe("the customer's job page", () => {
  test("shows the current state highlighted with the path taken, and each drive's progress, refreshed while the job moves", async () => {
    const job = ref("photos-2026");
    await createJob(job, { logLevel: "Verbose", driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02")] });
    await shipJob(job);
    await operatorEvent(job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveIds: ["DRIVE01", "DRIVE02"] });
    await operatorEvent(job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 2_000_000_000_000 });
    await operatorEvent(job, { type: "TransferStarted", driveId: "DRIVE02", totalBytes: 1_000_000_000_000 });
    await operatorEvent(job, {
      type: "TransferProgress",
      driveId: "DRIVE01",
      bytesSucceeded: 500_000_000_000,
      percentComplete: 25,
      copyStatus: "InProgress",
      errorLog: ["E001 photos/raw/IMG_0001.CR2: blob name too long, skipped"],
      verboseLog: ["copied photos/2026/0001.jpg"],
    });

    await open(jobPagePath(job, "?poll=300"));
    await page.locator("svg.state-diagram g.node.current").waitFor();

    // The current state, and the states and transitions it went through.
    expect(await page.locator("svg.state-diagram g.node.current").getAttribute("data-state")).toBe("Transferring");
    expect(await page.locator('svg.state-diagram g.node[aria-current="step"]').count()).toBe(1);
    for (const state of ["Creating", "Shipping", "Received"]) {
      expect(await page.locator(`svg.state-diagram g.node[data-state="${state}"]`).getAttribute("class")).toContain("visited");
    }
    for (const state of ["Packaging", "Completed", "Closed", "Faulted"]) {
      expect(await page.locator(`svg.state-diagram g.node[data-state="${state}"]`).getAttribute("data-visited")).toBe("false");
    }
    for (const edge of ["Creating->Shipping", "Shipping->Received", "Received->Transferring"]) {
      expect(await page.locator(`svg.state-diagram path[data-edge="${edge}"]`).getAttribute("class")).toContain("taken");
    }
    expect(await page.locator('svg.state-diagram path[data-edge="Transferring->Packaging"]').getAttribute("class")).not.toContain("taken");
    expect(await page.locator("#state-diagram-desc").textContent()).toBe("Current state: Transferring. Path so far: Creating → Shipping → Received → Transferring.");

    // Each drive: state, progress bar, bytes copied, links to its logs (the SAS URIs of Get Job).
    const drive1 = page.locator('tr[data-drive="DRIVE01"]');
    expect(await drive1.locator(".drive-state").textContent()).toBe("Transferring");
    expect(await drive1.locator("progress").getAttribute("value")).toBe("25");
    expect(await drive1.locator(".bytes").textContent()).toBe("500 GB");
    const apiDrive = (await getJob(job)).properties.driveList.find((drive: Body) => drive.driveId === "DRIVE01");
    // Each Get signs its SAS anew (start and expiry to the second), so the page's link and the test's
    // Get name the same blob with the same rights, not necessarily the same signature.
    const blobAndRights = (uri: string) => {
      const url = new URL(uri);
      return `${url.origin}${url.pathname}?sp=${url.searchParams.get("sp")}&sr=${url.searchParams.get("sr")}`;
    };
    const errorHref = (await drive1.locator("a.log-link", { hasText: "Error log" }).getAttribute("href"))!;
    expect(blobAndRights(errorHref)).toBe(blobAndRights(apiDrive.errorLogUri));
    expect(blobAndRights((await drive1.locator("a.log-link", { hasText: "Verbose log" }).getAttribute("href"))!)).toBe(blobAndRights(apiDrive.verboseLogUri));
    const errorLog = await fetch(errorHref);
    expect(await errorLog.text()).toContain("E001 photos/raw/IMG_0001.CR2");
    // Overall progress, each drive an equal share: (25 + 0) / 2.
    expect(await page.locator('.overall progress').getAttribute("value")).toBe("12");
    // The deadline that matters in Transferring: none; the packages are shown.
    expect(await page.locator("#job-deadlines").isHidden()).toBe(true);
    expect(await page.locator("#delivery-package").textContent()).toContain("7712 3456 7890");

    // The data center reports progress: the page shows it without a reload.
    await operatorEvent(job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 1_200_000_000_000, percentComplete: 60 });
    await operatorEvent(job, { type: "TransferProgress", driveId: "DRIVE02", bytesSucceeded: 300_000_000_000, percentComplete: 30 });
    await drive1.locator('progress[value="60"]').waitFor();
    await page.locator('tr[data-drive="DRIVE02"] progress[value="30"]').waitFor();
    expect(await drive1.locator(".bytes").textContent()).toBe("1.20 TB");
    expect(await page.locator(".overall progress").getAttribute("value")).toBe("45");
    // At the page's usual refresh interval (the README's picture of a job is portal-phone.test.ts's busy job).
    await open(jobPagePath(job));
    await drive1.locator('progress[value="60"]').waitFor();
    await screenshot("customer-job");
    await open(jobPagePath(job, "?poll=300"));
    await drive1.locator('progress[value="60"]').waitFor();

    // The copy ends: the page follows the job into Packaging on its own.
    await operatorEvent(job, { type: "TransferFinished", driveId: "DRIVE01", outcome: "Completed" });
    await operatorEvent(job, {
      type: "TransferFinished",
      driveId: "DRIVE02",
      outcome: "CompletedMoreInfo",
      copyLog: { errorLog: true, verboseLog: false, blobsCopied: 41, issuesByKind: { Corrupted: 2, FileNotFound: 1 } },
    });
    await page.locator('svg.state-diagram g.node.current[data-state="Packaging"]').waitFor();
    expect(await page.locator('tr[data-drive="DRIVE02"] .drive-state').textContent()).toBe("CompletedMoreInfo");
    // The copy log's summary, beside the bytes and the links.
    expect(await page.locator('tr[data-drive="DRIVE02"] .copy-summary').textContent()).toBe("41 blobs copied; 2 Corrupted, 1 FileNotFound");
    expect(await page.locator("#job-live").textContent()).toBe("The job is now Packaging.");
  });

  // Issue 23: a Packaging job's page said "Updates every 5 s while the job is moving", while the
  // copy was over and the job waited, perhaps for days, for its drives to be shipped back.
  test("says how often it re-reads the job in each state, true to what it does: often while drives are copied, once a minute while the job waits, not at all once it is over", async () => {
    const job = ref("packed-2026");
    await createJob(job);
    await shipJob(job);
    await operatorEvent(job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveIds: ["DRIVE01", "DRIVE02"] });
    await operatorEvent(job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 1000 });
    const note = page.locator("#job-status .refresh-note");

    await open(jobPagePath(job));
    await page.locator('svg.state-diagram g.node.current[data-state="Transferring"]').waitFor();
    expect(await note.textContent()).toMatch(/^Updates every 5 s while the drives are copied\. Last read /);

    for (const driveId of ["DRIVE01", "DRIVE02"]) {
      if (driveId === "DRIVE02") await operatorEvent(job, { type: "TransferStarted", driveId, totalBytes: 1000 });
      await operatorEvent(job, { type: "TransferFinished", driveId, outcome: "Completed", bytesSucceeded: 1000 });
    }
    await open(jobPagePath(job));
    await page.locator('svg.state-diagram g.node.current[data-state="Packaging"]').waitFor();
    expect(await note.textContent()).toMatch(/^Checks every minute until your drives are shipped back\. Last read /);
    expect(await note.textContent()).not.toContain("5 s");

    // And it does: with the test's short interval (?poll=200, so once every 2.4 s while waiting), no
    // second read within a second and a half; the page read the job every 0.2 s in Packaging before.
    const reads: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/timeline")) reads.push(request.url());
    });
    await open(jobPagePath(job, "?poll=200"));
    await page.locator('svg.state-diagram g.node.current[data-state="Packaging"]').waitFor();
    expect(await note.textContent()).toMatch(/^Checks every 2\.4 s until your drives are shipped back\./);
    await page.waitForTimeout(1500);
    expect(reads).toHaveLength(1);

    // Over: nothing is re-read, and the page says nothing of updates.
    await operatorEvent(job, { type: "ShippedBack", carrierName: "FedEx", trackingNumber: "1Z-RETURN-78", driveCount: 2, shipDate: "2026-12-01" });
    await page.getByRole("button", { name: "Refresh now" }).click();
    await page.locator('svg.state-diagram g.node.current[data-state="Completed"]').waitFor();
    expect(await note.textContent()).toMatch(/^Last read /);
  });

  test("an export job shows per drive which stretch of the blob list it holds, and the incomplete-blob list's link with its count", async () => {
    const job = ref("export-2026");
    const storageAccountId = `/subscriptions/${DEMOSTORE_SUBSCRIPTION}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/demostore`;
    await ok(call(service, "PUT", `${jobPath(job.sub, RG, job.name)}?api-version=2021-01-01`, exportJobBody(job.sub, { storageAccountId, export: { blobList: { blobPathPrefix: ["/photos/"] } } })), 201);
    await shipJob(job);
    await operatorEvent(job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveIds: ["X1", "X2"] });
    const key = "000011-000022-000033-000044-000055-000066-000077-000088";
    await operatorEvent(job, { type: "TransferStarted", driveId: "X1", totalBytes: 3000, exportStart: 0, bitLockerKey: key });
    await operatorEvent(job, { type: "TransferFinished", driveId: "X1", outcome: "Completed", bytesSucceeded: 3000, exportNext: 3, copyLog: { errorLog: false, verboseLog: false, blobsCopied: 3, issuesByKind: {} } });
    await operatorEvent(job, { type: "TransferStarted", driveId: "X2", totalBytes: 2000, exportStart: 3, bitLockerKey: key });
    await operatorEvent(job, {
      type: "TransferFinished",
      driveId: "X2",
      outcome: "CompletedMoreInfo",
      bytesSucceeded: 1000,
      exportNext: 5,
      copyLog: { errorLog: true, verboseLog: false, blobsCopied: 1, issuesByKind: { BlobUnexpectedChange: 1 } },
      incompleteBlobList: { blobs: 2 },
    });

    await open(jobPagePath(job));
    await page.locator('tr[data-drive="X2"] .copy-summary').waitFor();

    expect(await page.locator('tr[data-drive="X1"] .copy-summary').textContent()).toBe("3 blobs exported (blobs 1–3 of the list); no errors");
    expect(await page.locator('tr[data-drive="X2"] .copy-summary').textContent()).toBe("1 blob exported (blobs 4–5 of the list); 1 BlobUnexpectedChange");
    expect(await page.locator(".incomplete-blobs").textContent()).toContain("Not every blob fit on the drives (2 left out)");
    const href = (await page.locator(".incomplete-blobs a").getAttribute("href"))!;
    // Named for the job and its creation id (see copy-log-names.ts): one job name in two resource groups never shares one.
    expect(new URL(href).pathname).toMatch(new RegExp(`^/demostore/waimportexport/${job.name}_\\d{8}T\\d{9}Z-[0-9a-f]{16}_incomplete-blobs\\.xml$`));
    expect(new URL((await getJob(job)).properties.incompleteBlobListUri).pathname).toBe(new URL(href).pathname);
  });

  test("lists the subscription's jobs with state, type, location and progress, filtered by state", async () => {
    const sub = newSubscriptionId();
    const shipping = ref("archive-2025", sub);
    const creating = ref("camera-footage", sub);
    const cancelled = ref("old-backups", sub);
    await createJob(shipping);
    await shipJob(shipping);
    await createJob(creating);
    await createJob(cancelled);
    await ok(call(service, "PATCH", `${jobPath(sub, RG, cancelled.name)}?api-version=2021-01-01`, { properties: { cancelRequested: true } }));

    await open(`/portal/?subscription=${sub}`);
    await page.locator("table.jobs tbody tr").nth(2).waitFor();
    expect(await page.locator("table.jobs tbody tr").count()).toBe(3);
    const row = page.locator('tr[data-job="archive-2025"]');
    expect(await row.locator(".badge").textContent()).toBe("Shipping");
    expect(await row.textContent()).toContain("Import");
    expect(await row.textContent()).toContain("West US");
    expect(await row.locator("progress").getAttribute("value")).toBe("0");
    expect(await row.locator("a").getAttribute("href")).toBe(`/portal/jobs/${sub}/${RG}/archive-2025`);
    await screenshot("customer-jobs", true);

    // Filter by state: the API's $filter does it.
    const listed = page.waitForResponse((response) => response.url().includes("%24filter=") || response.url().includes("$filter="));
    await page.getByLabel("State").selectOption("Creating");
    await page.getByRole("button", { name: "Show jobs" }).click();
    expect(decodeURIComponent((await listed).url())).toContain("$filter=state eq 'Creating'");
    await page.locator("table.jobs caption", { hasText: "1 job" }).waitFor();
    expect(await page.locator("table.jobs tbody tr").count()).toBe(1);
    expect(await page.locator("table.jobs tbody tr").getAttribute("data-job")).toBe("camera-footage");
    expect(page.url()).toContain("state=Creating");

    // A job's link opens its page.
    await page.getByRole("link", { name: "camera-footage" }).click();
    await page.locator('svg.state-diagram g.node.current[data-state="Creating"]').waitFor();
    expect(await page.locator("h1").textContent()).toBe("Job camera-footage");
  });
});

describe("the customer's actions", () => {
  test("enter the package and the return address and mark Shipping, correct the address, cancel — with the API's error messages", async () => {
    const job = ref("ship-me");
    await createJob(job);

    await open(jobPagePath(job));
    await page.locator("#ship-form").waitFor();
    // Creating: the deletion deadline is shown; the form asks for the return address too.
    expect(await page.locator('[data-deadline="creating"]').textContent()).toContain("Mark the job Shipping by");
    expect(await page.locator("#ship-form legend", { hasText: "Return address" }).count()).toBe(1);

    const form = page.locator("#ship-form");
    await form.getByLabel("Carrier").fill("FedEx");
    await form.getByLabel("Recipient").fill("Ana Silva");
    await form.getByLabel("Street address", { exact: false }).first().fill("1 Main Street");
    await form.getByLabel("City").fill("Redmond");
    await form.getByLabel("Postal code").fill("98007");
    await form.getByLabel("Country or region").fill("USA");
    await form.getByLabel("Phone").fill("4250000000");
    await form.getByLabel("Email").fill("ana@contoso.com");

    // No tracking number: the API refuses, and the page shows its message beside the field.
    await form.getByRole("button", { name: "Mark as Shipping" }).click();
    const error = form.locator(".message.error");
    await error.waitFor();
    expect(await error.textContent()).toContain("'properties.deliveryPackage.trackingNumber' is required.");
    expect(await error.textContent()).toContain("InvalidRequestContent");
    expect(await form.getByLabel("Tracking number").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator(":focus").getAttribute("class")).toContain("message error");
    await screenshot("customer-ship-error");

    await form.getByLabel("Tracking number").fill("7712 3456 7890");
    await form.getByRole("button", { name: "Mark as Shipping" }).click();
    await page.locator('svg.state-diagram g.node.current[data-state="Shipping"]').waitFor();
    expect(await page.locator("#job-messages .message.success").textContent()).toContain("The job is marked Shipping");
    expect(await page.locator('[data-deadline="shipping"]').textContent()).toContain("The data center expects your package by");
    let stored = await getJob(job);
    expect(stored.properties.state).toBe("Shipping");
    expect(stored.properties.deliveryPackage).toMatchObject({ carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveCount: 2 });
    expect(stored.properties.returnAddress).toMatchObject({ recipientName: "Ana Silva", city: "Redmond", email: "ana@contoso.com" });
    expect(await page.locator("#delete-job").count()).toBe(0); // not deletable while Shipping

    // Correct the return address.
    const addressForm = page.locator("#address-form");
    await addressForm.getByLabel("City").fill("Bellevue");
    await addressForm.getByLabel("Postal code").fill("98004");
    await addressForm.getByRole("button", { name: "Save the return address" }).click();
    await page.locator("#job-messages .message.success", { hasText: "The return address is saved." }).waitFor();
    stored = await getJob(job);
    expect(stored.properties.returnAddress).toMatchObject({ city: "Bellevue", postalCode: "98004", recipientName: "Ana Silva" });
    await page.locator("#return-address", { hasText: "Bellevue" }).waitFor();

    // Cancel, after confirming in the dialog.
    await page.locator("#cancel-job").click();
    const dialog = page.getByRole("dialog", { name: "Cancel job ship-me?" });
    await dialog.waitFor();
    await screenshot("customer-cancel-dialog");
    await dialog.getByRole("button", { name: "Cancel the job" }).click();
    await page.locator("#cancel-note").waitFor();
    expect((await getJob(job)).properties.cancelRequested).toBe(true);
    expect(await page.locator("#cancel-job").count()).toBe(0);
    await screenshot("customer-actions");
  });

  test("cancel a Creating job (it is over at once) and delete it; a refused delete shows the API's reason", async () => {
    const job = ref("not-needed");
    await createJob(job);
    await open(jobPagePath(job));
    await page.locator("#cancel-job").click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel the job" }).click();
    await page.locator('svg.state-diagram g.node.current[data-state="Completed"]').waitFor();
    expect(await page.locator('svg.state-diagram path[data-edge="Creating->Completed"]').getAttribute("class")).toContain("taken");
    expect(await page.locator("#ship-form").count()).toBe(0);

    // Keep it first (nothing happens), then delete it.
    await page.locator("#delete-job").click();
    await page.getByRole("dialog").getByRole("button", { name: "Keep the job" }).click();
    expect((await getJob(job)).properties.state).toBe("Completed");
    await page.locator("#delete-job").click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete the job" }).click();
    await page.locator(".message.success", { hasText: "Job not-needed was deleted." }).waitFor();
    expect((await call(service, "GET", `${jobPath(job.sub, RG, job.name)}?api-version=2021-01-01`)).status).toBe(404);

    // A page left open while the job moved on: the API refuses, and says why.
    const stale = ref("moved-on");
    await createJob(stale);
    await open(jobPagePath(stale));
    await page.locator("#delete-job").waitFor();
    await shipJob(stale);
    await page.locator("#delete-job").click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete the job" }).click();
    const refused = page.locator("#job-messages .message.error");
    await refused.waitFor();
    expect(await refused.textContent()).toContain("JobNotDeletable");
    expect(await refused.textContent()).toContain("It can be deleted once it is 'Completed'");
    // The page then shows where the job is now, and no longer offers the delete; the message stays.
    await page.locator('svg.state-diagram g.node.current[data-state="Shipping"]').waitFor();
    expect(await page.locator("#delete-job").count()).toBe(0);
    expect(await refused.isVisible()).toBe(true);
    expect((await getJob(stale)).properties.state).toBe("Shipping");
  });
});

// ---------------------------------------------------------------- the operator console

describe("the operator console", () => {
  async function record(type: string, fill: (form: ReturnType<Page["locator"]>) => Promise<void> = async () => {}): Promise<void> {
    const panel = page.locator("#op-job-panel");
    const before = Number(await panel.getAttribute("data-renders"));
    const details = page.locator(`details[data-event="${type}"]`);
    if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
    const form = page.locator(`form[data-event="${type}"]`);
    await fill(form);
    const posted = page.waitForResponse((response) => response.url().endsWith("/events") && response.request().method() === "POST");
    await form.getByRole("button", { name: `Record ${type}` }).click();
    const response = await posted;
    if (response.status() !== 200) throw new Error(`${type}: ${response.status()} ${await response.text()}`);
    await page.locator(`#op-job-panel[data-renders="${before + 1}"]`).waitFor();
  }

  const state = () => page.locator("#op-job-state").textContent();

  test("refuses a customer token with a clear message, then takes a job from package received to shipped back through its forms", async () => {
    const job = ref("datacenter-run");
    await createJob(job);
    await shipJob(job);
    await ok(call(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "JD0146000", driveIds: ["STRAY01"] }), 201);

    // A customer's token: the operator API answers 403, and the console says what to do.
    await open("/portal/operator");
    await page.getByLabel("Operator token").fill("dev");
    await page.getByRole("button", { name: "Use token" }).click();
    const refused = page.locator("#auth-problem");
    await refused.waitFor();
    expect(await refused.textContent()).toContain("This console is for operators");
    expect(await refused.textContent()).toContain("403 AuthorizationFailed");
    expect(await refused.textContent()).toContain("dev-operator");
    await screenshot("operator-refused");

    // The operator's token: the queue, the arrivals.
    await page.getByLabel("Operator token").fill("dev-operator");
    await page.getByRole("button", { name: "Use token" }).click();
    await page.locator('#queue-results tr[data-job="datacenter-run"]').waitFor();
    expect(await page.locator("#auth-problem").count()).toBe(0);
    expect(await page.locator('#queue-results tr[data-job="datacenter-run"] .events').textContent()).toBe("PackageReceived, FaultJob, ExtendShippingWait, CloseUnresponsive");
    expect(await page.locator("#arrivals-results").textContent()).toContain("JD0146000");

    // Open the job: its allowed events as forms, its history.
    await page.locator('#queue-results tr[data-job="datacenter-run"] a').click();
    await page.locator("#op-job-title").waitFor();
    expect(page.url()).toContain(`/portal/operator/jobs/${job.sub}/${RG}/datacenter-run`);
    const events = await Promise.all((await page.locator("details.event").all()).map((details) => details.getAttribute("data-event")));
    expect(events).toEqual([
      "PackageReceived",
      "FaultJob",
      "ExtendShippingWait",
      "CloseUnresponsive",
    ]);
    expect(await state()).toBe("Shipping");

    await record("PackageReceived"); // carrier, tracking and drive ids are filled in from the job
    expect(await state()).toBe("Received");
    await record("TransferStarted", async (form) => {
      await form.locator('[name="driveId"]').selectOption("DRIVE01");
      await form.getByLabel("Drive size in bytes").fill("4000000000");
    });
    expect(await state()).toBe("Transferring");
    await record("TransferStarted", async (form) => {
      await form.locator('[name="driveId"]').selectOption("DRIVE02");
      await form.getByLabel("Drive size in bytes").fill("1000000000");
    });

    // A bad value: the API's message, beside the field.
    await page.locator('details[data-event="TransferProgress"] > summary').click();
    const progressForm = page.locator('form[data-event="TransferProgress"]');
    await progressForm.locator('[name="driveId"]').selectOption("DRIVE01");
    await progressForm.getByLabel("Bytes copied").fill("2000000000");
    await progressForm.getByLabel("Percent complete").fill("150");
    await progressForm.getByRole("button", { name: "Record TransferProgress" }).click();
    await progressForm.locator(".message.error").waitFor();
    expect(await progressForm.locator(".message.error").textContent()).toContain("percentComplete");
    expect(await progressForm.getByLabel("Percent complete").getAttribute("aria-invalid")).toBe("true");

    await record("TransferProgress", async (form) => {
      await form.getByLabel("Percent complete").fill("50");
      await form.getByLabel("Error log lines").fill("E001 photos/a.jpg: name too long\nE002 photos/b.jpg: skipped");
    });
    expect(await page.locator('#op-job-panel tr[data-drive="DRIVE01"] progress').getAttribute("value")).toBe("50");
    await page.locator('details[data-event="TransferFinished"] > summary').click();
    await screenshot("operator-console", true);
    await page.locator('details[data-event="TransferFinished"] > summary').click();

    await record("TransferFinished", async (form) => {
      await form.locator('[name="driveId"]').selectOption("DRIVE01");
      await form.getByLabel("Outcome").selectOption("Completed");
    });
    await record("TransferFinished", async (form) => {
      await form.locator('[name="driveId"]').selectOption("DRIVE02");
      await form.getByLabel("Outcome").selectOption("Completed");
    });
    expect(await state()).toBe("Packaging");
    await record("ShippedBack", async (form) => {
      await form.getByLabel("Tracking number").fill("1Z-RETURN-77");
    });
    expect(await state()).toBe("Completed");
    expect(await page.locator("#no-events").textContent()).toBe("No operator event is possible while the job is Completed.");

    // The history, as a timeline: every change of the job and its drives.
    const history = await page.locator("#op-history li").allTextContents();
    const jobSteps = await page.locator('#op-history li[data-subject="job"] .what').allTextContents();
    expect(jobSteps).toEqual([
      "Job: created (Creating)",
      "Job: Creating → Shipping",
      "Job: Shipping → Received",
      "Job: Received → Transferring",
      "Job: Transferring → Packaging",
      "Job: Packaging → Completed",
    ]);
    expect(history.some((line) => line.includes("Drive DRIVE02: Completed → ShippedBack"))).toBe(true);

    // The customer sees the same end.
    const done = await getJob(job);
    expect(done.properties.state).toBe("Completed");
    expect(done.properties.returnPackage).toMatchObject({ carrierName: "FedEx", trackingNumber: "1Z-RETURN-77", driveCount: 2 });
    expect(done.properties.driveList.map((drive: Body) => drive.state)).toEqual(["ShippedBack", "ShippedBack"]);
    await screenshot("operator-console-completed");
  });
});
