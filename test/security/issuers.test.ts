/** Issuers and the tenants they name (pure): a token is accepted only for the tenant its issuer names. */
import { configuredIssuerProblem, issuerRefusal, issuerTenant } from "../../shared/auth/issuers";

const A = "3c5b1c2a-0000-4000-8000-00000000000a";
const B = "3c5b1c2a-0000-4000-8000-00000000000b";
const V2 = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;
const V1 = (tid: string) => `https://sts.windows.net/${tid}/`;

test("Entra ID's issuers name their tenant as the first path segment", () => {
  expect(issuerTenant(V2(A))).toBe(A);
  expect(issuerTenant(V1(A))).toBe(A);
  expect(issuerTenant("https://login.microsoftonline.com/")).toBeUndefined();
  expect(issuerTenant("urn:example:issuer")).toBeUndefined();
});

test.each<[string, { iss?: unknown; tid?: unknown }, string[], string | undefined]>([
  ["a configured issuer, its own tenant", { iss: V2(A), tid: A }, [V2(A)], undefined],
  ["a configured issuer, another tenant", { iss: V2(A), tid: B }, [V2(A)], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
  ["the other token version of the same tenant, not configured", { iss: V1(A), tid: A }, [V2(A)], "its issuer ('iss') is not one this service accepts"],
  ["{tenantid}: any tenant, for itself", { iss: V2(B), tid: B }, [V2("{tenantid}")], undefined],
  ["{tenantid}: a tenant's issuer with another tid", { iss: V2(A), tid: B }, [V2("{tenantid}")], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
  ["{tenantid} itself as the issuer", { iss: V2("{tenantid}"), tid: A }, [V2("{tenantid}")], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
  ["a tid that is no tenant id (replacement patterns stay text)", { iss: V2("$&"), tid: "$&" }, [V2("{tenantid}")], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
  ["no tid", { iss: V2(A) }, [V2(A)], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
  ["no iss", { tid: A }, [V2(A)], "its tenant ('tid') is not the tenant its issuer ('iss') names"],
])("%s", (_label, claims, issuers, refusal) => {
  expect(issuerRefusal(claims, issuers)).toBe(refusal);
});

test("a configured issuer must name a tenant id, or {tenantid} in its place", () => {
  expect(configuredIssuerProblem(V2(A))).toBeUndefined();
  expect(configuredIssuerProblem(V1("{tenantid}"))).toBeUndefined();
  for (const issuer of [V2("common"), V2("organizations"), "https://issuer.example/", "https://x.example/{tenantid}x/", "https://x.example/a/{tenantid}/"]) {
    expect(configuredIssuerProblem(issuer)).toMatch(/names no tenant/);
  }
});
