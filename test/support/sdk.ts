/**
 * The official client, `@azure/arm-storageimportexport`, pointed at a test service: nothing changed
 * but its endpoint, a credential (the dev-mode token `dev`) and trust of the service's self-signed
 * certificate.
 */
import { StorageImportExport } from "@azure/arm-storageimportexport";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { PipelinePolicy } from "@azure/core-rest-pipeline";

/** Always the dev-mode customer token. */
export const devCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: "dev", expiresOnTimestamp: Date.now() + 365 * 86_400_000 };
  },
};

export function sdkClient(endpoint: string, subscriptionId: string, certificate: string): StorageImportExport {
  const client = new StorageImportExport(devCredential, subscriptionId, {
    endpoint,
    credentialScopes: ["https://management.azure.com/.default"],
    // The default retry policy would retry 5xx responses with back-off and hide the first failure.
    retryOptions: { maxRetries: 0 },
  });
  // One settings object for every request: the HTTP client caches its HTTPS agent per object.
  const tlsSettings = { ca: certificate };
  const trustLocalCertificate: PipelinePolicy = {
    name: "trustLocalCertificate",
    sendRequest: (request, next) => {
      request.tlsSettings = tlsSettings;
      return next(request);
    },
  };
  client.pipeline.addPolicy(trustLocalCertificate);
  return client;
}
