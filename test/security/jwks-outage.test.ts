/**
 * Strict mode while the identity provider fails: its key set unreachable, answering 500 or an HTML
 * error page. That is the service's outage, a 503 with Retry-After, never a 401 telling a caller
 * with a good token that it is wrong; and keys fetched before the incident keep verifying tokens.
 */
import http from "node:http";
import { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, JWTPayload, KeyLike, SignJWT } from "jose";
import { API, call, newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { expectArmError } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";

const TENANT = "8f1d2c3b-0000-4000-8000-000000000003";
const ISSUER = `https://issuer.test/${TENANT}/`;
const AUDIENCE = "api://importexport";
const KID = "k1";
const HOUR = 3_600_000;

/** What the key set endpoint does now. */
type KeySetBehaviour = "keys" | "error500" | "htmlPage" | "notAKeySet" | "dropConnection";

let behaviour: KeySetBehaviour = "keys";
let keySetRequests = 0;
let keysServer: http.Server;
let signingKey: KeyLike;
let otherKey: KeyLike;
let service: TestService;
const clock = new TestClock();

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256", use: "sig" };
  keysServer = http.createServer((req, res) => {
    keySetRequests++;
    switch (behaviour) {
      case "keys":
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
        break;
      case "error500":
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"server_error"}');
        break;
      case "htmlPage":
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>We'll be right back</body></html>");
        break;
      case "notAKeySet":
        res.writeHead(200, { "content-type": "application/json" }).end('{"keys":"none"}');
        break;
      case "dropConnection":
        req.socket.destroy();
        break;
    }
  });
  await new Promise<void>((resolve) => keysServer.listen(0, "127.0.0.1", resolve));
  const { port } = keysServer.address() as AddressInfo;
  service = await startTestService(
    { ...uniqueStorageNames(), AUTH_MODE: "strict", AUTH_ISSUERS: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_URI: `http://127.0.0.1:${port}/keys` },
    undefined,
    clock,
  );
});

afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => keysServer.close(() => resolve()));
});

/** A token valid for three days of the test clock, signed with `key` under `kid`. */
async function token(key: KeyLike = signingKey, kid = KID, claims: JWTPayload = {}): Promise<string> {
  const now = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ tid: TENANT, ...claims })
    .setProtectedHeader({ alg: "RS256", kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3 * 24 * 3600)
    .sign(key);
}

/** Tenant-1's subscription, registered by ARM's notification while the provider is healthy. */
const SUB = newSubscriptionId();

async function list(compact: string) {
  return call(service, "GET", `/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?${API}`, undefined, { authorization: `Bearer ${compact}` });
}

function expect503(response: Awaited<ReturnType<typeof list>>): void {
  expectArmError(response, 503, "ServiceUnavailable");
  expect(response.headers.get("retry-after")).toBe("5");
}

/** Past the fetch cooldown, so the next request may ask the key set again. */
function afterCooldown(): void {
  clock.advance(31_000);
}

describe("before any key was fetched", () => {
  test.each<KeySetBehaviour>(["dropConnection", "error500", "htmlPage", "notAKeySet"])(
    "regression: a key set answering %s gives 503 with Retry-After, not 401",
    async (failure) => {
      behaviour = failure;
      afterCooldown();
      expect503(await list(await token()));
    },
  );
});

describe("during an incident, keys fetched before it keep serving", () => {
  beforeAll(async () => {
    behaviour = "keys";
    afterCooldown();
    const arm = await token(signingKey, KID, { roles: ["ImportExport.Operator"] });
    const registered = await call(service, "PUT", `/subscriptions/${SUB}?api-version=2.0`, { state: "Registered", properties: { tenantId: TENANT } }, { authorization: `Bearer ${arm}` });
    expect(registered.status).toBe(200);
    expect((await list(await token())).status).toBe(200);
  });

  test("regression: two hours later (keys due for a refresh) with the key set answering 500, a good token still passes", async () => {
    behaviour = "error500";
    clock.advance(2 * HOUR);
    const before = keySetRequests;
    expect((await list(await token())).status).toBe(200);
    expect((await list(await token())).status).toBe(200);
    // The refresh was tried (in the background), and failed; the cached keys answered.
    expect(keySetRequests).toBe(before + 1);
  });

  test("a token the cached keys refuse is still a 401 (a bad signature is known without the provider)", async () => {
    behaviour = "htmlPage";
    afterCooldown();
    expectArmError(await list(await token(otherKey)), 401, "AuthenticationFailed");
  });

  test("a token under a key id the cache doesn't know is a 503: it may be a key rotated in during the outage", async () => {
    behaviour = "error500";
    afterCooldown();
    expect503(await list(await token(otherKey, "rotated-in")));
  });

  test("a day after the last good fetch the keys are no longer trusted: 503", async () => {
    clock.advance(24 * HOUR);
    afterCooldown();
    expect503(await list(await token()));
  });

  test("once the provider is back, tokens pass again", async () => {
    behaviour = "keys";
    afterCooldown();
    expect((await list(await token())).status).toBe(200);
    expectArmError(await list(await token(otherKey, "rotated-in")), 401, "AuthenticationFailed");
  });
});
