/**
 * The portal on a phone: at 390×844 CSS pixels no page may scroll sideways (every page did, at
 * 754-915 px wide: tables, the header's token form and the state diagram were wider than the
 * screen). Each page is opened with content that makes it wide (long names, several drives, logs,
 * history), and the document must be no wider than the viewport; a wide table scrolls inside its
 * own container instead. Screenshots at 390 and 1280 px go to test-results/screenshots/.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Browser, chromium, Page } from "playwright-core";
import { call, driveSpec, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";

const ROOT = path.join(__dirname, "..", "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");
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

async function ok(promise: ReturnType<typeof call>, status = 200): Promise<void> {
  const response = await promise;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
}

async function operatorEvent(body: Record<string, unknown>): Promise<void> {
  await ok(call(service, "POST", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/${JOB}/events`, body));
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

interface Steps {
  /** Before the check at the phone's width: open a form, say. */
  prepare?: (page: Page) => Promise<void>;
  /** After the page was widened to a desktop's. */
  onDesktop?: (page: Page) => Promise<void>;
}

async function check(pathAndQuery: string, ready: string, name: string, steps: Steps = {}): Promise<void> {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.goto(`${service.url}${pathAndQuery}`);
    await page.locator(ready).first().waitFor();
    await steps.prepare?.(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, `phone-${name}.png`), fullPage: true });
    const overflow = await horizontalOverflow(page);
    expect({ page: name, ...overflow, fits: overflow.scrollWidth <= overflow.innerWidth }).toEqual({ page: name, scrollWidth: overflow.scrollWidth, innerWidth: PHONE.width, wide: [], fits: true });

    // The same page on a desktop, to look at beside the phone's.
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: path.join(SCREENSHOTS, `desktop-${name}.png`), fullPage: true });
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
