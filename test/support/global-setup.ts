/**
 * Starts one in-memory Azurite on free ports for the whole test run; its connection string reaches
 * every test file through the environment, with the customer accounts it serves. Tests isolate their
 * data by unique subscription ids.
 */
import { customerAccountSettings, freePorts, startAzurite, RunningAzurite } from "../../devhost/azurite";

declare global {
  var __AZURITE__: RunningAzurite | undefined;
}

export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite({ ports: await freePorts() });
  globalThis.__AZURITE__ = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  // The customer accounts it serves (demostore), for the copy agent and the service's log links.
  Object.assign(process.env, customerAccountSettings(azurite.ports.blob));
}
