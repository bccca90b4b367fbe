/**
 * `npm start` interrupted with Ctrl-C keeps every acknowledged write. Runs the real `devhost/start`
 * (bundled by esbuild) in its own process group with Azurite on disk, writes, interrupts the group
 * the way a terminal does, starts again on the same data and reads back.
 *
 * Regression: Azurite shared the terminal's process group, so it got the SIGINT itself and then a
 * SIGTERM from start.ts, which killed it in the middle of saving (a `.json~` file left, the job gone).
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { azuriteConnectionString, freePort, freePorts } from "../../devhost/azurite";
import { DEV_TOKENS } from "../../shared/service/auth/authenticator";
import { API, DELIVERY_PACKAGE, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS } from "../support/service";

jest.setTimeout(120_000);

const root = path.join(__dirname, "..", "..");
const bundleDir = path.join(root, "test-results", "devhost-start");
let dataDir: string;
let environment: NodeJS.ProcessEnv;

beforeAll(async () => {
  await build({
    entryPoints: [path.join(root, "devhost", "start.ts")],
    outfile: path.join(bundleDir, "start.js"),
    bundle: true,
    platform: "node",
    format: "cjs",
    packages: "external",
    logLevel: "silent",
  });
  dataDir = mkdtempSync(path.join(os.tmpdir(), "azurite-interrupt-"));
  const ports = await freePorts();
  environment = {
    ...process.env,
    ImportExportStorage: azuriteConnectionString(ports),
    AZURITE_LOCATION: dataDir,
    LOCAL_HOST_PORT: String(await freePort()),
    AUTH_MODE: "dev",
    JOBS_TABLE_NAME: "importexportjobs",
  };
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Starts `devhost/start` as a terminal starts a command: the leader of its own process group. */
async function startService(): Promise<Started> {
  const child = spawn(process.execPath, [path.join(bundleDir, "start.js")], {
    cwd: root,
    env: environment,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`devhost/start exited with ${code}: ${output}`)));
  });
  return { child, url, exited };
}

/** Ctrl-C: the terminal sends SIGINT to every process of the foreground group. */
async function interrupt(started: Started): Promise<number | null> {
  process.kill(-started.child.pid!, "SIGINT");
  return started.exited;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function request(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${DEV_TOKENS.customer}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test("writes acknowledged just before Ctrl-C are there after a restart", async () => {
  const subscription = newSubscriptionId();
  const job = `${jobPath(subscription, "demo", "interrupted")}?${API}`;

  const first = await startService();
  expect((await request(first.url + job, "PUT", importJobBody(subscription))).status).toBe(201);
  const shipped = await request(first.url + job, "PATCH", {
    properties: { state: "Shipping", deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS },
  });
  expect(shipped.status).toBe(200);
  expect(await interrupt(first)).toBe(0);
  expect(readdirSync(dataDir).filter((name) => name.endsWith("~"))).toEqual([]);

  const second = await startService();
  try {
    const read = await request(second.url + job, "GET");
    expect(read.status).toBe(200);
    expect(read.body.properties.state).toBe("Shipping");
  } finally {
    expect(await interrupt(second)).toBe(0);
  }
});
