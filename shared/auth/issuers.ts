/**
 * Token issuers and their tenants. A Microsoft Entra ID issuer names its tenant as the first segment
 * of its path: `https://login.microsoftonline.com/{tid}/v2.0` (v2 tokens), `https://sts.windows.net/{tid}/`
 * (v1). Every tenant's tokens are signed with the same published keys, so the signature alone does
 * not say which tenant issued a token: a token is accepted only if its `tid` is the tenant its `iss`
 * names, and `iss` is a configured issuer. A configured issuer may hold `{tenantid}` in place of the
 * tenant (as the `common` endpoint's discovery document writes it), to accept every tenant's tokens,
 * each for its own tenant.
 */

export const TENANT_PLACEHOLDER = "{tenantid}";

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant an issuer names (the first segment of its path), or undefined if it names none. */
export function issuerTenant(issuer: string): string | undefined {
  return /^https?:\/\/[^/?#]+\/([^/?#]+)/i.exec(issuer)?.[1];
}

/** Why a configured issuer can't be used (undefined when it can): it must name a tenant, or `{tenantid}`. */
export function configuredIssuerProblem(issuer: string): string | undefined {
  const tenant = issuerTenant(issuer);
  const placeholders = issuer.split(TENANT_PLACEHOLDER).length - 1;
  const namesTenant = placeholders === 0 ? tenant !== undefined && TENANT_ID.test(tenant) : placeholders === 1 && tenant === TENANT_PLACEHOLDER;
  if (namesTenant) return undefined;
  return `'${issuer}' names no tenant: write the tenant id as the first path segment (https://login.microsoftonline.com/<tenant-id>/v2.0, https://sts.windows.net/<tenant-id>/), or ${TENANT_PLACEHOLDER} there to accept every tenant's tokens`;
}

/**
 * Why a verified token's issuer and tenant are refused (undefined when they are accepted): its `tid`
 * must be the tenant its `iss` names, and `iss` one of `issuers`, a `{tenantid}` one read with that `tid`.
 */
export function issuerRefusal(claims: { iss?: unknown; tid?: unknown }, issuers: readonly string[]): string | undefined {
  const { iss, tid } = claims;
  if (typeof iss !== "string" || typeof tid !== "string" || !TENANT_ID.test(tid) || issuerTenant(iss) !== tid) {
    return "its tenant ('tid') is not the tenant its issuer ('iss') names";
  }
  const accepted = issuers.some((issuer) => issuer.replace(TENANT_PLACEHOLDER, () => tid) === iss);
  return accepted ? undefined : "its issuer ('iss') is not one this service accepts";
}
