/**
 * Starts Azurite, the real storage emulator from the `azurite` npm package, as a child process: on
 * disk for `npm start`, in memory for tests. Waits until its ports accept connections. Besides its own
 * account (the service's storage) it serves the customer accounts in `CUSTOMER_ACCOUNTS` (Azurite's
 * `AZURITE_ACCOUNTS` variable), so import jobs have a customer's account to copy into.
 */
import { ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * The customer storage account of the README's example job, with a fixed development key (like
 * Azurite's own account's) so anyone can look at the imported blobs with any storage tool.
 */
export const DEMOSTORE_ACCOUNT = "demostore";
export const DEMOSTORE_KEY = "56OMEWNgKEopfGuRZzTuezzj/OGXXFS82ZZC1DPo678PhYZPJdkm3jgjI3eKZWyEjsavivwgHesJBneog03x7A==";

/** Customer accounts Azurite serves besides its own. */
export const CUSTOMER_ACCOUNTS: Record<string, string> = { [DEMOSTORE_ACCOUNT]: DEMOSTORE_KEY };

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface AzuriteOptions {
  ports: AzuritePorts;
  /** A folder for its data; in memory when absent. */
  location?: string;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  connectionString: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function azuriteConnectionString(ports: AzuritePorts, host = "127.0.0.1"): string {
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${AZURITE_ACCOUNT}`,
  ].join(";") + ";";
}

/** A customer account's connection string (Blob only: imports land in blobs). */
export function customerConnectionString(blobPort: number, account = DEMOSTORE_ACCOUNT, host = "127.0.0.1"): string {
  const key = CUSTOMER_ACCOUNTS[account];
  if (!key) throw new Error(`Azurite serves no customer account '${account}'`);
  return `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};BlobEndpoint=http://${host}:${blobPort}/${account};`;
}

/** The settings that let the service and the copy agent reach the customer accounts Azurite serves. */
export function customerAccountSettings(blobPort: number, host = "127.0.0.1"): Record<string, string> {
  return {
    CUSTOMER_BLOB_ENDPOINT: `http://${host}:${blobPort}/{account}`,
    CUSTOMER_ACCOUNT_KEYS: Object.entries(CUSTOMER_ACCOUNTS).map(([name, key]) => `${name}:${key}`).join(";"),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(): Promise<AzuritePorts> {
  return { blob: await freePort(), queue: await freePort(), table: await freePort() };
}

export function isPortOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  const entry = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
  const { ports } = options;
  const args = [
    entry,
    "--silent",
    "--skipApiVersionCheck",
    "--loose",
    "--disableProductStyleUrl",
    "--blobHost", "127.0.0.1", "--blobPort", String(ports.blob),
    "--queueHost", "127.0.0.1", "--queuePort", String(ports.queue),
    "--tableHost", "127.0.0.1", "--tablePort", String(ports.table),
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
  ];
  // Naming accounts turns Azurite's own off unless it is listed too.
  const accounts = [[AZURITE_ACCOUNT, AZURITE_KEY], ...Object.entries(CUSTOMER_ACCOUNTS)].map(([name, key]) => `${name}:${key}`).join(";");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, AZURITE_ACCOUNTS: accounts } });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}: ${stderr.trim()}`);
    const open = await Promise.all([isPortOpen(ports.blob), isPortOpen(ports.queue), isPortOpen(ports.table)]);
    if (open.every(Boolean)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Azurite did not start within 30 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    ports,
    connectionString: azuriteConnectionString(ports),
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
