/**
 * App settings, read and validated once with zod. A missing or malformed setting stops start-up with
 * its name in the message. Storage follows the Functions host's own connection conventions: either a
 * connection string (`ImportExportStorage`, Azurite or key-based accounts) or service URIs
 * (`ImportExportStorage__tableServiceUri`, `__blobServiceUri`, `__queueServiceUri`, with `__credential`
 * and `__clientId`) used with a managed identity.
 *
 * A setting is declared once: its variable, check and default in the schema, and where it lands in
 * `Settings` in the schema's transform; the `Settings` type is derived from that transform. The
 * durations' defaults live here only: the sample settings, the ARM template and the tables of
 * docs/settings.md and docs/maintenance.md repeat them, held to these by
 * test/config/duration-defaults.test.ts.
 */
import { z } from "zod";
import { configuredIssuerProblem } from "../domain/issuers";
import type { MaintenanceRules } from "../domain/deadlines";
import { parseIsoDuration } from "../domain/duration";
import { customerAccountSettingsSchema, toCustomerAccountSettings } from "./customer-accounts";
import { parseNcrontab } from "./ncrontab";

const isoDuration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseIsoDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: "custom", message: `'${text}' is not a positive ISO-8601 duration such as P14D or PT30S` });
        return z.NEVER;
      }
      return ms;
    });

/** Checked with the parser the local host schedules timers with, which reads NCRONTAB as the Functions host does. */
const ncrontab = z.string().superRefine((text, ctx) => {
  try {
    parseNcrontab(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `${(error as Error).message}; for example '0 0 * * * *', hourly` });
  }
});

/** local.settings.json lists every setting; an empty value there means "not set". */
const emptyAsMissing = (value: unknown) => (value === "" ? undefined : value);

const tableName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, "must be 3-63 letters or digits, starting with a letter");
const containerName = z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be 3-63 lowercase letters, digits or single hyphens");

const settingsSchema = z
  .object({
    ImportExportStorage: z.string().min(1).optional(),
    ImportExportStorage__tableServiceUri: z.url().optional(),
    ImportExportStorage__blobServiceUri: z.url().optional(),
    ImportExportStorage__queueServiceUri: z.url().optional(),
    // As the Functions host reads identity-based connections: `managedidentity` (with `__clientId`
    // for a user-assigned identity) signs with the app's managed identity; absent, DefaultAzureCredential.
    ImportExportStorage__credential: z.preprocess(emptyAsMissing, z.enum(["managedidentity"]).optional()),
    ImportExportStorage__clientId: z.preprocess(emptyAsMissing, z.string().min(1).optional()),
    JOBS_TABLE_NAME: tableName.default("importexportjobs"),
    LOGS_CONTAINER_NAME: containerName.default("importexport-logs"),
    ARRIVALS_TABLE_NAME: tableName.default("importexportarrivals"),
    // A prefix: the index is one table per day, named with the day's date after it.
    DEADLINES_TABLE_NAME: z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,54}$/, "must be 3-55 letters or digits, starting with a letter").default("importexportdeadlines"),
    DELETED_JOBS_TABLE_NAME: tableName.default("importexportdeletedjobs"),
    SUBSCRIPTIONS_TABLE_NAME: tableName.default("importexportsubscriptions"),
    NOTIFICATIONS_QUEUE_NAME: containerName.default("importexport-notifications"),
    DEADLINE_INDEX_SHARDS: z.coerce.number().int().min(1).max(256).default(16),
    // The timer's registration (shared/service/app/timers.ts) takes these: the schedule as `%SWEEP_SCHEDULE%`,
    // which the host resolves, and run-on-startup as given. Checked here so a value the host would
    // refuse stops start-up with its name.
    SWEEP_SCHEDULE: z.preprocess(emptyAsMissing, ncrontab.optional()),
    SWEEP_RUN_ON_STARTUP: z.enum(["true", "false"]).optional(),
    SWEEP_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    RECONCILE_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
    RETURN_ADDRESS_WAIT: isoDuration("P90D"),
    UNMATCHED_ARRIVAL_RETURN_AFTER: isoDuration("P14D"),
    UNMATCHED_ARRIVAL_DESTROY_AFTER: isoDuration("P90D"),
    LOG_SAS_LIFETIME: isoDuration("PT1H"),
    CREATING_JOB_LIFETIME: isoDuration("P14D"),
    SHIPPING_WAIT: isoDuration("P14D"),
    SHIPPING_RESPONSE_WINDOW: isoDuration("P30D"),
    FINISHED_JOB_RETENTION: isoDuration("P90D"),
    MAX_REQUEST_BODY_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(256 * 1024),
    LOCATIONS_FILE: z.string().min(1).optional(),
    STORAGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    // ARM's own limits per subscription (a bucket of 250 reads refilled at 25 a second, 200 writes at 10).
    THROTTLE_READ_BUCKET: z.coerce.number().int().min(1).max(1_000_000).default(250),
    THROTTLE_READ_REFILL_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(25),
    THROTTLE_WRITE_BUCKET: z.coerce.number().int().min(1).max(1_000_000).default(200),
    THROTTLE_WRITE_REFILL_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(10),
    THROTTLE_CONCURRENT_LISTS: z.coerce.number().int().min(1).max(10_000).default(2),
    // A page of a list ends before its jobs pass this many bytes (docs/customer-api.md, Lists).
    LIST_PAGE_MAX_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    // Where clients reach the service (ARM's endpoint, a gateway): links in responses are built on it.
    PUBLIC_BASE_URL: z.preprocess(
      emptyAsMissing,
      z
        .url({ protocol: /^https?$/ })
        .refine((value) => !/[?#]/.test(value), "must be an http(s) URL without a query or fragment")
        .transform((value) => new URL(value))
        .optional(),
    ),
    AUTH_MODE: z.enum(["dev", "strict"]).default("strict"),
    AUTH_ISSUERS: z
      .string()
      .optional()
      .transform((value) => (value ?? "").split(",").map((issuer) => issuer.trim()).filter(Boolean)),
    AUTH_AUDIENCE: z.preprocess(emptyAsMissing, z.string().min(1).optional()),
    // The service's app registration's client id: the audience of its v2 tokens, and the app that
    // exchanges a caller's token on-behalf-of (which Entra allows only to the token's audience).
    AUTH_CLIENT_ID: z.preprocess(
      emptyAsMissing,
      z
        .string()
        .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be the app registration's client id (a GUID)")
        // Entra writes it lower-case in tokens, and jose compares audiences exactly.
        .transform((id) => id.toLowerCase())
        .optional(),
    ),
    AUTH_JWKS_URI: z.preprocess(emptyAsMissing, z.url().optional()),
    AUTH_OPERATOR_ROLE: z.string().min(1).default("ImportExport.Operator"),
    // Who owns a job's storage account (shared/service/operations/linked-access-check.ts): the account registry
    // (CUSTOMER_ACCOUNT_SUBSCRIPTIONS), or ARM's answer for the caller (Azure).
    LINKED_ACCESS_CHECK: z.preprocess(emptyAsMissing, z.enum(["registry", "arm"]).default("registry")),
    LINKED_ACCESS_ARM_ENDPOINT: z.preprocess(emptyAsMissing, z.url({ protocol: /^https$/ }).default("https://management.azure.com")),
    LINKED_ACCESS_AUTHORITY_HOST: z.preprocess(emptyAsMissing, z.url({ protocol: /^https$/ }).default("https://login.microsoftonline.com")),
    // Read by each entry before the settings (shared/telemetry/open-telemetry.ts), so telemetry starts
    // first and without this schema's library; checked here so a malformed one stops start-up.
    APPLICATIONINSIGHTS_CONNECTION_STRING: z.preprocess(
      emptyAsMissing,
      z.string().regex(/(^|;)\s*InstrumentationKey=[0-9a-fA-F-]{36}\s*(;|$)/, "must be the Application Insights component's connection string (InstrumentationKey=…;IngestionEndpoint=…)").optional(),
    ),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.preprocess(emptyAsMissing, z.string().regex(/^Authorization=AAD(;ClientId=[0-9a-fA-F-]{36})?$/i, "must be 'Authorization=AAD' or 'Authorization=AAD;ClientId=<the user-assigned identity's client id>'").optional()),
    // Set by App Service on every Azure host: dev mode must never run there.
    WEBSITE_INSTANCE_ID: z.string().optional(),
  })
  .extend(customerAccountSettingsSchema.shape)
  .superRefine((raw, ctx) => {
    if (raw.AUTH_MODE === "dev" && raw.WEBSITE_INSTANCE_ID) {
      ctx.addIssue({ code: "custom", path: ["AUTH_MODE"], message: "'dev' is refused when the app runs in Azure; use 'strict' with AUTH_ISSUERS, AUTH_AUDIENCE and AUTH_JWKS_URI" });
    }
    if (raw.AUTH_MODE === "strict") {
      if (raw.AUTH_ISSUERS.length === 0) ctx.addIssue({ code: "custom", path: ["AUTH_ISSUERS"], message: "is required in strict mode: the accepted token issuers, comma-separated" });
      for (const problem of raw.AUTH_ISSUERS.map(configuredIssuerProblem).filter(Boolean)) ctx.addIssue({ code: "custom", path: ["AUTH_ISSUERS"], message: problem! });
      if (!raw.AUTH_AUDIENCE) ctx.addIssue({ code: "custom", path: ["AUTH_AUDIENCE"], message: "is required in strict mode: the audience tokens must carry" });
      if (!raw.AUTH_JWKS_URI) ctx.addIssue({ code: "custom", path: ["AUTH_JWKS_URI"], message: "is required in strict mode: where the issuers' signing keys are published" });
    }
    if (raw.LINKED_ACCESS_CHECK === "arm") {
      if (!raw.AUTH_CLIENT_ID) ctx.addIssue({ code: "custom", path: ["AUTH_CLIENT_ID"], message: "is required when LINKED_ACCESS_CHECK is 'arm': the app registration that exchanges the caller's token for ARM's" });
      if (raw.ImportExportStorage || raw.AUTH_MODE !== "strict") {
        ctx.addIssue({ code: "custom", path: ["LINKED_ACCESS_CHECK"], message: "'arm' needs AUTH_MODE 'strict' (callers' real tokens) and identity-based storage (the managed identity signs the token exchange)" });
      }
    }
    const hasConnectionString = !!raw.ImportExportStorage;
    const hasUris = !!raw.ImportExportStorage__tableServiceUri && !!raw.ImportExportStorage__blobServiceUri && !!raw.ImportExportStorage__queueServiceUri;
    if (!hasConnectionString && !hasUris) {
      ctx.addIssue({
        code: "custom",
        path: ["ImportExportStorage"],
        message:
          "is required: set a connection string (UseDevelopmentStorage=true for Azurite), or ImportExportStorage__tableServiceUri, __blobServiceUri and __queueServiceUri for a managed identity",
      });
    }
  })
  .transform((raw) => ({
    storage: raw.ImportExportStorage
      ? { kind: "connectionString" as const, connectionString: raw.ImportExportStorage }
      : {
          kind: "identity" as const,
          tableServiceUri: raw.ImportExportStorage__tableServiceUri!,
          blobServiceUri: raw.ImportExportStorage__blobServiceUri!,
          queueServiceUri: raw.ImportExportStorage__queueServiceUri!,
          credential: raw.ImportExportStorage__credential,
          clientId: raw.ImportExportStorage__clientId,
        },
    jobsTableName: raw.JOBS_TABLE_NAME,
    logsContainerName: raw.LOGS_CONTAINER_NAME,
    arrivalsTableName: raw.ARRIVALS_TABLE_NAME,
    deadlinesTableName: raw.DEADLINES_TABLE_NAME,
    deletedJobsTableName: raw.DELETED_JOBS_TABLE_NAME,
    subscriptionsTableName: raw.SUBSCRIPTIONS_TABLE_NAME,
    notificationsQueueName: raw.NOTIFICATIONS_QUEUE_NAME,
    deadlineIndexShards: raw.DEADLINE_INDEX_SHARDS,
    sweepMaxEntries: raw.SWEEP_MAX_ENTRIES,
    reconcilePageSize: raw.RECONCILE_PAGE_SIZE,
    /** The durations of the job and arrival rules, as the domain takes them. */
    rules: {
      creatingLifetimeMs: raw.CREATING_JOB_LIFETIME,
      shippingWaitMs: raw.SHIPPING_WAIT,
      shippingResponseWindowMs: raw.SHIPPING_RESPONSE_WINDOW,
      finishedRetentionMs: raw.FINISHED_JOB_RETENTION,
      returnAddressWaitMs: raw.RETURN_ADDRESS_WAIT,
      arrivalReturnAfterMs: raw.UNMATCHED_ARRIVAL_RETURN_AFTER,
      arrivalDestroyAfterMs: raw.UNMATCHED_ARRIVAL_DESTROY_AFTER,
    } satisfies MaintenanceRules,
    logSasLifetimeMs: raw.LOG_SAS_LIFETIME,
    maxRequestBodyBytes: raw.MAX_REQUEST_BODY_BYTES,
    locationsFile: raw.LOCATIONS_FILE,
    storageTimeoutMs: raw.STORAGE_TIMEOUT_MS,
    /** Each subscription's request budget (shared/service/auth/subscription-throttle.ts): a burst `size` and a `refillPerSecond` per bucket, and the lists of one subscription that may run at once. */
    throttle: {
      reads: { size: raw.THROTTLE_READ_BUCKET, refillPerSecond: raw.THROTTLE_READ_REFILL_PER_SECOND },
      writes: { size: raw.THROTTLE_WRITE_BUCKET, refillPerSecond: raw.THROTTLE_WRITE_REFILL_PER_SECOND },
      concurrentLists: raw.THROTTLE_CONCURRENT_LISTS,
    },
    listPageMaxBytes: raw.LIST_PAGE_MAX_BYTES,
    /** Links in responses are built on it when set (see `PUBLIC_BASE_URL`). */
    publicBaseUrl: raw.PUBLIC_BASE_URL,
    auth: {
      mode: raw.AUTH_MODE,
      issuers: raw.AUTH_ISSUERS,
      // What Entra writes as `aud` for the app: the app ID URI (v1 tokens requested with it), the client id (v2, and v1 requested with it).
      audiences: [raw.AUTH_AUDIENCE, raw.AUTH_CLIENT_ID].filter((audience): audience is string => !!audience),
      jwksUri: raw.AUTH_JWKS_URI,
      operatorRole: raw.AUTH_OPERATOR_ROLE,
    },
    /** Who owns a job's storage account: the account registry, or ARM's answer for the caller. */
    linkedAccess:
      raw.LINKED_ACCESS_CHECK === "arm"
        ? { kind: "arm" as const, clientId: raw.AUTH_CLIENT_ID!, armEndpoint: raw.LINKED_ACCESS_ARM_ENDPOINT, authorityHost: raw.LINKED_ACCESS_AUTHORITY_HOST }
        : { kind: "registry" as const },
    /** How customers' storage accounts are reached (copy logs live there). */
    customerAccounts: toCustomerAccountSettings(raw),
    /** Whether traces and metrics go to Application Insights (started by the entry, see the schema). */
    applicationInsights: raw.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined,
  }));

/** The validated settings: their type is the schema's output, so a setting is declared in the schema alone. */
export type Settings = z.output<typeof settingsSchema>;
export type StorageConnection = Settings["storage"];

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

export function parseSettings(env: Record<string, string | undefined>): Settings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "settings"} ${issue.message}`);
    throw new SettingsError(`Invalid app settings: ${problems.join("; ")}`);
  }
  return result.data;
}
