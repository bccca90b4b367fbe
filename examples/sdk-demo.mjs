// The official Azure SDK against the local service, changed in nothing but its endpoint.
// Run it with `npm start -- --https` going, from the clone:
//   NODE_EXTRA_CA_CERTS=.devcerts/cert.pem node examples/sdk-demo.mjs
// IMPORT_EXPORT_ENDPOINT and SUBSCRIPTION_ID point it elsewhere (the test suite runs it that way);
// STORAGE_ACCOUNT_ID names your own account (the local demostore lives in subscription ...0001).
import { StorageImportExport } from "@azure/arm-storageimportexport";

const endpoint = process.env.IMPORT_EXPORT_ENDPOINT ?? "https://127.0.0.1:7071";
const subscriptionId = process.env.SUBSCRIPTION_ID ?? "00000000-0000-0000-0000-000000000001";
const resourceGroup = "demo";
const jobName = "first-job";
const storageAccountId =
  process.env.STORAGE_ACCOUNT_ID ?? "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/demostore";

// In dev mode the fixed token "dev" is a customer; in strict mode use DefaultAzureCredential.
const credential = { getToken: async () => ({ token: "dev", expiresOnTimestamp: Date.now() + 3600_000 }) };
const client = new StorageImportExport(credential, subscriptionId, { endpoint });

// The job the README's curl session creates; made here if that session wasn't run.
const existing = await client.jobs.get(jobName, resourceGroup).catch((error) => {
  if (error.statusCode === 404) return undefined;
  throw error;
});
if (!existing) {
  await client.jobs.create(jobName, resourceGroup, {
    location: "westus",
    properties: {
      jobType: "Import",
      storageAccountId,
      driveList: [
        {
          driveId: "9CA995BB",
          bitLockerKey: "238810-662376-448998-450120-652806-203390-606320-483076",
          manifestFile: "\\DriveManifest.xml",
          manifestHash: "4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E",
        },
      ],
    },
  });
  console.log(`created ${jobName}`);
}

const job = await client.jobs.get(jobName, resourceGroup); // (jobName, resourceGroupName)
console.log(job.name, job.properties.state, job.properties.driveList.map((drive) => `${drive.driveId}: ${drive.state}`).join(", "));

for await (const listed of client.jobs.listBySubscription({ top: 50, filter: "jobType eq 'Import'" })) {
  console.log(`listed ${listed.name} ${listed.properties.state}`);
}

const keys = [];
for await (const key of client.bitLockerKeys.list(jobName, resourceGroup)) keys.push(key.driveId);
console.log(`BitLocker keys for drives: ${keys.join(", ")}`);
