/**
 * How both CLIs reach customers' storage accounts: as the service does (CUSTOMER_BLOB_ENDPOINT with
 * {account}, CUSTOMER_ACCOUNT_KEYS 'account:key;…'; without keys, the managed identity or the
 * signed-in Azure identity), each setting read as `npm start` reads it: from the environment, else
 * from local.settings.json (or its sample). One resolver for the copy agent and the drive tool.
 */
import { customerAccountSettingsSchema, toCustomerAccountSettings } from "../shared/config/customer-accounts";
import { readLocalSettings } from "../shared/config/local-settings";
import { CustomerAccounts } from "../shared/storage/customer-accounts";

export class CustomerAccountSettingsError extends Error {}

export function customerAccountsFromSettings(): CustomerAccounts {
  const parsed = customerAccountSettingsSchema.safeParse(readLocalSettings().values);
  if (!parsed.success) throw new CustomerAccountSettingsError(`customer account settings: ${parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`);
  return new CustomerAccounts(toCustomerAccountSettings(parsed.data), {
    sasLifetimeMs: 3_600_000,
    retryOptions: { maxTries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 8000, tryTimeoutInMs: 120_000 },
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when no key is configured
    identity: () => new (require("@azure/identity").DefaultAzureCredential)(),
  });
}
