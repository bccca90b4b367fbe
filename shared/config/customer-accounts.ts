/**
 * How the service and the copy agent reach a customer's storage account: the job's
 * `storageAccountId` names the account; a template turns the name into its Blob endpoint
 * (`https://{account}.blob.core.windows.net` in Azure; locally Azurite, with the account in the
 * path). Accounts listed with a key are reached with it (Azurite's accounts, key-based setups); with
 * no keys configured at all, every account is reached with the managed identity, to which the
 * customer grants Storage Blob Data Contributor on their account. With the account check on, Create
 * refuses a job whose account the service can tell it cannot reach (see customer-account-check.ts).
 */
import { z } from "zod";
import { foldName } from "../domain/linked-access";

export const DEFAULT_CUSTOMER_BLOB_ENDPOINT = "https://{account}.blob.core.windows.net";

/** Storage account names: 3 to 24 lowercase letters and digits (Azure's rule). */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

export interface CustomerAccountSettings {
  /** The Blob endpoint with `{account}` where the account name goes. */
  blobEndpointTemplate: string;
  /** Account name → key. Empty: every account is reached with the managed identity. */
  keys: Record<string, string>;
  /** Whether Create probes the job's account and refuses one that does not exist or refuses the service. */
  check: boolean;
  /** Which subscription each account lives in: the linked access check's registry (see shared/jobs/linked-access-check.ts). */
  subscriptions: AccountRegistry;
}

const template = z
  .string()
  .refine((value) => value.includes("{account}"), "must contain '{account}' where the account name goes")
  .refine((value) => URL.canParse(value.replace("{account}", "account")), "must be a URL such as https://{account}.blob.core.windows.net");

const keyList = z
  .string()
  .transform((value, ctx) => {
    const keys: Record<string, string> = {};
    for (const entry of value.split(";").map((part) => part.trim()).filter(Boolean)) {
      const colon = entry.indexOf(":");
      const [name, key] = colon < 0 ? [entry, ""] : [entry.slice(0, colon), entry.slice(colon + 1).split(":")[0]];
      if (!STORAGE_ACCOUNT_NAME.test(name) || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
        ctx.addIssue({ code: "custom", message: "must be 'account:base64key' entries separated by ';'" });
        return z.NEVER;
      }
      keys[name] = key;
    }
    return keys;
  });

/** Account name → the subscription it lives in, as `CUSTOMER_ACCOUNT_SUBSCRIPTIONS` lists them (both folded). */
export type AccountRegistry = Readonly<Record<string, string>>;

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `account:subscriptionId;…`: which subscription each account this service reaches lives in (the linked access check's registry). */
const accountRegistry = z.string().transform((text, ctx): AccountRegistry => {
  const registry: Record<string, string> = Object.create(null);
  for (const entry of text.split(";").map((part) => part.trim()).filter(Boolean)) {
    const [name = "", subscription = "", ...rest] = entry.split(":").map((part) => foldName(part.trim()));
    if (rest.length > 0 || !STORAGE_ACCOUNT_NAME.test(name) || !SUBSCRIPTION_ID.test(subscription)) {
      ctx.addIssue({ code: "custom", message: "must be 'account:subscriptionId' entries separated by ';' (a storage account name and a subscription GUID)" });
      return z.NEVER;
    }
    if (registry[name] !== undefined && registry[name] !== subscription) {
      ctx.addIssue({ code: "custom", message: `names account '${name}' in two subscriptions: an account lives in one` });
      return z.NEVER;
    }
    registry[name] = subscription;
  }
  return registry;
});

export const customerAccountSettingsSchema = z.object({
  CUSTOMER_BLOB_ENDPOINT: z.preprocess((value) => (value === "" ? undefined : value), template.default(DEFAULT_CUSTOMER_BLOB_ENDPOINT)),
  CUSTOMER_ACCOUNT_KEYS: z.preprocess((value) => (value === undefined ? "" : value), keyList),
  // Off locally, where tooling and Microsoft's example payloads name accounts Azurite does not serve.
  CUSTOMER_ACCOUNT_CHECK: z.preprocess((value) => (value === "" ? undefined : value), z.enum(["on", "off"]).default("off")),
  CUSTOMER_ACCOUNT_SUBSCRIPTIONS: z.preprocess((value) => (value === undefined ? "" : value), accountRegistry),
});

export function toCustomerAccountSettings(raw: z.infer<typeof customerAccountSettingsSchema>): CustomerAccountSettings {
  return { blobEndpointTemplate: raw.CUSTOMER_BLOB_ENDPOINT, keys: raw.CUSTOMER_ACCOUNT_KEYS, check: raw.CUSTOMER_ACCOUNT_CHECK === "on", subscriptions: raw.CUSTOMER_ACCOUNT_SUBSCRIPTIONS };
}

/** The account a job's `storageAccountId` names (`…/providers/Microsoft.Storage/storageAccounts/<name>`). */
export function storageAccountName(storageAccountId: string): string | undefined {
  const match = /\/providers\/Microsoft\.(?:Storage|ClassicStorage)\/storageAccounts\/([^/]+)\/?$/i.exec(storageAccountId);
  const name = match?.[1].toLowerCase();
  return name && STORAGE_ACCOUNT_NAME.test(name) ? name : undefined;
}

export function customerBlobEndpoint(settings: CustomerAccountSettings, accountName: string): string {
  return settings.blobEndpointTemplate.replace("{account}", accountName);
}
