/**
 * App settings, read and validated once with zod. A missing or malformed setting stops start-up with
 * its name in the message. Storage follows the Functions host's own connection conventions: either a
 * connection string (`ImportExportStorage`, Azurite or key-based accounts) or service URIs
 * (`ImportExportStorage__tableServiceUri`, `__blobServiceUri`) used with a managed identity.
 */
import { z } from "zod";
import { parseIsoDuration } from "../domain/duration";

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

const tableName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, "must be 3-63 letters or digits, starting with a letter");
const containerName = z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be 3-63 lowercase letters, digits or single hyphens");

const settingsSchema = z
  .object({
    ImportExportStorage: z.string().min(1).optional(),
    ImportExportStorage__tableServiceUri: z.url().optional(),
    ImportExportStorage__blobServiceUri: z.url().optional(),
    JOBS_TABLE_NAME: tableName.default("importexportjobs"),
    LOGS_CONTAINER_NAME: containerName.default("importexport-logs"),
    ARRIVALS_TABLE_NAME: tableName.default("importexportarrivals"),
    NOTIFICATIONS_TABLE_NAME: tableName.default("importexportnotifications"),
    LOG_SAS_LIFETIME: isoDuration("PT1H"),
    CREATING_JOB_LIFETIME: isoDuration("P14D"),
    SHIPPING_WAIT: isoDuration("P14D"),
    SHIPPING_RESPONSE_WINDOW: isoDuration("P30D"),
    FINISHED_JOB_RETENTION: isoDuration("P90D"),
    MAX_REQUEST_BODY_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(256 * 1024),
    LOCATIONS_FILE: z.string().min(1).optional(),
    STORAGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  })
  .superRefine((raw, ctx) => {
    const hasConnectionString = !!raw.ImportExportStorage;
    const hasUris = !!raw.ImportExportStorage__tableServiceUri && !!raw.ImportExportStorage__blobServiceUri;
    if (!hasConnectionString && !hasUris) {
      ctx.addIssue({
        code: "custom",
        path: ["ImportExportStorage"],
        message:
          "is required: set a connection string (UseDevelopmentStorage=true for Azurite), or both ImportExportStorage__tableServiceUri and ImportExportStorage__blobServiceUri for a managed identity",
      });
    }
  });

export type StorageConnection =
  | { kind: "connectionString"; connectionString: string }
  | { kind: "identity"; tableServiceUri: string; blobServiceUri: string };

export interface Settings {
  storage: StorageConnection;
  jobsTableName: string;
  logsContainerName: string;
  arrivalsTableName: string;
  notificationsTableName: string;
  logSasLifetimeMs: number;
  creatingLifetimeMs: number;
  shippingWaitMs: number;
  shippingResponseWindowMs: number;
  finishedRetentionMs: number;
  maxRequestBodyBytes: number;
  locationsFile?: string;
  storageTimeoutMs: number;
}

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
  const raw = result.data;
  return {
    storage: raw.ImportExportStorage
      ? { kind: "connectionString", connectionString: raw.ImportExportStorage }
      : {
          kind: "identity",
          tableServiceUri: raw.ImportExportStorage__tableServiceUri!,
          blobServiceUri: raw.ImportExportStorage__blobServiceUri!,
        },
    jobsTableName: raw.JOBS_TABLE_NAME,
    logsContainerName: raw.LOGS_CONTAINER_NAME,
    arrivalsTableName: raw.ARRIVALS_TABLE_NAME,
    notificationsTableName: raw.NOTIFICATIONS_TABLE_NAME,
    logSasLifetimeMs: raw.LOG_SAS_LIFETIME,
    creatingLifetimeMs: raw.CREATING_JOB_LIFETIME,
    shippingWaitMs: raw.SHIPPING_WAIT,
    shippingResponseWindowMs: raw.SHIPPING_RESPONSE_WINDOW,
    finishedRetentionMs: raw.FINISHED_JOB_RETENTION,
    maxRequestBodyBytes: raw.MAX_REQUEST_BODY_BYTES,
    locationsFile: raw.LOCATIONS_FILE,
    storageTimeoutMs: raw.STORAGE_TIMEOUT_MS,
  };
}
