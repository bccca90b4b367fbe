/**
 * The linked access check as it runs in Azure (`LINKED_ACCESS_CHECK=arm`): strict tokens, identity
 * storage (the OAuth Azurite), and ARM asked on the caller's behalf. A stand-in for Entra and ARM
 * serves HTTPS with the run's test certificate: Entra's on-behalf-of token endpoint (it checks that
 * the app's client assertion is the managed identity's token-exchange token and that the user
 * assertion is the caller's own token) and ARM's account and permissions reads, answered per user.
 * The service's code is the production code: @azure/identity's OnBehalfOfCredential and fetch.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, JWTPayload, KeyLike, SignJWT } from "jose";
import { expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { bearer, send } from "../security/helpers";
import { identityMode, TOKEN_EXCHANGE_AUDIENCE } from "../support/identity";
import { exportJobBody, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";

/** Every tenant's tokens, each for its own tenant (the `{tenantid}` form of AUTH_ISSUERS). */
const ISSUER = "https://login.example.test/{tenantid}/v2.0";
const AUDIENCE = "api://import-export-tests";
const CLIENT_ID = "6b1f0a8e-0000-4000-8000-00000000c11e";
const RG = "arm-linked-rg";
const BLOB_DATA_CONTRIBUTOR = { actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/*"], dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"] };
const BLOB_DATA_READER = { actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/read"], dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"] };

const TENANT_A = randomUUID();
const TENANT_B = randomUUID();
const SUB_A = newSubscriptionId();
const SUB_B = newSubscriptionId();
const accountId = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/storage/providers/Microsoft.Storage/storageAccounts/${name}`;

/** What the stand-in ARM knows: each account by its id (lower case), and each user's permissions on it. */
const accounts = new Map<string, Map<string, object[]>>([
  [accountId(SUB_B, "bobstore").toLowerCase(), new Map([["bob", [BLOB_DATA_CONTRIBUTOR]], ["reader", [BLOB_DATA_READER]]])],
  [accountId(SUB_A, "alicestore").toLowerCase(), new Map([["alice", [BLOB_DATA_CONTRIBUTOR]]])],
]);
const exchanges: { user: string; clientId: string; assertionAudience: string }[] = [];
let armFailing = false;

let service: TestService;
let jwks: http.Server;
let standIn: https.Server;
let signingKey: KeyLike;

async function tokenOf(user: string, tid: string, extra: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER.replace("{tenantid}", tid), aud: AUDIENCE, tid, oid: user, upn: `${user}@test`, iat: now, nbf: now - 5, exp: now + 600, ...extra })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .sign(signingKey);
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, string>;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Entra's OpenID metadata and on-behalf-of token endpoint, and ARM's two reads, on one HTTPS server. */
function standInHandler(base: () => string) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", base());
    const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (metadata) {
      const tenant = metadata[1];
      return json(res, 200, {
        issuer: `${base()}/${tenant}/v2.0`,
        token_endpoint: `${base()}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${base()}/${tenant}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base()}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${base()}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ["code", "id_token", "token"],
      });
    }
    if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname) && req.method === "POST") {
      let text = "";
      req.on("data", (chunk) => (text += chunk));
      req.on("end", () => {
        const form = new URLSearchParams(text);
        const user = claimsOf(form.get("assertion") ?? "").oid;
        exchanges.push({ user, clientId: form.get("client_id") ?? "", assertionAudience: claimsOf(form.get("client_assertion") ?? "").aud });
        if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || form.get("requested_token_use") !== "on_behalf_of") return json(res, 400, { error: "invalid_grant" });
        return json(res, 200, { token_type: "Bearer", scope: form.get("scope"), expires_in: 3600, ext_expires_in: 3600, access_token: `arm-token-of.${user}` });
      });
      return;
    }
    const user = /^Bearer arm-token-of\.(.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!user) return json(res, 401, { error: { code: "AuthenticationFailed", message: "no ARM token" } });
    if (armFailing) return json(res, 500, { error: { code: "InternalServerError", message: "down" } });
    const permissionsPath = /^(.*)\/providers\/Microsoft\.Authorization\/permissions$/i.exec(url.pathname);
    const resource = (permissionsPath?.[1] ?? url.pathname).toLowerCase();
    const grants = accounts.get(resource);
    if (!grants) return json(res, 404, { error: { code: "ResourceNotFound", message: "not found" } });
    if (!grants.has(user)) return json(res, 403, { error: { code: "AuthorizationFailed", message: "no access" } });
    return permissionsPath ? json(res, 200, { value: grants.get(user) }) : json(res, 200, { id: url.pathname, name: url.pathname.split("/").pop(), type: "Microsoft.Storage/storageAccounts" });
  };
}

async function registered(sub: string, tenantId: string): Promise<void> {
  const operator = await tokenOf("operator", TENANT_A, { roles: ["ImportExport.Operator"] });
  const response = await send(service, "PUT", `/subscriptions/${sub}?api-version=2.0`, { authorization: bearer(operator), body: { state: "Registered", properties: { tenantId } } });
  expect(response.status).toBe(200);
}

const describeInIdentityMode = identityMode() ? describe : describe.skip;

describeInIdentityMode("linked access answered by ARM for the caller", () => {
  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    jwks = http.createServer((_req, res) => json(res, 200, { keys: [jwk] }));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const tls = { cert: readFileSync(process.env.TEST_IDENTITY_CERT_FILE!), key: readFileSync(process.env.TEST_IDENTITY_KEY_FILE!) };
    let standInUrl = "";
    standIn = https.createServer(tls, standInHandler(() => standInUrl));
    await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
    standInUrl = `https://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
    service = await startTestService({
      ...uniqueStorageNames(),
      AUTH_MODE: "strict",
      AUTH_ISSUERS: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_JWKS_URI: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`,
      LINKED_ACCESS_CHECK: "arm",
      AUTH_CLIENT_ID: CLIENT_ID,
      LINKED_ACCESS_ARM_ENDPOINT: standInUrl,
      LINKED_ACCESS_AUTHORITY_HOST: standInUrl,
      CUSTOMER_ACCOUNT_CHECK: "off",
    });
    await registered(SUB_A, TENANT_A);
    await registered(SUB_B, TENANT_B);
  });

  afterAll(async () => {
    await service?.close();
    await new Promise<void>((resolve) => jwks?.close(() => resolve()));
    await new Promise<void>((resolve) => standIn?.close(() => resolve()));
  });

  test("the owner with Storage Blob Data Contributor: 201, asked through Entra's on-behalf-of exchange as that user", async () => {
    const bob = bearer(await tokenOf("bob", TENANT_B));
    const created = await send(service, "PUT", jobUrl(SUB_B, RG, "bobs-job"), { authorization: bob, body: importJobBody(SUB_B, { properties: { storageAccountId: accountId(SUB_B, "bobstore") } }) });
    expect(created.status).toBe(201);
    // The app proved itself with its identity's token-exchange token; the user assertion was Bob's.
    expect(exchanges).toContainEqual({ user: "bob", clientId: CLIENT_ID, assertionAudience: TOKEN_EXCHANGE_AUDIENCE });
  });

  test("another tenant naming Bob's account: ARM refuses to show it to them, so 403 LinkedAuthorizationFailed", async () => {
    const alice = bearer(await tokenOf("alice", TENANT_A));
    const refused = await send(service, "PUT", jobUrl(SUB_A, RG, "alices-grab"), { authorization: alice, body: exportJobBody(SUB_A, { storageAccountId: accountId(SUB_B, "bobstore") }) });
    expectArmError(refused, 403, "LinkedAuthorizationFailed", { target: "properties.storageAccountId" });
  });

  test("Bob's account name in Alice's own subscription: no such account at that id, so 403", async () => {
    const alice = bearer(await tokenOf("alice", TENANT_A));
    const refused = await send(service, "PUT", jobUrl(SUB_A, RG, "alices-alias"), { authorization: alice, body: importJobBody(SUB_A, { properties: { storageAccountId: accountId(SUB_A, "BOBSTORE") } }) });
    expectArmError(refused, 403, "LinkedAuthorizationFailed");
  });

  test("a reader of the account may not import into it: the write data action is missing, 403", async () => {
    await registered(SUB_B, TENANT_B);
    const reader = bearer(await tokenOf("reader", TENANT_B));
    const refused = await send(service, "PUT", jobUrl(SUB_B, RG, "readers-import"), { authorization: reader, body: importJobBody(SUB_B, { properties: { storageAccountId: accountId(SUB_B, "bobstore") } }) });
    expectArmError(refused, 403, "LinkedAuthorizationFailed");
  });

  test("ARM failing is a 503 with Retry-After, never a grant", async () => {
    armFailing = true;
    try {
      const bob = bearer(await tokenOf("bob", TENANT_B));
      const response = await send(service, "PUT", jobUrl(SUB_B, RG, "while-arm-fails"), { authorization: bob, body: importJobBody(SUB_B, { properties: { storageAccountId: accountId(SUB_B, "bobstore") } }) });
      expectArmError(response, 503, "ServiceUnavailable");
      expect(response.headers.get("retry-after")).toBe("10");
    } finally {
      armFailing = false;
    }
  });
});
