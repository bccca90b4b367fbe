/**
 * The deployment template (infra/azuredeploy.json) checked against the code it deploys: the app
 * settings it sets pass the settings schema as they would in Azure (strict auth, identity-based
 * storage), nothing in it is a key or a connection string with a secret, the app's identity has a
 * role for every storage service the code calls (and no more on the service's account), and the
 * runtime is the one package.json names.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseSettings } from "../../shared/config/settings";

const ROOT = path.join(__dirname, "..", "..");
const templateText = readFileSync(path.join(ROOT, "infra", "azuredeploy.json"), "utf8");
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an ARM template, walked by hand
const template: any = JSON.parse(templateText);
const parameterValues: Record<string, unknown> = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(path.join(ROOT, "infra", "azuredeploy.parameters.json"), "utf8")).parameters).map(([name, entry]) => [name, (entry as { value: unknown }).value]),
);

/** Azure's built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
const BUILT_IN_ROLES: Record<string, string> = {
  StorageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  StorageBlobDelegator: "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
  StorageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  StorageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  MonitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
};

function resource(type: string) {
  const found = template.resources.filter((entry: { type: string }) => entry.type === type);
  if (found.length === 0) throw new Error(`no ${type} in the template`);
  return found;
}

const site = resource("Microsoft.Web/sites")[0];
const appSettings: { name: string; value: string }[] = site.properties.siteConfig.appSettings;

/** An app setting's value as it lands in Azure: parameters resolved, storage endpoints as Azure forms them. */
function resolve(setting: { name: string; value: string }): string {
  const parameter = /^\[parameters\('([^']+)'\)\]$/.exec(setting.value);
  if (parameter) return String(parameterValues[parameter[1]] ?? template.parameters[parameter[1]].defaultValue);
  const endpoint = /^\[reference\(resourceId\('Microsoft\.Storage\/storageAccounts', variables\('([^']+)'\)\), '[^']+'\)\.primaryEndpoints\.(blob|queue|table)\]$/.exec(setting.value);
  if (endpoint) return `https://${endpoint[1].toLowerCase()}.${endpoint[2]}.core.windows.net/`;
  // The public cloud's values of ARM's environment() function.
  if (setting.value === "[environment().resourceManager]") return "https://management.azure.com/";
  if (setting.value === "[environment().authentication.loginEndpoint]") return "https://login.microsoftonline.com/";
  // The component's connection string, as Azure gives it.
  if (/^\[reference\(resourceId\('Microsoft\.Insights\/components', .+\)\.ConnectionString\]$/.test(setting.value)) {
    return "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/";
  }
  if (setting.value.startsWith("[")) return `(${setting.value})`;
  return setting.value;
}

const deployedEnvironment = Object.fromEntries(appSettings.map((setting) => [setting.name, resolve(setting)]));

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

test("the app settings pass the settings schema as in Azure: strict auth, storage through the managed identity", () => {
  // WEBSITE_INSTANCE_ID is set by App Service on every Azure host.
  const settings = parseSettings({ ...deployedEnvironment, WEBSITE_INSTANCE_ID: "azure-instance" });
  // Both audiences Entra writes for the app: its app ID URI (v1 tokens) and its client id (v2 tokens).
  expect(settings.auth).toMatchObject({ mode: "strict", audiences: [parameterValues.authAudience, parameterValues.authClientId], jwksUri: parameterValues.authJwksUri });
  expect(settings.auth.issuers.length).toBeGreaterThan(0);
  expect(settings.customerAccounts).toMatchObject({ keys: {}, check: true, subscriptions: {} });
  // The managed identity reaches any account that granted it a role, so ownership is ARM's answer for the caller.
  expect(settings.linkedAccess).toEqual({ kind: "arm", clientId: parameterValues.authClientId, armEndpoint: "https://management.azure.com/", authorityHost: "https://login.microsoftonline.com/" });
  expect(settings.storage).toEqual({
    kind: "identity",
    tableServiceUri: "https://statestoragename.table.core.windows.net/",
    blobServiceUri: "https://statestoragename.blob.core.windows.net/",
    queueServiceUri: "https://statestoragename.queue.core.windows.net/",
    credential: "managedidentity",
    clientId: undefined,
  });
});

test("every setting of local.settings.sample.json is deployed, with its sample value where it fits Azure", () => {
  const sample: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, "local.settings.sample.json"), "utf8")).Values;
  // Replaced in Azure: the runtime is the plan's (functionAppConfig.runtime), storage is identity-based, auth is strict.
  const replaced: Record<string, string[]> = {
    FUNCTIONS_WORKER_RUNTIME: [],
    AzureWebJobsStorage: ["AzureWebJobsStorage__credential", "AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"],
    ImportExportStorage: ["ImportExportStorage__credential", "ImportExportStorage__tableServiceUri", "ImportExportStorage__blobServiceUri", "ImportExportStorage__queueServiceUri"],
  };
  const fromParameters = ["AUTH_MODE", "AUTH_ISSUERS", "AUTH_AUDIENCE", "AUTH_CLIENT_ID", "AUTH_JWKS_URI", "AUTH_OPERATOR_ROLE", "LINKED_ACCESS_ARM_ENDPOINT", "LINKED_ACCESS_AUTHORITY_HOST"];
  // Customers' accounts: Azure's endpoints, reached with the app's identity (no keys), not Azurite's;
  // Create refuses an account that does not exist or has not granted the identity its role.
  // Ownership of a job's account is ARM's answer for the caller, not a local registry.
  const inAzure: Record<string, string> = {
    CUSTOMER_BLOB_ENDPOINT: "https://{account}.blob.core.windows.net",
    CUSTOMER_ACCOUNT_KEYS: "",
    CUSTOMER_ACCOUNT_CHECK: "on",
    CUSTOMER_ACCOUNT_SUBSCRIPTIONS: "",
    LINKED_ACCESS_CHECK: "arm",
    // Telemetry to the template's Application Insights, sent with the managed identity (the component takes no key).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD",
  };
  const fromResources = ["APPLICATIONINSIGHTS_CONNECTION_STRING"];
  for (const [name, value] of Object.entries(sample)) {
    if (name in replaced) {
      expect(Object.keys(deployedEnvironment)).toEqual(expect.arrayContaining(replaced[name]));
      expect(deployedEnvironment[name]).toBeUndefined();
    } else if (name in inAzure) {
      expect([name, deployedEnvironment[name]]).toEqual([name, inAzure[name]]);
    } else if (fromParameters.includes(name) || fromResources.includes(name)) {
      expect(deployedEnvironment[name]).toBeTruthy();
    } else {
      expect([name, deployedEnvironment[name]]).toEqual([name, value]);
    }
  }
});

test("every deployed setting is one the code or the Functions host reads", () => {
  const configFolder = path.join(ROOT, "shared", "config");
  const settingsSource = readdirSync(configFolder).map((file) => readFileSync(path.join(configFolder, file), "utf8")).join("\n");
  for (const { name } of appSettings) {
    const hostSetting = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_)/.test(name);
    expect([name, hostSetting || new RegExp(`\\b${name}\\b`).test(settingsSource)]).toEqual([name, true]);
  }
});

test("no key, SAS or connection string with a secret anywhere; both accounts refuse shared keys and old TLS", () => {
  for (const secretForm of [/listKeys\(/i, /listAccountSas|listServiceSas/i, /AccountKey/i, /SharedAccessSignature/i, /[?&;]sig=/i, /DefaultEndpointsProtocol/i, /securestring/i]) {
    expect([secretForm.source, secretForm.test(templateText)]).toEqual([secretForm.source, false]);
  }
  const accounts = resource("Microsoft.Storage/storageAccounts");
  expect(accounts.length).toBeGreaterThanOrEqual(1);
  for (const account of accounts) {
    expect(account.properties).toMatchObject({ allowSharedKeyAccess: false, minimumTlsVersion: "TLS1_2", supportsHttpsTrafficOnly: true, allowBlobPublicAccess: false });
  }
  // Telemetry goes with the identity too: the connection string carries no secret, local auth is off.
  expect(resource("Microsoft.Insights/components")[0].properties.DisableLocalAuth).toBe(true);
  expect(deployedEnvironment.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe("Authorization=AAD");
});

test("the identity holds a role for every storage service the code calls, and no other on the service's account", () => {
  const code = sourceFiles(path.join(ROOT, "shared")).map((file) => readFileSync(file, "utf8")).join("\n");
  const needed = new Set<string>();
  if (/from "@azure\/data-tables"/.test(code)) needed.add("StorageTableDataContributor");
  if (/from "@azure\/storage-blob"/.test(code)) needed.add("StorageBlobDataContributor");
  // Log links are signed with a user-delegation key when there is no account key.
  if (/getUserDelegationKey\(/.test(code)) needed.add("StorageBlobDelegator");
  // The queue is created at start-up (createIfNotExists), which Message Sender alone may not do.
  if (/from "@azure\/storage-queue"/.test(code)) needed.add(/\.createIfNotExists\(/.test(code) ? "StorageQueueDataContributor" : "StorageQueueDataMessageSender");
  expect(needed.size).toBe(4);

  const assignments: { account: string; role: string }[] = template.variables.storageRoleAssignments;
  const onState = assignments.filter((entry) => entry.account === "[variables('stateStorageName')]").map((entry) => entry.role);
  expect(onState.sort()).toEqual([...needed].sort());
  // The Functions host's own account: blob leases and the deployment package, its queues and tables.
  const onHost = assignments.filter((entry) => entry.account === "[variables('hostStorageName')]").map((entry) => entry.role);
  expect(onHost.sort()).toEqual(["StorageBlobDataOwner", "StorageQueueDataContributor", "StorageTableDataContributor"]);

  for (const [name, id] of Object.entries(template.variables.roles)) expect([name, id]).toEqual([name, BUILT_IN_ROLES[name]]);
  const roleAssignments = resource("Microsoft.Authorization/roleAssignments");
  for (const assignment of roleAssignments) {
    expect(assignment.properties.principalId).toContain("resourceId('Microsoft.Web/sites', parameters('appName'))");
    expect(assignment.properties.principalId).toContain(".identity.principalId");
    expect(assignment.properties.principalType).toBe("ServicePrincipal");
  }
  expect(roleAssignments.find((entry: { copy?: { count: string } }) => entry.copy)?.copy.count).toBe("[length(variables('storageRoleAssignments'))]");
});

test("the service's storage settings name the state account, the host's the host account", () => {
  for (const [name, value] of Object.entries(deployedEnvironment)) {
    if (name.startsWith("ImportExportStorage__") && name.endsWith("ServiceUri")) expect(value).toMatch(/^https:\/\/statestoragename\./);
    if (name.startsWith("AzureWebJobsStorage__") && name.endsWith("ServiceUri")) expect(value).toMatch(/^https:\/\/hoststoragename\./);
  }
  expect(deployedEnvironment.AzureWebJobsStorage__credential).toBe("managedidentity");
  expect(deployedEnvironment.ImportExportStorage__credential).toBe("managedidentity");
});

test("a Function App on Flex Consumption, HTTPS only, with a managed identity, on the Node version package.json and the README name", () => {
  const plan = resource("Microsoft.Web/serverfarms")[0];
  expect(plan.sku).toEqual({ name: "FC1", tier: "FlexConsumption" });
  expect(site.kind).toBe("functionapp,linux");
  expect(site.identity.type).toBe("SystemAssigned");
  expect(site.properties.httpsOnly).toBe(true);
  expect(site.properties.siteConfig.minTlsVersion).toBe("1.2");

  const engines: string = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node;
  const major = /(\d+)/.exec(engines)![1];
  expect(site.properties.functionAppConfig.runtime).toEqual({ name: "node", version: major });
  // The README says the same where a newcomer reads it, and docs/deploy.md where the deployment is described.
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  expect(readme).toContain(`On a fresh machine with Node.js ${major} or later`);
  expect(readFileSync(path.join(ROOT, "docs", "deploy.md"), "utf8")).toContain(`on the **Flex Consumption** plan, Node ${major},`);
  expect(template.metadata.description).toContain(`(Node ${major})`);
  // Flex Consumption takes the runtime from functionAppConfig and refuses it as an app setting.
  expect(deployedEnvironment.FUNCTIONS_WORKER_RUNTIME).toBeUndefined();

  // The package is deployed to a blob container of the host account, read with the identity.
  const storage = site.properties.functionAppConfig.deployment.storage;
  expect(storage).toMatchObject({ type: "blobContainer", authentication: { type: "SystemAssignedIdentity" } });
  expect(storage.value).toContain("variables('hostStorageName')");
  expect(resource("Microsoft.Storage/storageAccounts/blobServices/containers")[0].name).toContain("variables('deploymentContainerName')");
});

/**
 * What Microsoft lists as deprecated on Flex Consumption ("Flex Consumption plan deprecations" in
 * the Functions app settings reference): app settings and site properties that Flex ignores, has
 * moved into `functionAppConfig`, or does not support. Regression (issue 22): the template set
 * `siteConfig.ftpsState`, deprecated there ("FTPS not supported"), which Microsoft's Flex samples never set.
 */
const FLEX_DEPRECATED_SETTINGS = [
  "ENABLE_ORYX_BUILD",
  "FUNCTIONS_EXTENSION_VERSION",
  "FUNCTIONS_WORKER_RUNTIME",
  "FUNCTIONS_WORKER_RUNTIME_VERSION",
  "FUNCTIONS_MAX_HTTP_CONCURRENCY",
  "FUNCTIONS_WORKER_PROCESS_COUNT",
  "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
  "SCM_DO_BUILD_DURING_DEPLOYMENT",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "WEBSITE_CONTENTOVERVNET",
  "WEBSITE_CONTENTSHARE",
  "WEBSITE_DNS_SERVER",
  "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
  "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_RUN_FROM_PACKAGE",
  "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
  "WEBSITE_VNET_ROUTE_ALL",
];
const FLEX_DEPRECATED_PROPERTIES = [
  "alwaysOn",
  "containerSize",
  "ftpsState",
  "isReserved",
  "IsXenon",
  "javaVersion",
  "LinuxFxVersion",
  "netFrameworkVersion",
  "powerShellVersion",
  "functionAppScaleLimit",
  "preWarmedInstanceCount",
  "use32BitWorkerProcess",
  "vnetBackupRestoreEnabled",
  "vnetContentShareEnabled",
  "vnetImagePullEnabled",
  "vnetRouteAllEnabled",
  "windowsFxVersion",
];

test("the Function App sets none of the settings and site properties Flex Consumption deprecates", () => {
  const deprecatedSettings = new Set(FLEX_DEPRECATED_SETTINGS.map((name) => name.toLowerCase()));
  expect(appSettings.map((setting) => setting.name).filter((name) => deprecatedSettings.has(name.toLowerCase()))).toEqual([]);
  // Site properties are case-insensitive in ARM; they may sit on the site's properties or in siteConfig.
  const deprecatedProperties = new Set(FLEX_DEPRECATED_PROPERTIES.map((name) => name.toLowerCase()));
  const set = [...Object.keys(site.properties), ...Object.keys(site.properties.siteConfig)].filter((name) => deprecatedProperties.has(name.toLowerCase()));
  expect(set).toEqual([]);
});
