/**
 * The set-up every copy suite shares: the service on the run's Azurite with the two CLIs bundled
 * (the data-center agent and the customer's drive tool), the temporary folders removed at the end,
 * and the customer's account (`demostore`) seeded and compared by content.
 */
import { createHash } from "node:crypto";
import { bundleCli } from "./cli";
import { startTestService, TestService } from "./service";
import { container, removeTempDirs } from "../copy/helpers";

export interface CopySuite {
  service: TestService;
  /** The bundled `npm run datacenter`. */
  agent: string;
  /** The bundled `npm run drive`. */
  driveTool: string;
}

/** For a suite's beforeAll: `({ service, agent, driveTool } = await startCopySuite())`. */
export async function startCopySuite(): Promise<CopySuite> {
  const service = await startTestService();
  return { service, agent: bundleCli("datacenter"), driveTool: bundleCli("drive") };
}

/** For a suite's afterAll: stops the service and removes the folders the suite made. */
export async function stopCopySuite(service: TestService): Promise<void> {
  await service.close();
  removeTempDirs();
}

export const md5Hex = (data: Buffer): string => createHash("md5").update(data).digest("hex");
export const md5Base64 = (data: Buffer): string => createHash("md5").update(data).digest("base64");

/** Creates the container in `demostore` (if need be) and uploads these blobs (name → content). */
export async function seedContainer(containerName: string, blobs: Record<string, Buffer>): Promise<void> {
  await container(containerName).createIfNotExists();
  for (const [name, content] of Object.entries(blobs)) await container(containerName).getBlockBlobClient(name).upload(content, content.length);
}
