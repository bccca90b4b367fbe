/**
 * ARM, asked on the caller's behalf: the caller's token (issued to this app) is exchanged for an ARM
 * token of the same user in the same tenant with Entra's on-behalf-of flow, and ARM answers with the
 * caller's own rights, as ARM's linked access check does. The app proves itself with its managed
 * identity (a federated credential on the app registration: no secret to keep), the assertion being
 * the identity's token for `api://AzureADTokenExchange`.
 *
 * Deployment (docs/security.md): the app registration is multi-tenant, exposes `user_impersonation`
 * and asks for Azure Service Management's `user_impersonation`; a customer tenant consents once; the
 * registration trusts the function app's managed identity as a federated credential.
 */
import type { TokenCredential } from "@azure/core-auth";
import { ServiceError } from "../../domain/errors";

/** The answers the linked access check needs of ARM. */
export interface ArmReader {
  /** GET `path` on ARM as the caller whose token this is: the status and the parsed body. */
  get(path: string, bearerToken: string, tenantId: string): Promise<{ status: number; body: unknown }>;
}

export interface ArmOnBehalfOfOptions {
  clientId: string;
  armEndpoint: string;
  authorityHost: string;
  /** The app's own identity, whose token is the client assertion. */
  appIdentity: TokenCredential;
  timeoutMs: number;
}

const TOKEN_EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default";

export class ArmOnBehalfOf implements ArmReader {
  constructor(private readonly options: ArmOnBehalfOfOptions) {}

  async get(path: string, bearerToken: string, tenantId: string): Promise<{ status: number; body: unknown }> {
    const token = await this.armToken(bearerToken, tenantId);
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.armEndpoint), {
        headers: { authorization: `Bearer ${token}`, accept: "application/json" },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      // No answer in time, or none at all: nothing is decided (the cause is not the caller's).
      throw armUnavailable();
    }
    if (response.status >= 500 || response.status === 429) throw armUnavailable();
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined; // an unreadable body grants nothing: the callers read only `value` of a 200
    }
    return { status: response.status, body };
  }

  private async armToken(bearerToken: string, tenantId: string): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in ARM mode
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    const options: import("@azure/identity").OnBehalfOfCredentialOptions = {
      tenantId,
      clientId: this.options.clientId,
      userAssertionToken: bearerToken,
      getAssertion: async () => {
        const assertion = await this.options.appIdentity.getToken(TOKEN_EXCHANGE_SCOPE);
        if (!assertion) throw new Error("the app's identity gave no token for the exchange");
        return assertion.token;
      },
      authorityHost: this.options.authorityHost,
      // The authority is configured (LINKED_ACCESS_AUTHORITY_HOST): nothing to discover. The
      // constructor's overloads leave this option out, though the credential passes it on to MSAL.
      disableInstanceDiscovery: true,
    };
    const credential = new identity.OnBehalfOfCredential(options as import("@azure/identity").OnBehalfOfCredentialAssertionOptions);
    try {
      const token = await credential.getToken(`${new URL(this.options.armEndpoint).origin}/.default`, { abortSignal: AbortSignal.timeout(this.options.timeoutMs) });
      if (!token) throw exchangeRefused();
      return token.token;
    } catch (error) {
      // Entra refuses the exchange when the caller's tenant never consented to the app, or the
      // token is not one it issued for this app: the caller's rights cannot be shown, so refuse.
      if (error instanceof ServiceError) throw error;
      const name = (error as { name?: string }).name;
      if (name === "AuthenticationRequiredError" || name === "AuthenticationError") throw exchangeRefused();
      throw armUnavailable();
    }
  }
}

function armUnavailable(): ServiceError {
  return new ServiceError(503, "ServiceUnavailable", "Azure Resource Manager could not be asked about the job's storage account right now. Retry after a short wait.", undefined, undefined, { "Retry-After": "10" });
}

function exchangeRefused(): ServiceError {
  return new ServiceError(
    403,
    "LinkedAuthorizationFailed",
    "The caller's rights on the job's storage account could not be established: the caller's tenant has not consented to the Import/Export service acting on its behalf in Azure Resource Manager.",
    "properties.storageAccountId",
  );
}
