/**
 * Create's check of an export job's `blobListBlobPath`: the blob must exist in the customer's
 * account and hold the documented `<BlobList>` XML, or Create answers 400 saying which. An account
 * the service cannot reach from here (locally: one Azurite does not serve; in Azure: a network
 * failure, or a role not granted yet) is not held against the job, as for import jobs: the copy
 * agent reports such a drive as a drive error naming the account.
 */
import { RestError } from "@azure/storage-blob";
import { storageAccountName } from "../config/customer-accounts";
import { BlobListNotFoundError, readBlobListBlob } from "../copy/export-selection";
import { BlobListFormatError } from "../drive/export-blob-list";
import { ErrorFactory } from "../domain/errors";
import type { JobDefinition } from "../domain/job";
import type { CustomerAccounts } from "../storage/customer-accounts";

export class ExportBlobListCheck {
  constructor(private readonly accounts: CustomerAccounts) {}

  async check(definition: JobDefinition): Promise<void> {
    const blobListBlobPath = definition.jobType === "Export" ? definition.export?.blobListBlobPath : undefined;
    if (!blobListBlobPath) return;
    const account = storageAccountName(definition.storageAccountId);
    const client = account ? this.accounts.client(account) : undefined;
    if (!client) return;
    try {
      await readBlobListBlob(client, blobListBlobPath);
    } catch (error) {
      const target = "properties.export.blobListBlobPath";
      if (error instanceof BlobListNotFoundError) {
        throw ErrorFactory.badRequest("BlobListBlobNotFound", `The blob list '${blobListBlobPath}' does not exist in storage account '${account}'.`, target);
      }
      if (error instanceof BlobListFormatError) {
        throw ErrorFactory.badRequest("BlobListBlobInvalid", `The blob list '${blobListBlobPath}' is not a valid export blob list (<BlobList> with <BlobPath> and <BlobPathPrefix>): ${error.message}.`, target);
      }
      if (error instanceof RestError || (error instanceof Error && error.name === "AbortError")) return;
      throw error;
    }
  }
}
