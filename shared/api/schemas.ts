/**
 * zod schemas for the wire shapes of Microsoft.ImportExport 2021-01-01 (the SDK's `src/models`),
 * and for the path and query parameters. They check shape and size; business rules (which fields
 * a state allows, drive counts per job type) live in the domain.
 */
import { z } from "zod";
import { JobDefinition, JobUpdate } from "../domain/job";
import { SUBSCRIPTION_STATES, SubscriptionNotification } from "../domain/subscription";
import { normalizeShipDate, SHIP_DATE_FORMS } from "../domain/ship-date";

export const SUPPORTED_API_VERSIONS = ["2021-01-01"] as const;
/** ARM's subscription lifecycle notification uses the "system" api-version. */
export const SUBSCRIPTION_LIFECYCLE_API_VERSIONS = ["2.0"] as const;

// ARM names: 2-64 characters of letters, digits, '-' and '_', starting with a letter or digit.
const armName = /^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/;
// ARM resource groups: 1-90 of letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
const resourceGroupName = /^[A-Za-z0-9_.()-]{0,89}[A-Za-z0-9_()-]$/;
export const subscriptionIdPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const subscriptionParams = z.object({
  subscriptionId: z.string().regex(subscriptionIdPattern, "must be a subscription id (a GUID)"),
});

export const resourceGroupParams = subscriptionParams.extend({
  resourceGroupName: z
    .string()
    .regex(resourceGroupName, "must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'"),
});

export const jobParams = resourceGroupParams.extend({
  jobName: z.string().regex(armName, "must be 2-64 letters, digits, '-' or '_', starting with a letter or digit"),
});

export const locationParams = z.object({ locationName: z.string().min(1).max(128) });

export const listQuery = z.object({
  $top: z
    .string()
    .regex(/^\d{1,3}$/, "must be a whole number from 1 to 100")
    .transform(Number)
    .pipe(z.number().min(1, "must be a whole number from 1 to 100").max(100, "must be a whole number from 1 to 100"))
    .optional(),
  $filter: z.string().optional(),
  $skiptoken: z.string().max(4096).optional(),
});

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().max(max).optional();

const MAX_TAGS = 50;

/**
 * Tag names are the customer's strings, so they go into a null-prototype object: `__proto__` or
 * `constructor` is a tag like any other (zod's record assigns onto a plain object, which drops
 * `__proto__`). Each bad tag is reported under its own name.
 */
const tags = z
  .custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "must be an object of tag names and values")
  .transform((value, ctx) => {
    const entries = Object.entries(value);
    if (entries.length > MAX_TAGS) ctx.addIssue({ code: "custom", message: `has ${entries.length} tags; at most ${MAX_TAGS} are allowed` });
    const result: Record<string, string> = Object.create(null);
    for (const [name, tagValue] of entries) {
      if (name.length < 1 || name.length > 512) ctx.addIssue({ code: "custom", path: [name], message: "is not a valid tag name: 1 to 512 characters" });
      if (typeof tagValue !== "string" || tagValue.length > 256) ctx.addIssue({ code: "custom", path: [name], message: "must be a string of at most 256 characters" });
      else result[name] = tagValue;
    }
    return result;
  });

const returnAddress = z.object({
  recipientName: text(256),
  streetAddress1: text(256),
  streetAddress2: optionalText(256),
  city: text(128),
  stateOrProvince: optionalText(128),
  postalCode: text(32),
  countryOrRegion: text(128),
  phone: text(32),
  email: z.email().max(256),
});

const returnShipping = z.object({
  carrierName: text(64),
  carrierAccountNumber: text(64),
});

/** A ship date in either accepted form, normalised to ISO 8601 (see domain/ship-date.ts). */
export const shipDate = z
  .string()
  .max(64)
  .transform((value, context) => {
    const normalized = normalizeShipDate(value);
    if (normalized === undefined) context.addIssue({ code: "custom", message: `must be ${SHIP_DATE_FORMS}` });
    return normalized ?? value;
  });

const deliveryPackage = z.object({
  carrierName: text(64),
  trackingNumber: text(64),
  driveCount: z.number().int().min(0).max(10).optional(),
  shipDate: shipDate.optional(),
});

const driveSpec = z.object({
  driveId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '-' or '_'"),
  // Optional here: a drive the job already has keeps its stored key (the domain checks new drives).
  bitLockerKey: z
    .string()
    .regex(/^\d{6}(-\d{6}){7}$/, "must be a 48-digit BitLocker recovery key in eight groups of six digits")
    .optional(),
  manifestFile: text(1024),
  manifestHash: z.string().regex(/^[0-9A-Fa-f]{32,128}$/, "must be a hexadecimal hash"),
  driveHeaderHash: optionalText(4096),
});

const blobPath = z.string().min(1).max(1024);

const exportSpec = z.object({
  blobListBlobPath: z.string().min(1).max(1024).optional(),
  blobList: z
    .object({
      blobPath: z.array(blobPath).max(100).optional(),
      blobPathPrefix: z.array(blobPath).max(100).optional(),
    })
    .optional(),
});

const encryptionKey = z.object({
  kekType: z.enum(["MicrosoftManaged", "CustomerManaged"]).default("MicrosoftManaged"),
  kekUrl: z.url().max(1024).optional(),
  kekVaultResourceID: z.string().max(1024).optional(),
});

const storageAccountId = z
  .string()
  .max(1024)
  .regex(
    // The name's own rule (3-24 lowercase letters and digits) is the linked access check's, after
    // folding (shared/domain/linked-access.ts): a variant of another tenant's name answers 403 there.
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.(Classic)?Storage\/storageAccounts\/[^/]+$/i,
    "must be a storage account resource id: /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{name}",
  );

const jobType = z
  .string()
  .transform((value) => value.charAt(0).toUpperCase() + value.slice(1).toLowerCase())
  .pipe(z.enum(["Import", "Export"], { error: "must be 'Import' or 'Export'" }));

const logLevel = z
  .string()
  .transform((value) => value.charAt(0).toUpperCase() + value.slice(1).toLowerCase())
  .pipe(z.enum(["Error", "Verbose"], { error: "must be 'Error' or 'Verbose'" }));

/** Jobs_Create body (PutJobParameters). Read-only properties a client echoes back are ignored. */
export const putJobBody = z.object({
  location: text(64),
  tags: tags.optional(),
  properties: z.object({
    storageAccountId,
    jobType,
    returnAddress: returnAddress.optional(),
    returnShipping: returnShipping.optional(),
    deliveryPackage: deliveryPackage.optional(),
    diagnosticsPath: optionalText(1024),
    logLevel: logLevel.optional(),
    backupDriveManifest: z.boolean().optional(),
    driveList: z.array(driveSpec).max(10, "a job takes at most 10 drives").optional(),
    export: exportSpec.optional(),
    encryptionKey: encryptionKey.optional(),
  }),
});

/** Jobs_Update body (UpdateJobParameters). `state` may be empty (no change) or `Shipping`. */
export const patchJobBody = z.object({
  tags: tags.optional(),
  properties: z
    .object({
      // Not in UpdateJobParameters; ARM checks a linked property wherever a write carries it, so it is taken here too.
      storageAccountId: storageAccountId.optional(),
      cancelRequested: z.boolean().optional(),
      state: z
        .string()
        .refine((value) => value === "" || value.toLowerCase() === "shipping", "may only be 'Shipping' (or empty for no change)")
        .optional(),
      returnAddress: returnAddress.optional(),
      returnShipping: returnShipping.optional(),
      deliveryPackage: deliveryPackage.optional(),
      logLevel: logLevel.optional(),
      backupDriveManifest: z.boolean().optional(),
      driveList: z.array(driveSpec).max(10, "a job takes at most 10 drives").optional(),
    })
    .optional(),
});

export function toJobDefinition(body: z.infer<typeof putJobBody>): JobDefinition {
  const { properties } = body;
  return {
    location: body.location,
    tags: body.tags,
    jobType: properties.jobType,
    storageAccountId: properties.storageAccountId,
    returnAddress: properties.returnAddress,
    returnShipping: properties.returnShipping,
    deliveryPackage: properties.deliveryPackage,
    diagnosticsPath: properties.diagnosticsPath,
    logLevel: properties.logLevel,
    backupDriveManifest: properties.backupDriveManifest,
    driveList: properties.driveList,
    export: properties.export && {
      blobListBlobPath: properties.export.blobListBlobPath,
      blobPath: properties.export.blobList?.blobPath,
      blobPathPrefix: properties.export.blobList?.blobPathPrefix,
    },
    encryptionKey: properties.encryptionKey,
  };
}

export function toJobUpdate(body: z.infer<typeof patchJobBody>): JobUpdate {
  const properties = body.properties ?? {};
  return {
    tags: body.tags,
    storageAccountId: properties.storageAccountId,
    cancelRequested: properties.cancelRequested,
    state: properties.state ? "Shipping" : undefined,
    returnAddress: properties.returnAddress,
    returnShipping: properties.returnShipping,
    deliveryPackage: properties.deliveryPackage,
    logLevel: properties.logLevel,
    backupDriveManifest: properties.backupDriveManifest,
    driveList: properties.driveList,
  };
}

/**
 * ARM's subscription lifecycle notification (`PUT /subscriptions/{id}?api-version=2.0`). Its property
 * bag grows without notice, so unknown properties are accepted (and echoed back, as the RPC asks).
 */
export const subscriptionNotificationBody = z.looseObject({
  state: z.enum(SUBSCRIPTION_STATES),
  registrationDate: z.string().max(64).optional(),
  properties: z
    .looseObject({
      tenantId: z
        .string()
        .min(1)
        .max(128)
        .refine((value) => !/[\uD800-\uDFFF]/u.test(value), "must be a tenant id")
        .optional(),
    })
    .optional(),
});

export function toSubscriptionNotification(body: z.infer<typeof subscriptionNotificationBody>): SubscriptionNotification {
  return { state: body.state, registrationDate: body.registrationDate, tenantId: body.properties?.tenantId };
}
