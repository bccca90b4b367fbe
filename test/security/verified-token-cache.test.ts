/**
 * The authenticator keeps the callers of tokens it verified (shared/auth/authenticator.ts), so a
 * client's repeated requests skip the signature check. A kept token must never outlive what a full
 * verification would accept: not past its expiry, and not once the key that signed it has been
 * withdrawn from the issuer's key set.
 */
import http from "node:http";
import { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, JWK, JWTPayload, KeyLike, SignJWT } from "jose";
import { Authenticator } from "../../shared/auth/authenticator";
import { ServiceError } from "../../shared/domain/errors";
import { TestClock } from "../support/service";

const ISSUER = "https://login.example.test/6d2b1c2a-0000-4000-8000-000000000002/v2.0";
const AUDIENCE = "https://management.example.test/";
const TENANT = "6d2b1c2a-0000-4000-8000-000000000002";

let server: http.Server;
let publishedKeys: JWK[] = [];
let keyA: { privateKey: KeyLike; jwk: JWK };
let keyB: { privateKey: KeyLike; jwk: JWK };

async function newKey(kid: string) {
  const pair = await generateKeyPair("RS256");
  return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" } };
}

function sign(payload: JWTPayload, key: { privateKey: KeyLike; jwk: JWK }): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.jwk.kid }).sign(key.privateKey);
}

function authenticatorAt(clock: TestClock): Authenticator {
  const { port } = server.address() as AddressInfo;
  return new Authenticator({ mode: "strict", issuers: [ISSUER], audiences: [AUDIENCE], jwksUri: `http://127.0.0.1:${port}/keys`, operatorRole: "ImportExport.Operator" }, clock);
}

async function rejection(work: Promise<unknown>): Promise<ServiceError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error("expected the token to be refused");
}

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([newKey("key-a"), newKey("key-b")]);
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: publishedKeys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  publishedKeys = [keyA.jwk];
});

test("a verified token is accepted again until it expires, then refused as a full verification refuses it", async () => {
  const clock = new TestClock();
  const authenticator = authenticatorAt(clock);
  const seconds = Math.floor(clock.now().getTime() / 1000);
  const token = await sign({ iss: ISSUER, aud: AUDIENCE, tid: TENANT, upn: "alice@contoso.test", exp: seconds + 120 }, keyA);

  expect((await authenticator.authenticate(`Bearer ${token}`, "customer")).tenantId).toBe(TENANT);
  clock.advance(60_000);
  expect((await authenticator.authenticate(`Bearer ${token}`, "customer")).actor.id).toBe("alice@contoso.test");

  // Past `exp` and the verifier's 60 s clock tolerance: refused, though it was kept a moment ago.
  clock.advance(121_000);
  const refused = await rejection(authenticator.authenticate(`Bearer ${token}`, "customer"));
  expect(refused.status).toBe(401);
  expect(refused.code).toBe("AuthenticationFailed");
});

test("a kept token whose signing key the issuer withdrew is refused once the key set is fetched again", async () => {
  const clock = new TestClock();
  const authenticator = authenticatorAt(clock);
  const seconds = Math.floor(clock.now().getTime() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, tid: TENANT, upn: "alice@contoso.test", exp: seconds + 3600 };
  const signedByA = await sign(claims, keyA);
  expect((await authenticator.authenticate(`Bearer ${signedByA}`, "customer")).tenantId).toBe(TENANT);

  // The issuer replaces key A with key B; a token under B makes the service fetch the set again.
  publishedKeys = [keyB.jwk];
  clock.advance(31_000);
  expect((await authenticator.authenticate(`Bearer ${await sign(claims, keyB)}`, "customer")).tenantId).toBe(TENANT);

  const refused = await rejection(authenticator.authenticate(`Bearer ${signedByA}`, "customer"));
  expect(refused.status).toBe(401);
});

test("a kept token still answers with its own caller, and the operator check still applies", async () => {
  const clock = new TestClock();
  const authenticator = authenticatorAt(clock);
  const seconds = Math.floor(clock.now().getTime() / 1000);
  const customer = await sign({ iss: ISSUER, aud: AUDIENCE, tid: TENANT, upn: "bob@contoso.test", exp: seconds + 600 }, keyA);
  const operator = await sign({ iss: ISSUER, aud: AUDIENCE, tid: TENANT, upn: "op@datacenter.test", roles: ["ImportExport.Operator"], exp: seconds + 600 }, keyA);

  for (let i = 0; i < 2; i++) {
    expect((await authenticator.authenticate(`Bearer ${customer}`, "customer")).actor.id).toBe("bob@contoso.test");
    expect((await authenticator.authenticate(`Bearer ${operator}`, "operator")).isOperator).toBe(true);
    expect((await rejection(authenticator.authenticate(`Bearer ${customer}`, "operator"))).status).toBe(403);
  }
});
