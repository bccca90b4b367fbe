/**
 * The copy agent with APPLICATIONINSIGHTS_CONNECTION_STRING set: its figures reach Application
 * Insights (this test's own ingestion endpoint) as 'import-export-agent': bytes and files copied,
 * the run's bytes and files per second, and its failures by code.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { newSubscriptionId, TestService } from "../support/service";
import { startCopySuite, stopCopySuite } from "../support/copy-setup";
import { Ingestion, metricPoints, startIngestion } from "../support/ingestion";
import { agentArgs, lastJsonLine, prepareDrive, receivedJob, runCli, sourceFolder, tempDir, uniqueName } from "./helpers";

let service: TestService;
let agent: string;
let driveTool: string;
let ingestion: Ingestion;

beforeAll(async () => {
  ({ service, agent, driveTool } = await startCopySuite());
  ingestion = await startIngestion();
});
afterAll(async () => {
  await stopCopySuite(service);
  await ingestion?.close();
});

test("a copy sends its bytes and files per second, what it copied, and its failures by code", async () => {
  const containerName = uniqueName("metrics");
  const source = sourceFolder({ "one.txt": "first\n", "two.txt": "second\n", "gone.txt": "removed before the copy\n" });
  const { drive, entry } = await prepareDrive(driveTool, ["--source", source, "--destination", containerName]);
  rmSync(path.join(drive, containerName, "gone.txt"));
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("metered") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { env: ingestion.environment, timeoutMs: 120_000 });

  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "CompletedMoreInfo", summary: { blobsCopied: 2 } });
  const { envelopes } = ingestion;
  const sum = (name: string) => metricPoints(envelopes, name).reduce((total, point) => total + point.value, 0);
  expect(sum("importexport.copy.files")).toBe(2);
  expect(sum("importexport.copy.bytes")).toBe("first\n".length + "second\n".length);
  for (const rate of ["importexport.copy.bytes_per_second", "importexport.copy.files_per_second"]) {
    expect(metricPoints(envelopes, rate)).toEqual([expect.objectContaining({ count: 1, properties: expect.objectContaining({ direction: "import" }) })]);
  }
  expect(metricPoints(envelopes, "importexport.copy.failures")).toEqual([expect.objectContaining({ value: 1, properties: expect.objectContaining({ code: "FileNotFound", direction: "import" }) })]);
  // As the agent, not the service; its storage calls as dependencies.
  expect(envelopes.some((envelope) => envelope.data.baseType === "RemoteDependencyData" && envelope.tags["ai.cloud.role"] === "import-export-agent")).toBe(true);
});
