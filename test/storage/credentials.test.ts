/**
 * The credential strategies of the identity-based settings: the app's managed identity when
 * `ImportExportStorage__credential` is `managedidentity` (a user-assigned one with `__clientId`),
 * DefaultAzureCredential otherwise, and the one the composition supplies, built once per connection.
 * (The identity jest project runs the service on Azurite with a supplied one.)
 */
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { parseSettings } from "../../shared/config/settings";
import { createBlobServiceClient, createQueueServiceClient, createTableClient, useStorageCredential } from "../../shared/storage/clients";

const URIS = {
  AUTH_MODE: "dev",
  ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net",
  ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
  ImportExportStorage__queueServiceUri: "https://acct.queue.core.windows.net",
};

test("`managedidentity` signs with the managed identity, a user-assigned one when a client id is given", () => {
  const systemAssigned = createBlobServiceClient(parseSettings({ ...URIS, ImportExportStorage__credential: "managedidentity" }));
  expect(systemAssigned.credential).toBeInstanceOf(ManagedIdentityCredential);
  const userAssigned = createBlobServiceClient(parseSettings({ ...URIS, ImportExportStorage__credential: "managedidentity", ImportExportStorage__clientId: "00000000-0000-4000-8000-0000000000aa" }));
  expect(userAssigned.credential).toBeInstanceOf(ManagedIdentityCredential);
});

test("without __credential, DefaultAzureCredential", () => {
  expect(createBlobServiceClient(parseSettings(URIS)).credential).toBeInstanceOf(DefaultAzureCredential);
});

test("a supplied factory's credential serves every client of one connection, made once", () => {
  const made: TokenCredential[] = [];
  useStorageCredential((connection) => {
    expect(connection.blobServiceUri).toBe(URIS.ImportExportStorage__blobServiceUri);
    const credential: TokenCredential = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) };
    made.push(credential);
    return credential;
  });
  const settings = parseSettings(URIS);
  const blob = createBlobServiceClient(settings);
  createQueueServiceClient(settings);
  createTableClient(settings, "sometable");
  expect(made).toHaveLength(1);
  expect(blob.credential).toBe(made[0]);
});
