/**
 * The test fixtures every suite builds from: a fixed clock (T0 and offsets from it), operation
 * contexts for the customer and the operator, the sample BitLocker key and job values for the pure
 * domain tests, and `thrown()` for asserting a domain error. One place, so a new field on a job or a
 * drive is added once.
 */
import { ServiceError } from "../../shared/domain/errors";
import { Actor, createJob, DeliveryPackage, DriveSpec, Job, JobDefinition, JobKey, JobRules, markShipping, OperationContext, ReturnAddress } from "../../shared/domain/job";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The instant the pure domain tests start from; times are offsets from it. */
export const T0 = new Date("2026-03-01T12:00:00.000Z");
export const at = (offsetMs: number): Date => new Date(T0.getTime() + offsetMs);
export const isoAt = (offsetMs: number): string => at(offsetMs).toISOString();

/** The default job rules (P14D to create, P14D to ship, P90D kept once finished). */
export const RULES: JobRules = { creatingLifetimeMs: 14 * DAY, shippingWaitMs: 14 * DAY, finishedRetentionMs: 90 * DAY };

export const CUSTOMER: Actor = { id: "customer", type: "User", role: "customer" };
export const OPERATOR: Actor = { id: "op-1", type: "User", role: "operator" };

export function contextAt<R extends JobRules = JobRules>(offsetMs: number, actor: Actor, rules: R): OperationContext & { rules: R } {
  return { now: at(offsetMs), actor, rules };
}
export const customerAt = (offsetMs: number, rules: JobRules = RULES): OperationContext => contextAt(offsetMs, CUSTOMER, rules);
export const operatorAt = (offsetMs: number, rules: JobRules = RULES): OperationContext => contextAt(offsetMs, OPERATOR, rules);

/** Microsoft's example recovery password (New-AzImportExportDriveListObject): eight groups, each a multiple of 11. */
export const BITLOCKER_KEY = "238810-662376-448998-450120-652806-203390-606320-483076";
/** The SHA-256 of a drive manifest, as the drive tool prints it. */
export const MANIFEST_HASH = "4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E";

export const JOB_KEY = { subscriptionId: "00000000-0000-0000-0000-000000000001", resourceGroup: "rg", name: "job1" };
export const STORAGE_ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct";
export const SHIPPING_INFO = { recipientName: "Microsoft Azure Import/Export Service", city: "Santa Clara" };

export const RETURN_ADDRESS: ReturnAddress = {
  recipientName: "Ada",
  streetAddress1: "1 Main St",
  city: "Redmond",
  postalCode: "98052",
  countryOrRegion: "USA",
  phone: "4255550100",
  email: "ada@example.com",
};
export const DELIVERY: DeliveryPackage = { carrierName: "FedEx", trackingNumber: "123456789012" };

/** West US's shipping address in data/locations.json: where a job there is shipped. */
export const WEST_US_SHIPPING = {
  recipientName: "Microsoft Azure Import/Export Service",
  streetAddress1: "2045 Lafayette Street",
  city: "Santa Clara",
  stateOrProvince: "CA",
  postalCode: "95050",
  countryOrRegion: "USA",
  phone: "408 352 7600",
};

/** The ARM operations the provider lists (Operations_List). */
export const ARM_OPERATIONS = [
  "Microsoft.ImportExport/jobs/read",
  "Microsoft.ImportExport/jobs/write",
  "Microsoft.ImportExport/jobs/delete",
  "Microsoft.ImportExport/jobs/listBitLockerKeys/action",
  "Microsoft.ImportExport/locations/read",
];

/** A drive of an import job, as the domain takes it. */
export function domainDrive(driveId: string): DriveSpec {
  return { driveId, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\DriveManifest.xml", manifestHash: "HASH" };
}

/** An import job's definition with these drives, a return address and a delivery package. */
export function importDefinition(driveIds: string[] = ["D1", "D2"], overrides: Partial<JobDefinition> = {}): JobDefinition {
  return {
    location: "westus",
    jobType: "Import",
    storageAccountId: STORAGE_ACCOUNT,
    driveList: driveIds.map(domainDrive),
    returnAddress: RETURN_ADDRESS,
    deliveryPackage: DELIVERY,
    ...overrides,
  };
}

/** An import job the customer created at T0 and marked Shipping one hour later. */
export function shippingImport(driveIds: string[] = ["D1", "D2"], overrides: Partial<JobDefinition> = {}): Job {
  return markShipping(createJob(JOB_KEY, importDefinition(driveIds, overrides), SHIPPING_INFO, customerAt(0)), customerAt(HOUR));
}

export interface StoredJobOptions {
  now?: Date;
  rules?: JobRules;
  driveId?: string;
  definition?: Partial<JobDefinition>;
}

/** A Creating import job under `key` with one drive, for writing through a store directly. */
export function creatingJob(key: JobKey, options: StoredJobOptions = {}): Job {
  const definition: JobDefinition = {
    location: "westus",
    jobType: "Import",
    storageAccountId: `/subscriptions/${key.subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`,
    driveList: [domainDrive(options.driveId ?? "DRIVE01")],
    ...options.definition,
  };
  return createJob(key, definition, SHIPPING_INFO, { now: options.now ?? T0, actor: { id: "test", type: "User" }, rules: options.rules ?? RULES });
}

/** The ServiceError `action` throws (failing the test if it throws anything else or nothing). */
export function thrown(action: () => unknown): ServiceError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return error as ServiceError;
  }
  throw new Error("expected the action to throw");
}
