/** The wire shapes the pages read: Get Job (ARM 2021-01-01), the operator's view, the portal's timeline. */
import type { JobState } from "../../shared/domain/job-state-machine";

export interface Address {
  recipientName?: string;
  streetAddress1?: string;
  streetAddress2?: string;
  city?: string;
  stateOrProvince?: string;
  postalCode?: string;
  countryOrRegion?: string;
  phone?: string;
  email?: string;
  additionalInformation?: string;
}

export interface PackageInfo {
  carrierName: string;
  trackingNumber: string;
  driveCount?: number;
  shipDate?: string;
}

export interface DriveStatus {
  driveId: string;
  state: string;
  copyStatus?: string;
  percentComplete: number;
  bytesSucceeded?: number;
  errorLogUri?: string;
  verboseLogUri?: string;
  manifestUri?: string;
}

export interface JobResource {
  id: string;
  name: string;
  location: string;
  systemData?: { createdAt?: string; lastModifiedAt?: string };
  properties: {
    jobType: "Import" | "Export";
    state: JobState;
    cancelRequested: boolean;
    percentComplete: number;
    storageAccountId: string;
    returnAddress?: Address;
    returnShipping?: { carrierName: string; carrierAccountNumber: string };
    shippingInformation?: Address;
    deliveryPackage?: PackageInfo;
    returnPackage?: PackageInfo;
    logLevel?: string;
    incompleteBlobListUri?: string;
    driveList?: DriveStatus[];
  };
}

export interface OperatorJob extends JobResource {
  operator: {
    allowedEvents: string[];
    extraDrives: { driveId: string; trackingNumber: string; arrivedAt: string; returnedAt?: string }[];
    returnAddressProblem?: { reason: string; reportedAt: string };
    hadFault: boolean;
    stateBeforeFault?: string;
    stateChangedAt: string;
    creatingExpiresAt?: string;
    shippingDueAt?: string;
    skippedDrives: string[];
    stopTransfer?: boolean;
  };
}

export interface PathStep {
  at: string;
  from: string | null;
  to: string;
  reason: string;
}

export interface Timeline {
  state: JobState;
  stateChangedAt: string;
  cancelRequested: boolean;
  creatingExpiresAt?: string;
  shippingDueAt?: string;
  returnAddressProblem?: { reason: string; reportedAt: string };
  path: PathStep[];
  actions: { markShipping: boolean; changeDeliveryPackage: boolean; changeReturnAddress: boolean; cancel: boolean; delete: boolean };
  /** Per drive the agent copied: blobs copied, and blobs with errors or warnings by the log's code. */
  copyLogs?: { driveId: string; blobsCopied: number; issuesByKind: Record<string, number>; exportRange?: { start: number; next?: number } }[];
  incompleteBlobs?: number;
}

export interface HistoryEntry extends PathStep {
  driveId?: string;
  by: string;
  role: string;
}

export interface Arrival {
  id: string;
  status: "Unmatched" | "Attached" | "Returned" | "Destroyed";
  reason: string;
  carrierName: string;
  trackingNumber: string;
  driveIds: string[];
  job?: { subscriptionId: string; resourceGroupName: string; jobName: string };
  arrivedAt: string;
}

export interface Page<T> {
  value: T[];
  nextLink?: string;
}
