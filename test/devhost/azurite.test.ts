/**
 * The project's Azurite launcher: asked to stop, Azurite saves, closes and exits by itself, so the
 * launcher's last resort (a kill after 15 s, meant for a hung Azurite) never cuts a save short.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePorts, startAzurite } from "../../devhost/azurite";

test("an Azurite on disk, asked to stop, exits on its own rather than being killed", async () => {
  const location = mkdtempSync(path.join(os.tmpdir(), "azurite-stop-"));
  try {
    const azurite = await startAzurite({ ports: await freePorts(), location });
    // Running a moment, as any session does: Azurite's telemetry (off in the launcher) starts its
    // upload about a second after start, and offline that upload kept a stopped Azurite alive.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await azurite.stop();
    expect(azurite.process.signalCode).not.toBe("SIGKILL");
    expect(azurite.process.exitCode).toBe(0);
  } finally {
    rmSync(location, { recursive: true, force: true });
  }
}, 30_000);
