/**
 * Response builders: domain values to the exact wire shapes of Microsoft.ImportExport 2021-01-01.
 * Every field is listed explicitly, so nothing stored (BitLocker keys, deadlines, history) reaches a
 * response by accident. The wire types below are the builders' own return types, so the portal
 * (portal/src, bundled by esbuild) reads exactly what the service sends; it imports them as types only.
 */
import { Drive, Job, StateChange } from "../domain/job";
import { Arrival } from "../domain/arrival";
import { driveBlobName, incompleteBlobListName } from "../domain/log-blobs";
import { eventsAllowedFor } from "../domain/operator-events";
import type { LogUrlSigner } from "../storage/customer-accounts";
import { drivePercentComplete, jobPercentComplete } from "../domain/progress";
import { DataCenterLocation } from "../domain/locations";
import type { JobTimeline } from "../jobs/job-service";

export const JOB_RESOURCE_TYPE = "Microsoft.ImportExport/jobs";
export const LOCATION_RESOURCE_TYPE = "Microsoft.ImportExport/locations";

export function jobResourceId(job: Job): string {
  const { subscriptionId, resourceGroup, name } = job.key;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${JOB_RESOURCE_TYPE}/${name}`;
}

/**
 * Get Job, and each job of List Jobs: the resource with its `etag` at the top level, where ARM puts
 * a resource's ETag (single-job responses send it as the `ETag` header too).
 */
export function toJobResponse(job: Job, etag: string, sign?: LogUrlSigner) {
  return { ...jobResource(job, sign), etag };
}

/** `sign` turns a blob name into a read-only SAS URL; log URIs appear only when it is given. */
function jobResource(job: Job, sign?: LogUrlSigner) {
  return {
    id: jobResourceId(job),
    name: job.key.name,
    type: JOB_RESOURCE_TYPE,
    location: job.location,
    tags: job.tags,
    systemData: {
      createdBy: job.createdBy.id,
      createdByType: job.createdBy.type,
      createdAt: job.createdAt,
      lastModifiedBy: job.lastModifiedBy.id,
      lastModifiedByType: job.lastModifiedBy.type,
      lastModifiedAt: job.lastModifiedAt,
    },
    identity: { type: "None" },
    properties: {
      storageAccountId: job.storageAccountId,
      jobType: job.jobType,
      returnAddress: job.returnAddress,
      returnShipping: job.returnShipping,
      shippingInformation: job.shippingInformation,
      deliveryPackage: job.deliveryPackage,
      returnPackage: job.returnPackage,
      diagnosticsPath: job.diagnosticsPath,
      logLevel: job.logLevel,
      backupDriveManifest: job.backupDriveManifest,
      state: job.state,
      cancelRequested: job.cancelRequested,
      percentComplete: jobPercentComplete(job),
      // The copy agent's list, in the customer's account; else one an operator recorded by hand.
      incompleteBlobListUri: job.exportIncomplete
        ? sign?.copyLog?.(job, "", "incompleteBlobList")
        : sign && job.hasIncompleteBlobList ? sign(incompleteBlobListName(job)) : undefined,
      driveList: job.jobType === "Import" || job.drives.length > 0 ? job.drives.map((drive) => toDriveStatus(job, drive, sign)) : undefined,
      export: job.export && {
        blobListBlobPath: job.export.blobListBlobPath,
        blobList:
          job.export.blobPath || job.export.blobPathPrefix
            ? { blobPath: job.export.blobPath, blobPathPrefix: job.export.blobPathPrefix }
            : undefined,
      },
      provisioningState: "Succeeded",
      encryptionKey: job.encryptionKey,
    },
  };
}

function toDriveStatus(job: Job, drive: Drive, sign?: LogUrlSigner) {
  const blobs = drive.blobs ?? {};
  const copyLog = drive.copyLog;
  return {
    driveId: drive.driveId,
    manifestFile: drive.manifestFile,
    manifestHash: drive.manifestHash,
    driveHeaderHash: drive.driveHeaderHash,
    state: drive.state,
    copyStatus: drive.copyStatus,
    percentComplete: drivePercentComplete(drive),
    // A drive the copy agent copied links the agent's logs, in the customer's account.
    verboseLogUri: copyLog
      ? copyLog.verboseLog && job.logLevel === "Verbose" ? sign?.copyLog?.(job, drive.driveId, "verbose") : undefined
      : sign && blobs.verboseLog && job.logLevel === "Verbose" ? sign(driveBlobName(job, drive.driveId, "verboseLog")) : undefined,
    errorLogUri: copyLog
      ? copyLog.errorLog ? sign?.copyLog?.(job, drive.driveId, "error") : undefined
      : sign && blobs.errorLog ? sign(driveBlobName(job, drive.driveId, "errorLog")) : undefined,
    manifestUri: sign && blobs.manifest && job.backupDriveManifest ? sign(driveBlobName(job, drive.driveId, "manifest")) : undefined,
    bytesSucceeded: drive.bytesSucceeded,
  };
}

export function toLocationResponse(location: DataCenterLocation) {
  return {
    id: `/providers/${LOCATION_RESOURCE_TYPE}/${location.id}`,
    name: location.name,
    type: LOCATION_RESOURCE_TYPE,
    properties: {
      recipientName: location.recipientName,
      streetAddress1: location.streetAddress1,
      streetAddress2: location.streetAddress2 ?? "",
      city: location.city,
      stateOrProvince: location.stateOrProvince,
      postalCode: location.postalCode,
      countryOrRegion: location.countryOrRegion,
      phone: location.phone,
      additionalShippingInformation: location.additionalShippingInformation ?? "",
      supportedCarriers: location.supportedCarriers,
      alternateLocations: location.alternateLocations.map((id) => `/providers/${LOCATION_RESOURCE_TYPE}/${id}`),
    },
  };
}

const PROVIDER = "Microsoft Import/Export";

/** The provider's operations, as ARM's Operations_List reports them. */
export const PROVIDER_OPERATIONS = [
  ["Microsoft.ImportExport/locations/read", "Locations", "Get or List Locations", "Gets the properties for the specified location or returns the list of locations."],
  ["Microsoft.ImportExport/jobs/write", "Jobs", "Create or Update Job", "Creates a job with the specified parameters or update the properties or tags for the specified job."],
  ["Microsoft.ImportExport/jobs/read", "Jobs", "Get or List Jobs", "Gets the properties for the specified job or returns the list of jobs."],
  ["Microsoft.ImportExport/jobs/listBitLockerKeys/action", "Jobs", "List BitLocker Keys", "Gets the BitLocker keys for the specified job."],
  ["Microsoft.ImportExport/jobs/delete", "Jobs", "Delete Job", "Deletes an existing job."],
  ["Microsoft.ImportExport/register/action", "Import/Export Resource Provider", "Registers the Import/Export Resource Provider", "Registers the subscription for the import/export resource provider and enables the creation of import/export jobs."],
].map(([name, resource, operation, description]) => ({ name, display: { provider: PROVIDER, resource, operation, description } }));

/**
 * What operators see of a job: the customer's Get Job shape (less the ETag: the operator API takes
 * no conditions), plus an `operator` section with what only the data center needs (extra drives,
 * flags, deadlines, the events the state allows).
 */
export function toOperatorJobResponse(job: Job, sign?: LogUrlSigner, stopTransfer?: boolean) {
  return {
    ...jobResource(job, sign),
    operator: {
      creationId: job.creationId,
      allowedEvents: eventsAllowedFor(job),
      // The copy agents holding drives (see drive-claims.ts): who, and until when.
      driveClaims: job.drives.flatMap((drive) => (drive.claim ? [{ driveId: drive.driveId, agentId: drive.claim.agentId, claimedAt: drive.claim.claimedAt, expiresAt: drive.claim.expiresAt }] : [])),
      extraDrives: job.extraDrives ?? [],
      returnAddressProblem: job.returnAddressProblem,
      driveDisposal: job.driveDisposal,
      hadFault: job.hadFault ?? false,
      stateBeforeFault: job.stateBeforeFault,
      stateChangedAt: job.stateChangedAt,
      creatingExpiresAt: job.creatingExpiresAt,
      shippingDueAt: job.shippingDueAt,
      skippedDrives: job.drives.filter((drive) => drive.skipped).map((drive) => drive.driveId),
      exportRanges: job.jobType === "Export" ? job.drives.flatMap((drive) => (drive.exportRange ? [{ driveId: drive.driveId, ...drive.exportRange }] : [])) : undefined,
      ...(stopTransfer ? { stopTransfer: true } : {}),
    },
  };
}

export function toArrivalResponse(arrival: Arrival) {
  return {
    id: arrival.id,
    status: arrival.status,
    reason: arrival.reason,
    carrierName: arrival.carrierName,
    trackingNumber: arrival.trackingNumber,
    driveIds: arrival.driveIds,
    job: arrival.jobKey && { subscriptionId: arrival.jobKey.subscriptionId, resourceGroupName: arrival.jobKey.resourceGroup, jobName: arrival.jobKey.name },
    arrivedAt: arrival.arrivedAt,
    attachedAt: arrival.attachedAt,
    attachedTo: arrival.attachedTo && { subscriptionId: arrival.attachedTo.subscriptionId, resourceGroupName: arrival.attachedTo.resourceGroup, jobName: arrival.attachedTo.name },
    closedAt: arrival.closedAt,
    closedBy: arrival.closedBy,
    returnPackage: arrival.returnPackage,
    certificateReference: arrival.certificateReference,
  };
}

/** Get Job, and each job of List Jobs. */
export type JobResponse = ReturnType<typeof toJobResponse>;
/** A job as the operator API shows it. */
export type OperatorJobResponse = ReturnType<typeof toOperatorJobResponse>;
export type ArrivalResponse = ReturnType<typeof toArrivalResponse>;
/** The portal's timeline of a job: its deadlines, its path and what the customer may do next. */
export type TimelineResponse = JobTimeline;
/** An entry of a job's history (`GET /operator/.../history`). */
export type HistoryEntryResponse = StateChange;
/** A page of a list, as ARM lists answer: the items and, when there are more, the next page's URL. */
export interface PageResponse<T> {
  value: T[];
  nextLink?: string;
}
