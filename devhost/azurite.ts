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

// Azurite saves only after its servers close, and a server closes only when its connections are idle:
// a client still sending (a load test, a host not yet closed) would hold it open for ever. Killing it
// then loses what it had not saved yet, but never leaves a half-written file.
const STOP_TIMEOUT_MS = 15_000;

/**
 * The customer storage account of the README's example job, with a fixed development key (like
 * Azurite's own account's) so anyone can look at the imported blobs with any storage tool.
 */
export const DEMOSTORE_ACCOUNT = "demostore";
export const DEMOSTORE_KEY = "56OMEWNgKEopfGuRZzTuezzj/OGXXFS82ZZC1DPo678PhYZPJdkm3jgjI3eKZWyEjsavivwgHesJBneog03x7A==";

/**
 * The subscription demostore lives in, for the linked access check's registry: the walkthroughs of
 * docs/data-plane.md create their jobs there, so the first of them registers it to the local tenant.
 */
export const DEMOSTORE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";

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
  /**
   * Serve HTTPS with this certificate and key (PEM files) and accept bearer tokens (`--oauth basic`:
   * audience, issuer and lifetime are checked, the signature is not), as storage does for a managed identity.
   */
  oauth?: { certPath: string; keyPath: string };
}

export interface AzuriteServiceUris {
  table: string;
  blob: string;
  queue: string;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  connectionString: string;
  /** Each service's account URI, as the identity-based settings (`ImportExportStorage__tableServiceUri`, ...) name it. */
  serviceUris: AzuriteServiceUris;
  process: ChildProcess;
  /** What Azurite wrote on stderr (it is started `--silent`: errors only). */
  stderr(): string;
  stop(): Promise<void>;
}

export function azuriteServiceUris(ports: AzuritePorts, host = "127.0.0.1", scheme: "http" | "https" = "http"): AzuriteServiceUris {
  const uri = (port: number) => `${scheme}://${host}:${port}/${AZURITE_ACCOUNT}`;
  return { table: uri(ports.table), blob: uri(ports.blob), queue: uri(ports.queue) };
}

export function azuriteConnectionString(ports: AzuritePorts, host = "127.0.0.1", scheme: "http" | "https" = "http"): string {
  const uris = azuriteServiceUris(ports, host, scheme);
  return [
    `DefaultEndpointsProtocol=${scheme}`,
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${uris.blob}`,
    `QueueEndpoint=${uris.queue}`,
    `TableEndpoint=${uris.table}`,
  ].join(";") + ";";
}

/**
 * The ports of the local Azurite a connection string points at: `UseDevelopmentStorage=true` means
 * Azurite's usual ports; explicit endpoints with Azurite's account on 127.0.0.1 mean theirs.
 * Undefined for any other storage.
 */
export function localAzuritePorts(connectionString: string): AzuritePorts | undefined {
  if (/(^|;)\s*UseDevelopmentStorage=true\s*(;|$)/i.test(connectionString)) return { blob: 10000, queue: 10001, table: 10002 };
  const fields = new Map(
    connectionString.split(";").filter(Boolean).map((field) => {
      const at = field.indexOf("=");
      return [field.slice(0, at).trim().toLowerCase(), field.slice(at + 1).trim()] as const;
    }),
  );
  if (fields.get("accountname") !== AZURITE_ACCOUNT) return undefined;
  const port = (name: string): number | undefined => {
    const match = /^http:\/\/127\.0\.0\.1:(\d+)\//.exec(fields.get(name) ?? "");
    return match ? Number(match[1]) : undefined;
  };
  const [blob, queue, table] = [port("blobendpoint"), port("queueendpoint"), port("tableendpoint")];
  return blob && queue && table ? { blob, queue, table } : undefined;
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
    CUSTOMER_ACCOUNT_SUBSCRIPTIONS: `${DEMOSTORE_ACCOUNT}:${DEMOSTORE_SUBSCRIPTION}`,
  };
}

export async function freePort(): Promise<number> {
  const [port] = await freePortsTogether(1);
  return port;
}

/** Ports for one Azurite. */
export async function freePorts(): Promise<AzuritePorts> {
  return (await freePortSets(1))[0];
}

/**
 * Ports for several Azurites started side by side, chosen together: sockets held open at the same
 * time never get the same port, where ports chosen one after another (each socket closed before the
 * next is opened) can repeat, and one Azurite then fails to bind a port the other took.
 */
export async function freePortSets(count: number): Promise<AzuritePorts[]> {
  const ports = await freePortsTogether(count * 3);
  return Array.from({ length: count }, (_, at) => ({ blob: ports[at * 3], queue: ports[at * 3 + 1], table: ports[at * 3 + 2] }));
}

async function freePortsTogether(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.unref();
          server.on("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
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
    // Azurite sends telemetry by default; offline (this machine, CI) the pending upload kept every
    // stopped Azurite alive for a minute and more after it had saved and closed.
    "--disableTelemetry",
    "--blobHost", "127.0.0.1", "--blobPort", String(ports.blob),
    "--queueHost", "127.0.0.1", "--queuePort", String(ports.queue),
    "--tableHost", "127.0.0.1", "--tablePort", String(ports.table),
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
    ...(options.oauth ? ["--oauth", "basic", "--cert", options.oauth.certPath, "--key", options.oauth.keyPath] : []),
  ];
  // On disk, in its own process group, so a terminal's Ctrl-C reaches only the launcher, which then
  // stops Azurite exactly once: Azurite handles one signal by saving and closing, and a second
  // signal during that save kills it with its data half-written. In memory there is nothing to save,
  // and it goes with the terminal's Ctrl-C along with the test run or benchmark that started it.
  const detached = Boolean(options.location);
  // Naming accounts turns Azurite's own off unless it is listed too.
  const accounts = [[AZURITE_ACCOUNT, AZURITE_KEY], ...Object.entries(CUSTOMER_ACCOUNTS)].map(([name, key]) => `${name}:${key}`).join(";");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], detached, env: { ...process.env, AZURITE_ACCOUNTS: accounts } });
  let stderr = "";
  // The tail only: a long-running Azurite must not grow the launcher's memory with its complaints.
  child.stderr?.on("data", (chunk) => (stderr = (stderr + String(chunk)).slice(-8192)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopRequested = false;
  const requestStop = () => {
    if (stopRequested || child.exitCode !== null || child.signalCode !== null) return;
    stopRequested = true;
    child.kill("SIGINT");
  };
  // Detached, it would outlive a launcher that exits without stopping it (an error at start-up):
  // asked once, it saves and exits on its own.
  process.once("exit", requestStop);
  void exited.then(() => process.removeListener("exit", requestStop));

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

  const scheme = options.oauth ? "https" : "http";
  return {
    ports,
    connectionString: azuriteConnectionString(ports, "127.0.0.1", scheme),
    serviceUris: azuriteServiceUris(ports, "127.0.0.1", scheme),
    process: child,
    stderr: () => stderr,
    /** Asks Azurite once to save and close, and waits until it has exited. */
    async stop() {
      requestStop();
      // Only a hung Azurite is killed, long after any save of a development data set would end.
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
