/**
 * The export's read of a range in the Azure shape: a customer's account over HTTPS with a token, no
 * key anywhere. The reader sends through the container client's own pipeline, so the token goes
 * with it; an account that refuses the token refuses the read.
 */
import { randomBytes } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { BlobRangeReader } from "../../shared/datacenter-agent/range-download";
import { azuriteTokenCredential, runIdentityStorage } from "../support/identity";

test("a range is read over HTTPS with the client's token, and a client without a valid token is refused", async () => {
  const uris = runIdentityStorage();
  expect(uris.blob.startsWith("https://")).toBe(true);
  const container = new BlobServiceClient(uris.blob, azuriteTokenCredential).getContainerClient(`range${randomBytes(4).toString("hex")}`);
  await container.create();
  try {
    const content = randomBytes(10_000);
    const { etag } = await container.getBlockBlobClient("d/x.bin").upload(content, content.length);
    const buffer = Buffer.alloc(4_000);
    await BlobRangeReader.of(container).read("d/x.bin", buffer, 3_000, etag);
    expect(buffer.equals(content.subarray(3_000, 7_000))).toBe(true);

    // The read above went with the token (an OAuth Azurite answers no request without one); a token
    // for another audience goes the same way and is refused: the read is an error with its status.
    const wrongAudience: TokenCredential = {
      async getToken(): Promise<AccessToken> {
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
        const now = Math.floor(Date.now() / 1000);
        return { token: `${encode({ alg: "none", typ: "JWT" })}.${encode({ aud: "https://management.azure.com", iss: "https://sts.windows.net/x/", iat: now, nbf: now - 60, exp: now + 3600 })}.`, expiresOnTimestamp: (now + 3600) * 1000 };
      },
    };
    const refused = new BlobServiceClient(uris.blob, wrongAudience, { retryOptions: { maxTries: 1 } }).getContainerClient(container.containerName);
    await expect(BlobRangeReader.of(refused).read("d/x.bin", Buffer.alloc(10), 0, etag)).rejects.toMatchObject({ statusCode: 403 });
  } finally {
    await container.delete();
  }
});
