/**
 * Strict mode when the issuer's signing keys can't be fetched: the service's outage is a 503 with
 * Retry-After, not a 401 that would tell a caller with a good token that it is wrong.
 */
import { generateKeyPair, SignJWT } from "jose";
import { freePort } from "../../devhost/azurite";
import { API, call, newSubscriptionId, startTestService, TestService } from "../support/service";

let service: TestService;
beforeAll(async () => {
  const closedPort = await freePort(); // nothing listens there
  service = await startTestService({
    AUTH_MODE: "strict",
    AUTH_ISSUERS: "https://issuer.test/",
    AUTH_AUDIENCE: "api://importexport",
    AUTH_JWKS_URI: `http://127.0.0.1:${closedPort}/keys`,
  });
});
afterAll(() => service.close());

test("regression: an unreachable key set answers 503 with Retry-After, not 401", async () => {
  const { privateKey } = await generateKeyPair("RS256");
  const token = await new SignJWT({ tid: "tenant-1" })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer("https://issuer.test/")
    .setAudience("api://importexport")
    .setExpirationTime("10m")
    .sign(privateKey);

  const response = await call(service, "GET", `/subscriptions/${newSubscriptionId()}/providers/Microsoft.ImportExport/jobs?${API}`, undefined, {
    authorization: `Bearer ${token}`,
  });

  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("5");
  expect(response.body.error.code).toBe("ServiceUnavailable");
});
