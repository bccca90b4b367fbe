/**
 * The portal on a phone: at 390×844 CSS pixels no page may scroll sideways (every page did, at
 * 754-915 px wide: tables, the header's token form and the state diagram were wider than the
 * screen). Each page is opened with content that makes it wide (long names, several drives, logs,
 * history), and the document must be no wider than the viewport; a wide table scrolls inside its
 * own container instead — except a job's drives, whose log links must be on the screen, not in a
 * column scrolled off it. Screenshots at 390 and 1280 px go to test-results/screenshots/; with
 * UPDATE_DOCS_SCREENSHOTS=1 the README's pictures of a job's page are refreshed in docs/screenshots/.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Browser, chromium, Page } from "playwright-core";
import { call, driveSpec, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";

const ROOT = path.join(__dirname, "..", "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");
const DOC_SCREENSHOTS = path.join(ROOT, "docs", "screenshots");
const UPDATE_DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === "1";
const RG = "phone-rg";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm run build`
const { buildPortal } = require("../../scripts/build-portal") as { buildPortal: () => Promise<unknown> };

jest.setTimeout(60_000);

let service: TestService;
let browser: Browser;
const sub = newSubscriptionId();
const JOB = "holiday-photos-and-videos-2026";
/** A subscription with no jobs at all: the list's empty state. */
const emptySub = newSubscriptionId();
/** A job being copied: four drives, each with its logs linked (the README's picture of a job). */
const BUSY = { sub: newSubscriptionId(), rg: "media-archive", name: "family-archive-2026", drives: ["WD-4TB-0001", "WD-4TB-0002", "SEAGATE-8TB-0003", "SEAGATE-8TB-0004"] };
/** Everything as long as the API takes it: job name and drive ids of 64 characters, a 90-character resource group, a long diagnostics path (so long log URIs). */
const LONG = {
  sub: newSubscriptionId(),
  rg: `resource-group-of-the-photography-department-${"r".repeat(45)}`,
  name: `the-complete-photography-archive-of-the-family-${"n".repeat(17)}`,
  drives: ["A", "B", "C"].map((letter) => `${letter}-SERIAL-${"0123456789ABCDEF".repeat(4)}`.slice(0, 64)),
  diagnosticsPath: `import-diagnostics/${"department-of-photography/".repeat(8)}2026`,
};

async function ok(promise: ReturnType<typeof call>, status = 200): Promise<void> {
  const response = await promise;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
}

async function operatorEvent(body: Record<string, unknown>, job = { sub, rg: RG, name: JOB }): Promise<void> {
  await ok(call(service, "POST", `/operator/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}/events`, body));
}

/** A job whose drives are being copied, each drive with an error log and a verbose log; the last drive finished. */
async function copyingJob(job: { sub: string; rg: string; name: string; drives: string[]; diagnosticsPath?: string }): Promise<void> {
  const properties = { logLevel: "Verbose", driveList: job.drives.map((driveId) => driveSpec(driveId)), ...(job.diagnosticsPath ? { diagnosticsPath: job.diagnosticsPath } : {}) };
  await ok(call(service, "PUT", `${jobPath(job.sub, job.rg, job.name)}?api-version=2021-01-01`, importJobBody(job.sub, { properties })), 201);
  const deliveryPackage = { carrierName: "FedEx", trackingNumber: "7712 3456 7891", driveCount: job.drives.length, shipDate: "2026-11-20" };
  await ok(call(service, "PATCH", `${jobPath(job.sub, job.rg, job.name)}?api-version=2021-01-01`, { properties: { state: "Shipping", deliveryPackage, returnAddress: RETURN_ADDRESS } }));
  await operatorEvent({ type: "PackageReceived", carrierName: "FedEx", trackingNumber: "7712 3456 7891", driveIds: job.drives }, job);
  for (const [index, driveId] of job.drives.entries()) {
    const percent = [25, 60, 5, 100][index % 4];
    await operatorEvent({ type: "TransferStarted", driveId, totalBytes: 4_000_000_000_000 }, job);
    await operatorEvent(
      { type: "TransferProgress", driveId, bytesSucceeded: percent * 40_000_000_000, percentComplete: percent, errorLog: [`E001 photos/raw/IMG_000${index}.CR2: name too long`], verboseLog: [`copied photos/2026/000${index}.jpg`] },
      job,
    );
  }
  await operatorEvent({ type: "TransferFinished", driveId: job.drives[job.drives.length - 1], outcome: "Completed" }, job);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: run scripts/install-chromium.sh (npm test does, as root) or set CHROMIUM_PATH.`);
  const [, started, launched] = await Promise.all([
    buildPortal(),
    startTestService({ JOBS_TABLE_NAME: "phonejobs", ARRIVALS_TABLE_NAME: "phonearrivals" }),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] }),
  ]);
  service = started;
  browser = launched;

  // A job in the middle of its copy: two drives, logs, a history; and a few more in the list.
  const shipping = { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveCount: 2, shipDate: "2026-11-20" }, returnAddress: RETURN_ADDRESS };
  await ok(call(service, "PUT", `${jobPath(sub, RG, JOB)}?api-version=2021-01-01`, importJobBody(sub, { properties: { logLevel: "Verbose", driveList: [driveSpec("DRIVE-SERIAL-0001"), driveSpec("DRIVE-SERIAL-0002")] } })), 201);
  await ok(call(service, "PATCH", `${jobPath(sub, RG, JOB)}?api-version=2021-01-01`, { properties: shipping }));
  await operatorEvent({ type: "PackageReceived", carrierName: "FedEx", trackingNumber: "7712 3456 7890", driveIds: ["DRIVE-SERIAL-0001", "DRIVE-SERIAL-0002"] });
  await operatorEvent({ type: "TransferStarted", driveId: "DRIVE-SERIAL-0001", totalBytes: 2_000_000_000_000 });
  await operatorEvent({ type: "TransferProgress", driveId: "DRIVE-SERIAL-0001", bytesSucceeded: 500_000_000_000, percentComplete: 25, errorLog: ["E001 photos/raw/IMG_0001.CR2: name too long"] });
  for (const name of ["camera-footage-archive", "old-backups"]) {
    await ok(call(service, "PUT", `${jobPath(sub, RG, name)}?api-version=2021-01-01`, importJobBody(sub)), 201);
  }
  await ok(call(service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: "JD014600000000000001", driveIds: ["STRAY-DRIVE-0001"] }), 201);
  await copyingJob(BUSY);
  await copyingJob(LONG);
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

/** The document's width, and the visible elements that reach past the viewport (named, for a useful failure). */
async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; wide: string[] }> {
  // A string, run in the page: the tests are compiled without the DOM's types.
  return page.evaluate(`(() => {
    const name = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") + [...element.classList].map((c) => "." + c).join("");
    const inScroller = (element) => {
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(parent).overflowX)) return true;
      }
      return false;
    };
    const wide = [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5 && !inScroller(element))
      .map(name);
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: [...new Set(wide)].slice(0, 10) };
  })()`);
}

/** Each drive's log links, and those not wholly inside the viewport from left to right. */
async function logLinks(page: Page): Promise<{ count: number; offScreen: string[] }> {
  return page.evaluate(`(() => {
    const links = [...document.querySelectorAll("#job-drives a.log-link")];
    const offScreen = links
      .filter((link) => { const box = link.getBoundingClientRect(); return box.left < 0 || box.right > window.innerWidth + 0.5 || box.width === 0; })
      .map((link) => link.textContent + " at " + Math.round(link.getBoundingClientRect().left) + "-" + Math.round(link.getBoundingClientRect().right) + " px");
    return { count: links.length, offScreen };
  })()`);
}

interface Steps {
  /** Before the check at the phone's width: open a form, say. */
  prepare?: (page: Page) => Promise<void>;
  /** After the page was widened to a desktop's. */
  onDesktop?: (page: Page) => Promise<void>;
  /** Also the README's picture of this page (with UPDATE_DOCS_SCREENSHOTS=1): `<name>.png` at the desktop's width, `<name>-phone.png` at the phone's. */
  docsName?: string;
}

function forDocs(file: string, name: string | undefined): void {
  if (!name || !UPDATE_DOCS) return;
  mkdirSync(DOC_SCREENSHOTS, { recursive: true });
  copyFileSync(file, path.join(DOC_SCREENSHOTS, `${name}.png`));
}

async function check(pathAndQuery: string, ready: string, name: string, steps: Steps = {}): Promise<void> {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.goto(`${service.url}${pathAndQuery}`);
    await page.locator(ready).first().waitFor();
    await steps.prepare?.(page);
    const phoneShot = path.join(SCREENSHOTS, `phone-${name}.png`);
    await page.screenshot({ path: phoneShot, fullPage: true });
    forDocs(phoneShot, steps.docsName && `${steps.docsName}-phone`);
    const overflow = await horizontalOverflow(page);
    expect({ page: name, ...overflow, fits: overflow.scrollWidth <= overflow.innerWidth }).toEqual({ page: name, scrollWidth: overflow.scrollWidth, innerWidth: PHONE.width, wide: [], fits: true });

    // The same page on a desktop, to look at beside the phone's.
    await page.setViewportSize(DESKTOP);
    const desktopShot = path.join(SCREENSHOTS, `desktop-${name}.png`);
    await page.screenshot({ path: desktopShot, fullPage: true });
    forDocs(desktopShot, steps.docsName);
    await steps.onDesktop?.(page);
  } finally {
    await context.close();
  }
}

describe("at a phone's width (390×844) no page scrolls sideways", () => {
  test("the jobs list", async () => {
    await check(`/portal/?subscription=${sub}`, "table.jobs tbody tr", "customer-jobs");
  });

  test("a job's page, with its state diagram, drives, deadlines and history", async () => {
    const diagram = (page: Page) => page.locator("svg.state-diagram");
    await check(`/portal/jobs/${sub}/${RG}/${JOB}`, "svg.state-diagram g.node.current", "customer-job", {
      // Stacked on a phone, so its text stays the size of the page's; the wide drawing on a desktop.
      prepare: async (page) => {
        expect(await diagram(page).getAttribute("data-layout")).toBe("tall");
        expect(await diagram(page).locator("g.node.current").getAttribute("data-state")).toBe("Transferring");
        const { width } = (await diagram(page).locator('g.node[data-state="Creating"] rect').boundingBox())!;
        expect(width).toBeGreaterThanOrEqual(100);
      },
      onDesktop: async (page) => {
        await page.locator('svg.state-diagram[data-layout="wide"]').waitFor();
        expect(await diagram(page).count()).toBe(1);
      },
    });
  });

  test("the operator console with a job open, an event form expanded", async () => {
    await check(`/portal/operator/jobs/${sub}/${RG}/${JOB}`, "#op-job-title", "operator-console", {
      prepare: async (page) => {
        await page.locator('details[data-event="TransferProgress"] > summary').click();
      },
    });
  });

  test("the operator console's queues and arrivals", async () => {
    await check("/portal/operator", `#queue-results tr[data-job="${JOB}"]`, "operator-queues");
  });
});

// Issue 23: at 390 px a job's log links sat in the drives table's last column, scrolled off the
// screen (the page itself did not scroll, so the phone test above passed); and the empty list's
// `PUT …` line made the page 856 px wide.
describe("at a phone's width each drive's log links are on the screen, and the empty list fits", () => {
  test("a subscription with no jobs: the list's empty state, with its API request, wraps", async () => {
    await check(`/portal/?subscription=${emptySub}`, "#list-results p.empty", "customer-jobs-empty");
  });

  const drivesReadable = (job: { drives: string[] }) => async (page: Page) => {
    expect(await logLinks(page)).toEqual({ count: job.drives.length * 2, offScreen: [] });
    // Each drive's id and state are on the screen too, beside its links.
    for (const driveId of job.drives) {
      const box = (await page.locator(`[data-drive="${driveId}"] .drive-id`).boundingBox())!;
      expect({ driveId, left: box.x >= 0, right: box.x + box.width <= PHONE.width + 0.5 }).toEqual({ driveId, left: true, right: true });
    }
  };

  test("a busy job: four drives being copied, each with its error and verbose log", async () => {
    await check(`/portal/jobs/${BUSY.sub}/${BUSY.rg}/${BUSY.name}`, `[data-drive="${BUSY.drives[3]}"] a.log-link`, "customer-job-busy", {
      prepare: async (page) => {
        // A small tablet too: the table needs about 800 px, so its links were off the screen there as well.
        await page.setViewportSize({ width: 700, height: 900 });
        expect(await logLinks(page)).toEqual({ count: BUSY.drives.length * 2, offScreen: [] });
        await page.setViewportSize(PHONE);
        await drivesReadable(BUSY)(page);
      },
      // The desktop keeps the table: one row per drive, the links in its last column.
      onDesktop: async (page) => {
        expect(await page.locator("table.drives thead").isVisible()).toBe(true);
        expect(await page.locator("table.drives tbody tr").count()).toBe(BUSY.drives.length);
        expect(await logLinks(page)).toEqual({ count: BUSY.drives.length * 2, offScreen: [] });
      },
      docsName: "customer-job",
    });
  });

  test("a job with a 64-character name, 64-character drive ids, a 90-character resource group and long log URIs", async () => {
    await check(`/portal/jobs/${LONG.sub}/${LONG.rg}/${LONG.name}`, `[data-drive="${LONG.drives[2]}"] a.log-link`, "customer-job-long-names", {
      prepare: async (page) => {
        // The log links name blobs under the long diagnostics path.
        expect((await page.locator("a.log-link").first().getAttribute("href"))!.length).toBeGreaterThan(300);
        await drivesReadable(LONG)(page);
      },
    });
  });
});
