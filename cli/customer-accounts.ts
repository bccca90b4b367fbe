/**
 * How both CLIs reach customers' storage accounts: as the service does (CUSTOMER_BLOB_ENDPOINT with
 * {account}, CUSTOMER_ACCOUNT_KEYS 'account:key;…'; without keys, the managed identity or the
 * signed-in Azure identity), from the environment, else from local.settings.json (or its sample)
 * like `npm start`. One resolver for the copy agent and the drive tool.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { customerAccountSettingsSchema, toCustomerAccountSettings } from "../shared/config/customer-accounts";
import { CustomerAccounts } from "../shared/storage/customer-accounts";
import { projectRoot } from "../shared/config/project-root";

export class CustomerAccountSettingsError extends Error {}

function customerAccountEnvironment(): Record<string, string | undefined> {
  if (process.env.CUSTOMER_BLOB_ENDPOINT !== undefined) return process.env;
  const file = ["local.settings.json", "local.settings.sample.json"].map((name) => path.join(projectRoot(), name)).find(existsSync);
  if (!file) return process.env;
  const values = (JSON.parse(readFileSync(file, "utf8")).Values ?? {}) as Record<string, string>;
  return { CUSTOMER_BLOB_ENDPOINT: values.CUSTOMER_BLOB_ENDPOINT, CUSTOMER_ACCOUNT_KEYS: values.CUSTOMER_ACCOUNT_KEYS, ...process.env };
}

export function customerAccountsFromSettings(): CustomerAccounts {
  const parsed = customerAccountSettingsSchema.safeParse(customerAccountEnvironment());
  if (!parsed.success) throw new CustomerAccountSettingsError(`customer account settings: ${parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`);
  return new CustomerAccounts(toCustomerAccountSettings(parsed.data), {
    sasLifetimeMs: 3_600_000,
    retryOptions: { maxTries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 8000, tryTimeoutInMs: 120_000 },
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when no key is configured
    identity: () => new (require("@azure/identity").DefaultAzureCredential)(),
  });
}
