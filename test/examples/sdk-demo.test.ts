/**
 * The README's SDK demo is a file of the clone, `examples/sdk-demo.mjs`, run here exactly as the
 * README runs it (`NODE_EXTRA_CA_CERTS=<cert> node examples/sdk-demo.mjs`) against the service over
 * HTTPS, so the demo a newcomer copies keeps working. (It used to be a snippet that, saved in the
 * clone as suggested, broke `npm test` at lint.)
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { selfSignedCertificate } from "../../devhost/certificate";
import { newSubscriptionId, startTestService, TestService } from "../support/service";

const ROOT = path.join(__dirname, "..", "..");
const run = promisify(execFile);

let service: TestService;
let certificateFolder: string;
let certificateFile: string;

beforeAll(async () => {
  const tls = await selfSignedCertificate(1);
  service = await startTestService({}, tls);
  certificateFolder = mkdtempSync(path.join(tmpdir(), "sdk-demo-"));
  certificateFile = path.join(certificateFolder, "cert.pem");
  writeFileSync(certificateFile, tls.cert);
}, 60_000);

afterAll(async () => {
  await service?.close();
  rmSync(certificateFolder, { recursive: true, force: true });
});

async function runDemo(subscriptionId: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["examples/sdk-demo.mjs"], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certificateFile, IMPORT_EXPORT_ENDPOINT: service.url, SUBSCRIPTION_ID: subscriptionId },
    timeout: 30_000,
  });
  return stdout.trim().split("\n");
}

test("examples/sdk-demo.mjs creates the demo job if needed, then reads it, lists it and lists its BitLocker keys through the official SDK", async () => {
  const subscriptionId = newSubscriptionId();

  const first = await runDemo(subscriptionId);
  expect(first).toEqual([
    "created first-job",
    "first-job Creating 9CA995BB: Specified",
    "listed first-job Creating",
    "BitLocker keys for drives: 9CA995BB",
  ]);

  // A second run finds the job the first made (or the README's curl session made).
  const second = await runDemo(subscriptionId);
  expect(second).toEqual(["first-job Creating 9CA995BB: Specified", "listed first-job Creating", "BitLocker keys for drives: 9CA995BB"]);
}, 60_000);
