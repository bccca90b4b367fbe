/**
 * Create's checks of the job's storage account, before anything is stored:
 *
 * - With `CUSTOMER_ACCOUNT_CHECK=on` (in Azure), one probe of the account with the service's own
 *   credential: an account that does not exist, or that refuses the service (no role granted, a
 *   firewall), is a clear 400 naming the account and the role to grant. A probe that gets no answer
 *   in time, or a server error, proves nothing about the job, so the job is accepted: the copy
 *   agent reports an account it still cannot reach as a drive error naming it. Answering 503 instead
 *   would make Create hang on the health of someone else's account. Off (locally, and in the tests
 *   of Microsoft's example payloads), accounts the service cannot reach stay accepted.
 * - An export job's `blobListBlobPath`: the blob must exist and hold the documented `<BlobList>`
 *   XML, or Create answers 400 saying which. An account the service cannot reach is left to the
 *   probe above, as for import jobs.
 */
import { RestError } from "@azure/storage-blob";
import { storageAccountName } from "../../config/customer-accounts";
import { copyLogLocation } from "../../formats/copy-log-names";
import { BlobListNotFoundError, readBlobListBlob } from "../../storage/export-selection";
import { BlobListFormatError } from "../../formats/export-blob-list";
import { ErrorFactory } from "../../domain/errors";
import type { JobDefinition, JobKey } from "../../domain/job";
import type { CustomerAccounts } from "../../storage/customer-accounts";

/**
 * What the copy agent needs on the customer's account, import or export alike: it writes the copy
 * logs there (and an import's blobs, an export's incomplete-blob list), and the service signs links
 * to those logs with a user-delegation key, which this role may ask for.
 */
const CUSTOMER_ACCOUNT_ROLE = "Storage Blob Data Contributor";

export interface CustomerAccountCheckOptions {
  /** Probe the account on Create (`CUSTOMER_ACCOUNT_CHECK`). */
  probe: boolean;
  /** How long the probe may take (`STORAGE_TIMEOUT_MS`). */
  timeoutMs: number;
}

export class CustomerAccountCheck {
  constructor(
    private readonly accounts: CustomerAccounts,
    private readonly options: CustomerAccountCheckOptions,
  ) {}

  async check(key: JobKey, definition: JobDefinition): Promise<void> {
    const account = storageAccountName(definition.storageAccountId);
    if (!account) return;
    if (this.options.probe) await this.probe(key, definition, account);
    await this.checkBlobList(definition, account);
  }

  private async probe(key: JobKey, definition: JobDefinition, account: string): Promise<void> {
    const target = "properties.storageAccountId";
    const { container } = copyLogLocation({ key, diagnosticsPath: definition.diagnosticsPath }, "", "error");
    const reach = await this.accounts.probe(account, container, this.options.timeoutMs);
    if (reach.kind === "unconfigured") {
      // The accounts it does reach are other customers' names: they stay out of the answer.
      throw ErrorFactory.badRequest("StorageAccountNotReachable", `Storage account '${account}' is not one this service can reach: it reaches only the accounts it holds a key for.`, target);
    }
    if (reach.kind === "notFound") {
      throw ErrorFactory.badRequest("StorageAccountNotFound", `Storage account '${account}' does not exist (${answerOf(reach)}). Check the job's storageAccountId.`, target);
    }
    if (reach.kind === "refused") {
      throw ErrorFactory.badRequest(
        "StorageAccountAccessDenied",
        `Storage account '${account}' refuses the Import/Export service (${answerOf(reach)}). Grant the service's managed identity the '${CUSTOMER_ACCOUNT_ROLE}' role on the account ` +
          `(the data center writes the ${definition.jobType === "Export" ? "copy logs and the list of blobs no drive held" : "imported blobs and the copy logs"} there), ` +
          "and if the account has a firewall, allow trusted Azure services; role assignments can take a few minutes to apply.",
        target,
      );
    }
  }

  private async checkBlobList(definition: JobDefinition, account: string): Promise<void> {
    const blobListBlobPath = definition.jobType === "Export" ? definition.export?.blobListBlobPath : undefined;
    const client = blobListBlobPath ? this.accounts.client(account) : undefined;
    if (!blobListBlobPath || !client) return;
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

function answerOf(reach: { status?: number; code?: string }): string {
  return [reach.status, reach.code].filter((part) => part !== undefined).join(" ") || "no answer";
}
