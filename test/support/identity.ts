/**
 * Identity mode in tests: the service runs as it does in Azure with a managed identity (service URIs
 * over HTTPS and a token credential, no account key anywhere), against an Azurite started with
 * `--oauth basic` over HTTPS. The jest project "identity" sets TEST_STORAGE_MODE=identity (see
 * identity-mode.ts); the global setup starts that Azurite and trusts its certificate through
 * NODE_EXTRA_CA_CERTS, as a machine trusts a CA.
 */
import { randomUUID } from "node:crypto";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { AzuriteServiceUris } from "../../devhost/azurite";

const STORAGE_AUDIENCE = "https://storage.azure.com";
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** One tenant and one object id, as a managed identity has: user-delegation keys are bound to them. */
const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OBJECT_ID = randomUUID();

let tokensIssued = 0;

export function identityMode(): boolean {
  return process.env.TEST_STORAGE_MODE === "identity";
}

/**
 * Issues what Entra ID issues a managed identity for storage: a JWT with the storage audience and an
 * Entra issuer. Azurite's basic OAuth checks those and the lifetime, not the signature, so it is unsigned.
 */
export const azuriteTokenCredential: TokenCredential = {
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const requested = Array.isArray(scopes) ? scopes : [scopes];
    // Storage, or (as a managed identity that is an app registration's federated credential) the
    // token exchange audience, whose token is the app's client assertion.
    const audience = [STORAGE_AUDIENCE, TOKEN_EXCHANGE_AUDIENCE].find((candidate) => requested.every((scope) => scope === `${candidate}/.default`));
    if (!audience) throw new Error(`the identity was asked for ${requested.join(", ")}`);
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + 3600;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const claims = { aud: audience, iss: `https://sts.windows.net/${TENANT_ID}/`, iat: now, nbf: now - 60, exp: expiresOn, oid: OBJECT_ID, tid: TENANT_ID, sub: OBJECT_ID, appid: OBJECT_ID, idtyp: "app" };
    tokensIssued++;
    return { token: `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`, expiresOnTimestamp: expiresOn * 1000 };
  },
};

/** How many tokens the credential issued in this test file: proof that storage calls went with a token. */
export function storageTokensIssued(): number {
  return tokensIssued;
}

/** The identity-based storage settings for an Azurite's service URIs, as the Functions host reads them. */
export function identityStorageSettings(uris: AzuriteServiceUris): Record<string, string> {
  return {
    ImportExportStorage__tableServiceUri: uris.table,
    ImportExportStorage__blobServiceUri: uris.blob,
    ImportExportStorage__queueServiceUri: uris.queue,
  };
}

/** The run's OAuth Azurite, from the global setup. */
export function runIdentityStorage(): AzuriteServiceUris {
  const text = process.env.TEST_IDENTITY_STORAGE_URIS;
  if (!text) throw new Error("TEST_IDENTITY_STORAGE_URIS is not set: run the tests through jest's global setup");
  return JSON.parse(text) as AzuriteServiceUris;
}

/** How a suite that starts its own Azurite starts it in the current mode: with OAuth over HTTPS in identity mode. */
export function azuriteModeOptions(): { oauth?: { certPath: string; keyPath: string } } {
  if (!identityMode()) return {};
  const certPath = process.env.TEST_IDENTITY_CERT_FILE;
  const keyPath = process.env.TEST_IDENTITY_KEY_FILE;
  if (!certPath || !keyPath) throw new Error("TEST_IDENTITY_CERT_FILE is not set: run the tests through jest's global setup");
  return { oauth: { certPath, keyPath } };
}
