/**
 * App settings: defaults, the two storage modes, and a start-up error that names the bad setting.
 */
import { parseSettings, SettingsError } from "../../shared/config/settings";

const DAY = 86_400_000;
const BASE = { ImportExportStorage: "UseDevelopmentStorage=true", AUTH_MODE: "dev" };

function settingsError(env: Record<string, string | undefined>): SettingsError {
  try {
    parseSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    expect(error).toBeInstanceOf(Error);
    return error as SettingsError;
  }
  throw new Error("expected the settings to be refused");
}

describe("parseSettings", () => {
  test("a connection string (and dev auth) alone gives every default", () => {
    expect(parseSettings(BASE)).toEqual({
      applicationInsights: false,
      storage: { kind: "connectionString", connectionString: "UseDevelopmentStorage=true" },
      jobsTableName: "importexportjobs",
      logsContainerName: "importexport-logs",
      arrivalsTableName: "importexportarrivals",
      deadlinesTableName: "importexportdeadlines",
      deletedJobsTableName: "importexportdeletedjobs",
      subscriptionsTableName: "importexportsubscriptions",
      notificationsQueueName: "importexport-notifications",
      deadlineIndexShards: 16,
      sweepMaxEntries: 10_000,
      reconcilePageSize: 200,
      rules: {
        creatingLifetimeMs: 14 * DAY,
        shippingWaitMs: 14 * DAY,
        shippingResponseWindowMs: 30 * DAY,
        finishedRetentionMs: 90 * DAY,
        returnAddressWaitMs: 90 * DAY,
        arrivalReturnAfterMs: 14 * DAY,
        arrivalDestroyAfterMs: 90 * DAY,
      },
      logSasLifetimeMs: 3_600_000,
      maxRequestBodyBytes: 256 * 1024,
      locationsFile: undefined,
      storageTimeoutMs: 10_000,
      throttle: { reads: { size: 250, refillPerSecond: 25 }, writes: { size: 200, refillPerSecond: 10 }, concurrentLists: 2 },
      listPageMaxBytes: 1024 * 1024,
      auth: { mode: "dev", issuers: [], audiences: [], jwksUri: undefined, operatorRole: "ImportExport.Operator" },
      customerAccounts: { blobEndpointTemplate: "https://{account}.blob.core.windows.net", keys: {}, check: false, subscriptions: {} },
      linkedAccess: { kind: "registry" },
    });
  });

  test("customer accounts: an endpoint template with {account}, and keys as 'name:key;...'", () => {
    const settings = parseSettings({ ...BASE, CUSTOMER_BLOB_ENDPOINT: "http://127.0.0.1:10000/{account}", CUSTOMER_ACCOUNT_KEYS: "demostore:a2V5;other:b3RoZXI=" });
    expect(settings.customerAccounts).toEqual({ blobEndpointTemplate: "http://127.0.0.1:10000/{account}", keys: { demostore: "a2V5", other: "b3RoZXI=" }, check: false, subscriptions: {} });
    expect(parseSettings({ ...BASE, CUSTOMER_ACCOUNT_CHECK: "on" }).customerAccounts.check).toBe(true);
    expect(() => parseSettings({ ...BASE, CUSTOMER_ACCOUNT_CHECK: "yes" })).toThrow(/CUSTOMER_ACCOUNT_CHECK/);
    expect(() => parseSettings({ ...BASE, CUSTOMER_BLOB_ENDPOINT: "https://blob.example.com" })).toThrow(/CUSTOMER_BLOB_ENDPOINT must contain '\{account\}'/);
    expect(() => parseSettings({ ...BASE, CUSTOMER_ACCOUNT_KEYS: "Bad_Name:a2V5" })).toThrow(/CUSTOMER_ACCOUNT_KEYS must be 'account:base64key'/);
  });

  test("the account registry: 'account:subscription' entries, folded, one subscription per account", () => {
    const sub = "0F0E0D0C-0000-4000-8000-000000000001";
    const registry = parseSettings({ ...BASE, CUSTOMER_ACCOUNT_SUBSCRIPTIONS: ` DemoStore:${sub} ; other:${sub.toLowerCase()};` }).customerAccounts.subscriptions;
    expect({ ...registry }).toEqual({ demostore: sub.toLowerCase(), other: sub.toLowerCase() });
    expect(() => parseSettings({ ...BASE, CUSTOMER_ACCOUNT_SUBSCRIPTIONS: "demostore" })).toThrow(/CUSTOMER_ACCOUNT_SUBSCRIPTIONS must be 'account:subscriptionId'/);
    expect(() => parseSettings({ ...BASE, CUSTOMER_ACCOUNT_SUBSCRIPTIONS: "demostore:not-a-guid" })).toThrow(/CUSTOMER_ACCOUNT_SUBSCRIPTIONS must be/);
    expect(() => parseSettings({ ...BASE, CUSTOMER_ACCOUNT_SUBSCRIPTIONS: `demostore:${sub};DEMOSTORE:00000000-0000-0000-0000-000000000002` })).toThrow(/names account 'demostore' in two subscriptions/);
  });

  test("linked access through ARM needs the app's client id, strict tokens and identity-based storage", () => {
    const strictIdentity = {
      AUTH_MODE: "strict",
      AUTH_ISSUERS: "https://login.microsoftonline.com/0f0e0d0c-0000-4000-8000-000000000001/v2.0",
      AUTH_AUDIENCE: "api://import-export",
      AUTH_JWKS_URI: "https://login.microsoftonline.com/t/discovery/v2.0/keys",
      ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net",
      ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
      ImportExportStorage__queueServiceUri: "https://acct.queue.core.windows.net",
    };
    const clientId = "11111111-2222-3333-4444-555555555555";
    expect(parseSettings({ ...strictIdentity, LINKED_ACCESS_CHECK: "arm", AUTH_CLIENT_ID: clientId }).linkedAccess).toEqual({
      kind: "arm",
      clientId,
      armEndpoint: "https://management.azure.com",
      authorityHost: "https://login.microsoftonline.com",
    });
    expect(() => parseSettings({ ...strictIdentity, LINKED_ACCESS_CHECK: "arm" })).toThrow(/AUTH_CLIENT_ID is required when LINKED_ACCESS_CHECK is 'arm'/);
    expect(() => parseSettings({ ...BASE, LINKED_ACCESS_CHECK: "arm", AUTH_CLIENT_ID: clientId })).toThrow(/LINKED_ACCESS_CHECK 'arm' needs AUTH_MODE 'strict'/);
    expect(() => parseSettings({ ...BASE, LINKED_ACCESS_CHECK: "owner" })).toThrow(/LINKED_ACCESS_CHECK/);
  });

  test("every setting can be overridden", () => {
    const settings = parseSettings({
      ...BASE,
      JOBS_TABLE_NAME: "jobs2",
      LOGS_CONTAINER_NAME: "my-logs",
      CREATING_JOB_LIFETIME: "PT30S",
      SHIPPING_WAIT: "P1W",
      SHIPPING_RESPONSE_WINDOW: "P1DT2H",
      FINISHED_JOB_RETENTION: "PT0.5S",
      MAX_REQUEST_BODY_BYTES: "2048",
      LOCATIONS_FILE: "/etc/locations.json",
      STORAGE_TIMEOUT_MS: "500",
      THROTTLE_READ_BUCKET: "10",
      THROTTLE_READ_REFILL_PER_SECOND: "0.5",
      THROTTLE_WRITE_BUCKET: "3",
      THROTTLE_WRITE_REFILL_PER_SECOND: "2",
      THROTTLE_CONCURRENT_LISTS: "1",
      LIST_PAGE_MAX_BYTES: "65536",
    });
    expect(settings).toMatchObject({
      jobsTableName: "jobs2",
      logsContainerName: "my-logs",
      rules: { creatingLifetimeMs: 30_000, shippingWaitMs: 7 * DAY, shippingResponseWindowMs: 26 * 3_600_000, finishedRetentionMs: 500 },
      maxRequestBodyBytes: 2048,
      locationsFile: "/etc/locations.json",
      storageTimeoutMs: 500,
      throttle: { reads: { size: 10, refillPerSecond: 0.5 }, writes: { size: 3, refillPerSecond: 2 }, concurrentLists: 1 },
      listPageMaxBytes: 65536,
    });
  });

  test.each([
    ["THROTTLE_READ_BUCKET", "0"],
    ["THROTTLE_WRITE_BUCKET", "2.5"],
    ["THROTTLE_READ_REFILL_PER_SECOND", "0"],
    ["THROTTLE_WRITE_REFILL_PER_SECOND", "-1"],
    ["THROTTLE_CONCURRENT_LISTS", "none"],
    ["LIST_PAGE_MAX_BYTES", "100"],
  ])("a bad throttling or page limit in %s (%j) stops with an error naming it", (name, value) => {
    expect(settingsError({ ...BASE, [name]: value }).message).toContain(name);
  });

  test("SWEEP_SCHEDULE is checked as the Functions host reads NCRONTAB: a schedule it would refuse names the setting", () => {
    expect(() => parseSettings({ ...BASE, SWEEP_SCHEDULE: "0 30 9 * * Mon-Fri" })).not.toThrow();
    expect(() => parseSettings({ ...BASE, SWEEP_SCHEDULE: "30 9 * * 1-5" })).not.toThrow();
    expect(settingsError({ ...BASE, SWEEP_SCHEDULE: "0 0 12 * * 7" }).message).toMatch(/SWEEP_SCHEDULE 7 in '0 0 12 \* \* 7' is out of the weekday range 0-6/);
    expect(settingsError({ ...BASE, SWEEP_SCHEDULE: "0 0 0 L * *" }).message).toMatch(/SWEEP_SCHEDULE 'L' .* is not a day; for example '0 0 \* \* \* \*'/);
    expect(settingsError({ ...BASE, SWEEP_RUN_ON_STARTUP: "yes" }).message).toContain("SWEEP_RUN_ON_STARTUP");
  });

  test("unrelated environment variables are ignored", () => {
    expect(parseSettings({ ...BASE, PATH: "/usr/bin", FUNCTIONS_WORKER_RUNTIME: "node" }).jobsTableName).toBe("importexportjobs");
  });

  test.each([
    ["CREATING_JOB_LIFETIME", "14 days"],
    ["CREATING_JOB_LIFETIME", "P1M"],
    ["CREATING_JOB_LIFETIME", "PT0S"],
    ["CREATING_JOB_LIFETIME", ""],
    ["SHIPPING_WAIT", "P1Y"],
    ["SHIPPING_RESPONSE_WINDOW", "30"],
    ["FINISHED_JOB_RETENTION", "P"],
  ])("a bad duration in %s (%j) stops with an error naming it", (name, value) => {
    const error = settingsError({ ...BASE, [name]: value });
    expect(error.message).toContain(name);
    expect(error.message).toContain("is not a positive ISO-8601 duration");
  });

  test("the duration error names only the bad setting", () => {
    const error = settingsError({ ...BASE, CREATING_JOB_LIFETIME: "two weeks" });
    expect(error.message).toContain("CREATING_JOB_LIFETIME 'two weeks' is not a positive ISO-8601 duration");
    expect(error.message).not.toContain("SHIPPING_WAIT");
  });

  test("missing storage settings name ImportExportStorage", () => {
    const error = settingsError({});
    expect(error.message).toContain("ImportExportStorage");
    expect(error.message).toContain("UseDevelopmentStorage=true");
  });

  test("an empty connection string counts as missing", () => {
    expect(settingsError({ ImportExportStorage: "" }).message).toContain("ImportExportStorage");
  });

  test("identity mode with all three service URIs works", () => {
    const settings = parseSettings({
      AUTH_MODE: "dev",
      ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net",
      ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
      ImportExportStorage__queueServiceUri: "https://acct.queue.core.windows.net",
    });
    expect(settings.storage).toEqual({
      kind: "identity",
      tableServiceUri: "https://acct.table.core.windows.net",
      blobServiceUri: "https://acct.blob.core.windows.net",
      queueServiceUri: "https://acct.queue.core.windows.net",
    });
  });

  test("identity mode reads the Functions host's __credential and __clientId forms; another credential kind names the setting", () => {
    const uris = {
      AUTH_MODE: "dev",
      ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net",
      ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
      ImportExportStorage__queueServiceUri: "https://acct.queue.core.windows.net",
    };
    const settings = parseSettings({ ...uris, ImportExportStorage__credential: "managedidentity", ImportExportStorage__clientId: "5f3b1c2a-0000-4000-8000-000000000001" });
    expect(settings.storage).toMatchObject({ kind: "identity", credential: "managedidentity", clientId: "5f3b1c2a-0000-4000-8000-000000000001" });
    expect(settingsError({ ...uris, ImportExportStorage__credential: "accountkey" }).message).toContain("ImportExportStorage__credential");
  });

  test("a connection string wins over service URIs", () => {
    const settings = parseSettings({
      ...BASE,
      ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net",
      ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
    });
    expect(settings.storage.kind).toBe("connectionString");
  });

  test.each([
    ["only the table URI", { ImportExportStorage__tableServiceUri: "https://acct.table.core.windows.net" }],
    ["only the blob URI", { ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net" }],
  ])("identity mode with %s is refused", (_label, env) => {
    const error = settingsError(env);
    expect(error.message).toContain("ImportExportStorage__tableServiceUri, __blobServiceUri and __queueServiceUri");
  });

  test("a service URI that is not a URL names the setting", () => {
    const error = settingsError({
      ImportExportStorage__tableServiceUri: "not a url",
      ImportExportStorage__blobServiceUri: "https://acct.blob.core.windows.net",
    });
    expect(error.message).toContain("ImportExportStorage__tableServiceUri");
  });

  test.each([
    ["JOBS_TABLE_NAME", "1jobs"],
    ["JOBS_TABLE_NAME", "jo"],
    ["JOBS_TABLE_NAME", "import-export"],
    ["LOGS_CONTAINER_NAME", "Logs"],
    ["LOGS_CONTAINER_NAME", "import--logs"],
    ["LOGS_CONTAINER_NAME", "-logs"],
    ["MAX_REQUEST_BODY_BYTES", "100"],
    ["MAX_REQUEST_BODY_BYTES", "lots"],
    ["MAX_REQUEST_BODY_BYTES", "1500.5"],
    ["STORAGE_TIMEOUT_MS", "50"],
    ["STORAGE_TIMEOUT_MS", "200000"],
    ["LOCATIONS_FILE", ""],
  ])("%s=%j is refused with its name in the message", (name, value) => {
    const error = settingsError({ ...BASE, [name]: value });
    expect(error.message).toMatch(new RegExp(`(^|; |: )${name} `));
  });

  test("several bad settings are reported together", () => {
    const error = settingsError({ ...BASE, CREATING_JOB_LIFETIME: "P1M", JOBS_TABLE_NAME: "x" });
    expect(error.message.startsWith("Invalid app settings: ")).toBe(true);
    expect(error.message).toContain("CREATING_JOB_LIFETIME");
    expect(error.message).toContain("JOBS_TABLE_NAME");
    expect(error.message.split("; ")).toHaveLength(2);
  });

  test("missing storage is reported alongside a bad setting", () => {
    const error = settingsError({ JOBS_TABLE_NAME: "x" });
    expect(error.message).toContain("JOBS_TABLE_NAME");
    expect(error.message).toContain("ImportExportStorage is required");
  });

  test("a setting that cannot be read at all is reported first, the storage check after it is fixed", () => {
    // zod skips the storage refinement when a value fails to parse (a bad duration or a non-number).
    const error = settingsError({ CREATING_JOB_LIFETIME: "P1M" });
    expect(error.message).toContain("CREATING_JOB_LIFETIME");
    expect(settingsError({ CREATING_JOB_LIFETIME: "P1D" }).message).toContain("ImportExportStorage");
  });
});

describe("authentication settings", () => {
  const T1 = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const STRICT = {
    ImportExportStorage: "UseDevelopmentStorage=true",
    AUTH_ISSUERS: `https://sts.windows.net/${T1}/, https://login.microsoftonline.com/${T1}/v2.0`,
    AUTH_AUDIENCE: "https://management.azure.com/",
    AUTH_JWKS_URI: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
  };

  test("strict is the default, with the issuers, audience and key set parsed", () => {
    expect(parseSettings(STRICT).auth).toEqual({
      mode: "strict",
      issuers: [`https://sts.windows.net/${T1}/`, `https://login.microsoftonline.com/${T1}/v2.0`],
      audiences: ["https://management.azure.com/"],
      jwksUri: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
      operatorRole: "ImportExport.Operator",
    });
  });

  test("AUTH_CLIENT_ID, the app registration's client id, is an audience too (v2 tokens carry it), written as Entra writes it", () => {
    const clientId = "6F0C8A52-4D1E-4B7A-9C3E-2A5B8D7E1F90";
    expect(parseSettings({ ...STRICT, AUTH_CLIENT_ID: clientId }).auth.audiences).toEqual(["https://management.azure.com/", clientId.toLowerCase()]);
    expect(parseSettings({ ...STRICT, AUTH_CLIENT_ID: "" }).auth.audiences).toEqual(["https://management.azure.com/"]);
    for (const wrong of ["api://importexport", "6f0c8a52-4d1e-4b7a-9c3e-2a5b8d7e1f9", "{6f0c8a52-4d1e-4b7a-9c3e-2a5b8d7e1f90}", "6f0c8a52x4d1e-4b7a-9c3e-2a5b8d7e1f90"]) {
      expect(() => parseSettings({ ...STRICT, AUTH_CLIENT_ID: wrong })).toThrow(/AUTH_CLIENT_ID must be the app registration's client id/);
    }
  });

  test("an issuer may be '{tenantid}' in place of the tenant: every tenant's tokens, each for its own tenant", () => {
    const issuers = "https://login.microsoftonline.com/{tenantid}/v2.0, https://sts.windows.net/{tenantid}/";
    expect(parseSettings({ ...STRICT, AUTH_ISSUERS: issuers }).auth.issuers).toEqual(["https://login.microsoftonline.com/{tenantid}/v2.0", "https://sts.windows.net/{tenantid}/"]);
  });

  // A token is accepted only for the tenant its issuer names (issue 20): an issuer that names none could accept nothing.
  test.each([
    "https://login.microsoftonline.com/common/v2.0",
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
    "https://issuer.example/",
    "not-a-url",
    "https://login.microsoftonline.com/v2.0/{tenantid}",
    "https://login.microsoftonline.com/{tenantid}/{tenantid}",
  ])("an issuer that names no tenant (%s) stops start-up naming AUTH_ISSUERS", (issuer) => {
    const error = settingsError({ ...STRICT, AUTH_ISSUERS: `https://sts.windows.net/${T1}/, ${issuer}` });
    expect(error.message).toContain("AUTH_ISSUERS");
    expect(error.message).toContain(`'${issuer}' names no tenant`);
  });

  test.each(["AUTH_ISSUERS", "AUTH_AUDIENCE", "AUTH_JWKS_URI"])("strict mode without %s stops start-up naming it", (name) => {
    expect(settingsError({ ...STRICT, [name]: undefined }).message).toContain(name);
  });

  test("dev mode is refused when the app runs in Azure", () => {
    const error = settingsError({ ...BASE, WEBSITE_INSTANCE_ID: "abc123" });
    expect(error.message).toContain("AUTH_MODE");
    expect(error.message).toContain("refused when the app runs in Azure");
  });

  test("empty values from local.settings.json count as not set", () => {
    expect(parseSettings({ ...BASE, AUTH_AUDIENCE: "", AUTH_JWKS_URI: "" }).auth.jwksUri).toBeUndefined();
  });

  test("PUBLIC_BASE_URL: an http(s) URL, optional; anything else names the setting", () => {
    expect(parseSettings(BASE).publicBaseUrl).toBeUndefined();
    expect(parseSettings({ ...BASE, PUBLIC_BASE_URL: "" }).publicBaseUrl).toBeUndefined();
    expect(parseSettings({ ...BASE, PUBLIC_BASE_URL: "https://management.azure.com" }).publicBaseUrl?.href).toBe("https://management.azure.com/");
    for (const bad of ["management.azure.com", "ftp://example.com/", "https://example.com/?x=1", "https://example.com/#top"]) {
      expect(settingsError({ ...BASE, PUBLIC_BASE_URL: bad }).message).toContain("PUBLIC_BASE_URL");
    }
  });
});

test("Application Insights settings: empty is off; a connection string or authentication string that is not one names the setting", () => {
  expect(parseSettings({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: "" }).applicationInsights).toBe(false);
  const connectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";
  expect(parseSettings({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" }).applicationInsights).toBe(true);
  expect(() => parseSettings({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: "00000000-0000-0000-0000-000000000000" })).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING must be the Application Insights component's connection string/);
  expect(() => parseSettings({ ...BASE, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=Key" })).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING/);
});
