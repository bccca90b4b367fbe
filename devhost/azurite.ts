/**
 * Starts Azurite, the real storage emulator from the `azurite` npm package, as a child process: on
 * disk for `npm start`, in memory for tests. Waits until its ports accept connections.
 */
import { ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

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
    ...(options.oauth ? ["--oauth", "basic", "--cert", options.oauth.certPath, "--key", options.oauth.keyPath] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
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

  const scheme = options.oauth ? "https" : "http";
  return {
    ports,
    connectionString: azuriteConnectionString(ports, "127.0.0.1", scheme),
    serviceUris: azuriteServiceUris(ports, "127.0.0.1", scheme),
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
