/**
 * Strict authentication end to end: tokens signed with an RS256 key whose JWKS a local server
 * publishes, checked for signature, issuer (and the tenant it names), audience, expiry and
 * not-before; the dev tokens and unsigned JWTs are refused; the operator API and the admin
 * endpoints need the operator role. The issuers are shaped as Entra ID's: a multi-tenant v2 one
 * (`{tenantid}`, every tenant for itself) and a single-tenant v1 one.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, JWTPayload, KeyLike, SignJWT } from "jose";
import { DEV_TENANT, DEV_TOKENS } from "../../shared/auth/authenticator";
import { devToken, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { bearer, Body, RawResponse, send, withoutRequestIds } from "./helpers";

const ISSUER_TEMPLATE = "https://login.example.test/{tenantid}/v2.0";
/** The one tenant the single-tenant issuer speaks for. */
const FIXED_TENANT = "3c5b1c2a-0000-4000-8000-000000000001";
const SECOND_ISSUER = `https://sts.example.test/${FIXED_TENANT}/`;
/** The app ID URI of the service's app registration: the audience of v1 tokens requested with it. */
const AUDIENCE = "https://management.example.test/";
/** The registration's client id: the audience of every v2 token for the app (and of v1 tokens requested with it). */
const CLIENT_ID = "6f0c8a52-4d1e-4b7a-9c3e-2a5b8d7e1f90";
const OPERATOR_ROLE = "ImportExport.Operator";
const KID = "test-key-1";
const RG = "strict-rg";

let service: TestService;
let jwksServer: http.Server;
let jwksRequests = 0;
let signingKey: KeyLike;
let otherKey: KeyLike;

const tenant = randomUUID();
const now = () => Math.floor(Date.now() / 1000);

/** The multi-tenant issuer, as it writes itself in the tokens of tenant `tid`. */
const issuerOf = (tid: string) => ISSUER_TEMPLATE.replace("{tenantid}", tid);

/**
 * Claims of a customer of `tenant` (or of the `tid` given), valid for ten minutes, with the right
 * audience and the issuer of that tenant.
 */
function claims(overrides: JWTPayload = {}): JWTPayload {
  const tid = typeof overrides.tid === "string" ? overrides.tid : tenant;
  return { iss: issuerOf(tid), aud: AUDIENCE, tid: tenant, oid: randomUUID(), upn: "alice@contoso.test", iat: now(), nbf: now() - 5, exp: now() + 600, ...overrides };
}

/** A token with exactly these claims (none added), RS256-signed with `key` under `kid`. */
async function sign(payload: JWTPayload, key: KeyLike = signingKey, kid = KID): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(key);
}

async function token(overrides: JWTPayload = {}): Promise<string> {
  return sign(claims(overrides));
}

async function operatorToken(): Promise<string> {
  return token({ roles: [OPERATOR_ROLE], upn: "op@datacenter.test" });
}

/**
 * A subscription of `tenant`, registered as ARM does it: its lifecycle notification, sent with an
 * operator-role token. Strict mode has no first-use registration.
 */
async function registeredSubscription(tenantId: string = tenant): Promise<string> {
  const sub = newSubscriptionId();
  const response = await send(service, "PUT", `/subscriptions/${sub}?api-version=2.0`, {
    authorization: bearer(await operatorToken()),
    body: { state: "Registered", registrationDate: new Date().toUTCString(), properties: { tenantId } },
  });
  expect(response.status).toBe(200);
  return sub;
}

function expect401(response: RawResponse, label: string): void {
  if (response.status !== 401) throw new Error(`${label}: expected 401 but got ${response.status} ${response.text}`);
  expectArmError(response, 401, "AuthenticationFailed");
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256", use: "sig" };
  jwksServer = http.createServer((req, res) => {
    jwksRequests++;
    if (req.url === "/discovery/keys") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  const { port } = jwksServer.address() as AddressInfo;
  service = await startTestService({
    ...uniqueStorageNames(),
    AUTH_MODE: "strict",
    AUTH_ISSUERS: `${ISSUER_TEMPLATE}, ${SECOND_ISSUER}`,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_CLIENT_ID: CLIENT_ID,
    AUTH_JWKS_URI: `http://127.0.0.1:${port}/discovery/keys`,
  });
});

afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

describe("valid tokens", () => {
  test("a signed token of the right issuer and audience creates (201) and reads (200) a job, as its user", async () => {
    const sub = await registeredSubscription();
    const authorization = bearer(await token({ upn: "alice@contoso.test" }));
    const created = await send(service, "PUT", jobUrl(sub, RG, "strict-job"), { authorization, body: importJobBody(sub) });
    expect(created.status).toBe(201);
    expect(created.body.systemData.createdBy).toBe("alice@contoso.test");
    const read = await send(service, "GET", jobUrl(sub, RG, "strict-job"), { authorization });
    expect(read.status).toBe(200);
    expect(read.body.name).toBe("strict-job");
    // The keys came from the local JWKS server.
    expect(jwksRequests).toBeGreaterThan(0);

    // A valid token of another tenant is refused on the subscription, whatever exists in it.
    const stranger = await send(service, "GET", jobUrl(sub, RG, "strict-job"), { authorization: bearer(await token({ tid: randomUUID() })) });
    expectArmError(stranger, 403, "InvalidAuthenticationTokenTenant");
  });

  /**
   * Regression (issue 20): a subscription ARM never registered answered 409
   * MissingSubscriptionRegistration and another tenant's 403, so any tenant could tell which
   * subscriptions use the provider. Strict mode has no first-use registration, so this is where it shows.
   */
  test("not yours or not known: a subscription ARM never registered answers as another tenant's does, whatever its state", async () => {
    const stranger = bearer(await token({ tid: randomUUID() }));
    const requestsOn = (sub: string): [string, string, unknown][] => [
      ["GET", jobUrl(sub, RG, "some-job"), undefined],
      ["PUT", jobUrl(sub, RG, "some-job"), importJobBody(sub)],
      ["DELETE", jobUrl(sub, RG, "some-job"), undefined],
      ["GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`, undefined],
    ];
    const answers = async (sub: string, authorization: string) => {
      const found: unknown[] = [];
      for (const [method, path, body] of requestsOn(sub)) {
        const response = await send(service, method, path, { authorization, body });
        found.push({ method, answer: JSON.parse(JSON.stringify(withoutRequestIds(response)).split(sub).join("<subscription>")) });
      }
      return found;
    };
    const unknown = newSubscriptionId();
    const expected = await answers(unknown, stranger);
    expect((expected[0] as { answer: { body: Body } }).answer.body.error.code).toBe("InvalidAuthenticationTokenTenant");
    // The subscription's owner-to-be, before ARM registers it, gets the very same answer.
    expect(await answers(unknown, bearer(await token()))).toEqual(expected);
    for (const state of ["Registered", "Warned", "Suspended", "Unregistered", "Deleted"]) {
      const sub = await registeredSubscription();
      await send(service, "PUT", `/subscriptions/${sub}?api-version=2.0`, { authorization: bearer(await operatorToken()), body: { state, properties: { tenantId: tenant } } });
      expect({ state, answers: await answers(sub, stranger) }).toEqual({ state, answers: expected });
    }
    // Once ARM's notification names the tenant, the owner's token works.
    await send(service, "PUT", `/subscriptions/${unknown}?api-version=2.0`, { authorization: bearer(await operatorToken()), body: { state: "Registered", properties: { tenantId: tenant } } });
    expect((await send(service, "PUT", jobUrl(unknown, RG, "registered-now"), { authorization: bearer(await token()), body: importJobBody(unknown) })).status).toBe(201);
  });

  /**
   * Regression (issue 22): only the app ID URI was accepted, but an app registration that asks for
   * v2 tokens (accessTokenAcceptedVersion 2) gets tokens whose `aud` is its client id, so every
   * request of its users was a 401.
   */
  test("both audiences Entra ID issues for the app are accepted: its app ID URI (v1) and its client id (v2, or v1 requested by it)", async () => {
    const sub = await registeredSubscription();
    const path = `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`;
    for (const aud of [AUDIENCE, CLIENT_ID, [CLIENT_ID, "https://another-api.example.test/"]]) {
      const response = await send(service, "GET", path, { authorization: bearer(await token({ aud })) });
      expect({ aud, status: response.status }).toEqual({ aud, status: 200 });
    }
  });

  test("every issuer of the comma-separated AUTH_ISSUERS list is accepted", async () => {
    const sub = await registeredSubscription(FIXED_TENANT);
    const response = await send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`, {
      authorization: bearer(await token({ iss: SECOND_ISSUER, tid: FIXED_TENANT })),
    });
    expect(response.status).toBe(200);
    expect(response.body.value).toEqual([]);
  });

  test("the scheme is case-insensitive ('bearer')", async () => {
    const sub = await registeredSubscription();
    const response = await send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`, {
      authorization: `bearer ${await token()}`,
    });
    expect(response.status).toBe(200);
  });

  test("exp and nbf are allowed 60 s of clock skew: 30 s past expiry or 30 s before nbf still pass", async () => {
    const sub = await registeredSubscription();
    const path = `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`;
    expect((await send(service, "GET", path, { authorization: bearer(await token({ iat: now() - 900, nbf: now() - 900, exp: now() - 30 })) })).status).toBe(200);
    expect((await send(service, "GET", path, { authorization: bearer(await token({ nbf: now() + 30 })) })).status).toBe(200);
  });
});

describe("refused tokens: 401 AuthenticationFailed with WWW-Authenticate", () => {
  const path = () => `/subscriptions/${newSubscriptionId()}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`;

  test("no Authorization header", async () => {
    const response = await send(service, "GET", path(), { authorization: null });
    expect401(response, "no token");
    expect(response.body.error.message).toMatch(/bearer token/i);
  });

  test("an empty header, another scheme, or 'Bearer' without a token", async () => {
    const good = await token();
    for (const authorization of ["", "Basic dXNlcjpwYXNz", `Token ${good}`, "Bearer", "Bearer    ", good]) {
      expect401(await send(service, "GET", path(), { authorization }), `header '${authorization.slice(0, 20)}'`);
    }
  });

  test("a PUT without a token creates nothing", async () => {
    const sub = await registeredSubscription();
    expect401(await send(service, "PUT", jobUrl(sub, RG, "anonymous"), { authorization: null, body: importJobBody(sub) }), "anonymous PUT");
    const read = await send(service, "GET", jobUrl(sub, RG, "anonymous"), { authorization: bearer(await token()) });
    expectArmError(read, 404, "ResourceNotFound");
  });

  test.each<[string, () => Promise<string>]>([
    ["signed with another key under the published kid", () => sign(claims(), otherKey)],
    ["signed with another key under an unknown kid", () => sign(claims(), otherKey, "unknown-kid")],
    ["with a wrong issuer", () => token({ iss: "https://evil.example.test/" })],
    ["without an issuer", () => token({ iss: undefined })],
    ["with a wrong audience", () => token({ aud: "https://someone-else.example.test/" })],
    ["for another app's client id", () => token({ aud: "0b6a3c1e-6d2f-4f8a-8e1b-5c7d9a2e4f61" })],
    ["for the app's client id in another case or with braces", () => token({ aud: `{${CLIENT_ID.toUpperCase()}}` })],
    ["without an audience", () => token({ aud: undefined })],
    ["that expired an hour ago", () => token({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })],
    ["that expired 2 minutes ago (beyond the 60 s skew)", () => token({ iat: now() - 900, nbf: now() - 900, exp: now() - 120 })],
    ["not yet valid for another hour", () => token({ nbf: now() + 3600, exp: now() + 7200 })],
    ["not yet valid for 2 minutes (beyond the 60 s skew)", () => token({ nbf: now() + 120 })],
    // Regression (issue 11, item 4): a token with no expiry was accepted forever.
    ["without an expiry ('exp')", () => token({ exp: undefined })],
    // Regression (issue 20): a token whose 'tid' was not its issuer's tenant passed as a caller of that 'tid'.
    ["whose tenant ('tid') is not the tenant its issuer names", () => token({ iss: issuerOf(FIXED_TENANT), tid: randomUUID() })],
    ["of the single-tenant issuer, for another tenant", () => token({ iss: SECOND_ISSUER, tid: randomUUID() })],
    ["of an issuer of the tenant's own, not configured", () => token({ iss: `https://sts.example.test/${tenant}/` })],
    ["with the multi-tenant issuer unfilled ('{tenantid}' itself)", () => token({ iss: ISSUER_TEMPLATE })],
  ])("a token %s", async (label, make) => {
    const compact = await make();
    const response = await send(service, "GET", path(), { authorization: bearer(compact) });
    expect401(response, label);
    // The error names no part of the token.
    expect(response.text).not.toContain(compact.split(".")[1].slice(0, 24));
  });

  test("a valid token whose payload was swapped for another tenant's (signature kept)", async () => {
    const [header, , signature] = (await token()).split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify(claims({ tid: DEV_TENANT, roles: [OPERATOR_ROLE] }))).toString("base64url")}.${signature}`;
    expect401(await send(service, "GET", path(), { authorization: bearer(forged) }), "forged payload");
    expect401(await send(service, "GET", "/operator/jobs", { authorization: bearer(forged) }), "forged payload, operator API");
  });

  test("alg none: an unsigned JWT with otherwise perfect claims, with or without an empty signature", async () => {
    const unsigned = devToken(claims({ roles: [OPERATOR_ROLE] }));
    expect(unsigned.endsWith(".")).toBe(true);
    for (const candidate of [unsigned, unsigned.slice(0, -1), `${unsigned}AAAA`]) {
      expect401(await send(service, "GET", path(), { authorization: bearer(candidate) }), "alg none");
      expect401(await send(service, "GET", "/operator/jobs", { authorization: bearer(candidate) }), "alg none, operator API");
    }
  });

  test("HS256 (a shared-secret algorithm the JWKS does not publish)", async () => {
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: KID }).sign(new TextEncoder().encode("a-shared-secret-of-at-least-32-bytes!!"));
    expect401(await send(service, "GET", path(), { authorization: bearer(hs) }), "HS256");
  });

  test("garbage", async () => {
    for (const garbage of ["not-a-jwt", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.bm9wZQ", "%%%.%%%.%%%", "x".repeat(4000)]) {
      expect401(await send(service, "GET", path(), { authorization: bearer(garbage) }), `garbage ${garbage.slice(0, 20)}`);
    }
  });

  test("the dev-mode tokens 'dev' and 'dev-operator' are refused in strict mode", async () => {
    const sub = newSubscriptionId();
    expect401(await send(service, "GET", path(), { authorization: bearer(DEV_TOKENS.customer) }), "dev");
    expect401(await send(service, "PUT", jobUrl(sub, RG, "dev-job"), { authorization: bearer(DEV_TOKENS.customer), body: importJobBody(sub) }), "dev PUT");
    expect401(await send(service, "GET", path(), { authorization: bearer(DEV_TOKENS.operator) }), "dev-operator, customer API");
    expect401(await send(service, "GET", "/operator/jobs", { authorization: bearer(DEV_TOKENS.operator) }), "dev-operator, operator API");
    expect401(await send(service, "POST", "/admin/functions/MaintenanceSweep", { authorization: bearer(DEV_TOKENS.operator) }), "dev-operator, admin");
  });

  test("a properly signed token without a tenant ('tid'), or with a non-string one", async () => {
    for (const tid of [undefined, "", 42, ["a"]]) {
      const response = await send(service, "GET", path(), { authorization: bearer(await token({ tid: tid as unknown as string })) });
      expect401(response, `tid ${JSON.stringify(tid)}`);
    }
    const response = await send(service, "GET", path(), { authorization: bearer(await token({ tid: undefined })) });
    expect(response.body.error.message).toMatch(/tenant|tid/);
  });
});

describe("the operator role", () => {
  test("operator API: a customer token → 403 AuthorizationFailed; a token with the operator role → 200", async () => {
    const sub = await registeredSubscription();
    const customer = bearer(await token());
    expect((await send(service, "PUT", jobUrl(sub, RG, "seen-by-operators"), { authorization: customer, body: importJobBody(sub) })).status).toBe(201);

    for (const [method, operatorPath] of [
      ["GET", "/operator/jobs?state=Creating"],
      ["GET", "/operator/arrivals"],
      ["GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/seen-by-operators`],
      ["GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/seen-by-operators/history`],
    ]) {
      const refused = await send(service, method, operatorPath, { authorization: customer });
      expectArmError(refused, 403, "AuthorizationFailed", { message: new RegExp(OPERATOR_ROLE.replace(".", "\\.")) });
    }
    // Other roles, or the role's name in another claim, are not the operator role.
    for (const extra of [{ roles: ["ImportExport.Reader"] }, { roles: "ImportExport.Operator" }, { scp: OPERATOR_ROLE }, { groups: [OPERATOR_ROLE] }]) {
      expectArmError(await send(service, "GET", "/operator/jobs", { authorization: bearer(await token(extra as JWTPayload)) }), 403, "AuthorizationFailed");
    }
    // A customer cannot post events either: the job stays as it was.
    const event = await send(service, "POST", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/seen-by-operators/events`, {
      authorization: customer,
      body: { type: "FaultJob", reason: "customer trying" },
    });
    expectArmError(event, 403, "AuthorizationFailed");

    const operator = bearer(await operatorToken());
    const list = await send(service, "GET", "/operator/jobs?state=Creating", { authorization: operator });
    expect(list.status).toBe(200);
    expect((list.body.value as Body[]).map((job) => job.id)).toContain(`/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs/seen-by-operators`);
    const job = await send(service, "GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/seen-by-operators`, { authorization: operator });
    expect(job.status).toBe(200);
    expect(job.body.properties.state).toBe("Creating");
    expect(job.body.operator.hadFault).toBe(false);
  });

  test("admin endpoints: no token → 401, a customer token → 403, an operator token → 200", async () => {
    const customer = bearer(await token());
    const operator = bearer(await operatorToken());

    expect401(await send(service, "POST", "/admin/functions/MaintenanceSweep", { authorization: null }), "admin without token");
    const refused = await send(service, "POST", "/admin/functions/MaintenanceSweep", { authorization: customer });
    expectArmError(refused, 403, "AuthorizationFailed");
    expect(refused.text).not.toContain("report");
    expectArmError(await send(service, "GET", "/admin/storage-requests", { authorization: customer }), 403, "AuthorizationFailed");
    expect401(await send(service, "GET", "/admin/storage-requests", { authorization: bearer(await token({ aud: "https://other/" })) }), "admin bad audience");

    const sweep = await send(service, "POST", "/admin/functions/MaintenanceSweep", { authorization: operator });
    expect(sweep.status).toBe(200);
    expect(sweep.body.name).toBe("MaintenanceSweep");
    expect(sweep.body.report).toEqual(expect.objectContaining({ sweep: expect.any(Object), reconcile: expect.any(Object) }));
    const count = await send(service, "GET", "/admin/storage-requests", { authorization: operator });
    expect(count.status).toBe(200);
    expect(count.body.count).toEqual(expect.any(Number));
  });
});
