/**
 * Starts the run's Azurites on free ports, in memory: one key-based over HTTP, and one over HTTPS
 * that accepts bearer tokens (`--oauth basic`) for the identity-mode suites. Their addresses reach
 * every test file through the environment, with the customer accounts the key-based one serves
 * (demostore); tests isolate their data by unique subscription ids.
 * The HTTPS one's self-signed certificate is trusted through NODE_EXTRA_CA_CERTS, which jest's
 * workers, started after this setup, read when they start (see jest.config.js).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AzuritePorts, customerAccountSettings, freePortSets, startAzurite, RunningAzurite } from "../../devhost/azurite";
import { selfSignedCertificate } from "../../devhost/certificate";

declare global {
  var __AZURITE__: RunningAzurite | undefined;
  var __IDENTITY_AZURITE__: { azurite: RunningAzurite; folder: string } | undefined;
}

export default async function globalSetup(globalConfig: { selectProjects?: string[] }): Promise<void> {
  // A run of the key project alone (the inner loop, `npm run test:fast`) needs neither the OAuth
  // Azurite nor its certificate, which take most of the set-up's time.
  const identity = globalConfig.selectProjects?.includes("identity") ?? true;
  // Both Azurites' ports chosen together, before either starts, so they never pick the same one.
  const [keyPorts, identityPorts] = await freePortSets(identity ? 2 : 1);
  const [azurite] = await Promise.all([startAzurite({ ports: keyPorts }), identity ? startIdentityAzurite(identityPorts) : undefined]);
  globalThis.__AZURITE__ = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  // The customer accounts it serves (demostore), for the copy agent and the service's log links.
  Object.assign(process.env, customerAccountSettings(azurite.ports.blob));
}

async function startIdentityAzurite(ports: AzuritePorts): Promise<void> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "identity-azurite-"));
  const certificate = await selfSignedCertificate(2);
  const certPath = path.join(folder, "cert.pem");
  const keyPath = path.join(folder, "key.pem");
  writeFileSync(certPath, certificate.cert);
  writeFileSync(keyPath, certificate.key);

  const identityAzurite = await startAzurite({ ports, oauth: { certPath, keyPath } });
  globalThis.__IDENTITY_AZURITE__ = { azurite: identityAzurite, folder };
  process.env.TEST_IDENTITY_STORAGE_URIS = JSON.stringify(identityAzurite.serviceUris);
  process.env.TEST_IDENTITY_CERT_FILE = certPath;
  process.env.TEST_IDENTITY_KEY_FILE = keyPath;
  process.env.NODE_EXTRA_CA_CERTS = certPath;
}
