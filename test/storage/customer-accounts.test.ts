/**
 * Customers' accounts as the service uses them for Get Job's log links. Regression: every Get and
 * List prepared a copy-log signer for each job's account, so with no account keys configured each
 * request ran the identity credential (DefaultAzureCredential's chain spawned processes on every Get:
 * Get Job at concurrency 8 fell to 0.28 of the raw read in `npm run bench`). Only jobs whose drives
 * left logs in the customer's account need one.
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { Job } from "../../shared/domain/job";
import { CustomerAccounts } from "../../shared/storage/customer-accounts";

type SignedJob = Pick<Job, "key" | "diagnosticsPath" | "storageAccountId" | "drives" | "exportIncomplete">;

function accountsCountingTokens(): { accounts: CustomerAccounts; tokenRequests: () => number } {
  let requests = 0;
  const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken | null> => {
      requests++;
      throw new Error("no identity on this machine");
    },
  };
  const accounts = new CustomerAccounts(
    { blobEndpointTemplate: "https://{account}.blob.core.windows.net", keys: {}, check: false, subscriptions: {} },
    { sasLifetimeMs: 3_600_000, retryOptions: { maxTries: 1 }, identity: () => credential },
  );
  return { accounts, tokenRequests: () => requests };
}

function job(drives: SignedJob["drives"]): SignedJob {
  return {
    key: { subscriptionId: "00000000-0000-0000-0000-000000000001", resourceGroup: "rg", name: "job" },
    diagnosticsPath: "waimportexport",
    storageAccountId: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/customerstore",
    drives,
  } as SignedJob;
}

test("jobs without logs in the customer's account cost no credential and no request", async () => {
  const { accounts, tokenRequests } = accountsCountingTokens();
  const sign = await accounts.copyLogSigner([job([{ driveId: "D1", state: "Received" } as Job["drives"][number]])], new Date());
  expect(tokenRequests()).toBe(0);
  expect(sign(job([]), "D1", "error")).toBeUndefined();
});

test("a job whose drive has a copy log gets its account's signer prepared (and none when the identity fails)", async () => {
  const { accounts, tokenRequests } = accountsCountingTokens();
  const copied = job([{ driveId: "D1", state: "Completed", copyLog: { errorLog: true, verboseLog: false, blobsCopied: 1, issuesByKind: {} } } as Job["drives"][number]]);
  const sign = await accounts.copyLogSigner([copied], new Date());
  expect(tokenRequests()).toBeGreaterThan(0);
  expect(sign(copied, "D1", "error")).toBeUndefined();
});
