/** Stops the Azurites started by the global setup and removes the identity one's certificate folder. */
import { rmSync } from "node:fs";

export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.__AZURITE__?.stop(), globalThis.__IDENTITY_AZURITE__?.azurite.stop()]);
  if (globalThis.__IDENTITY_AZURITE__) rmSync(globalThis.__IDENTITY_AZURITE__.folder, { recursive: true, force: true });
}
