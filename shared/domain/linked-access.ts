/**
 * ARM's linked access check, as a rule: a job links a storage account (`properties.storageAccountId`),
 * and the caller must be shown to hold the actions the job needs on that account before the job is
 * stored, else `403 LinkedAuthorizationFailed`, the answer ARM gives before a request reaches a
 * resource provider. Pure: who owns an account is asked of an `AccountOwnership` source
 * (shared/jobs/linked-access-check.ts); this module reads the resource id, names the actions and
 * words the refusal.
 *
 * Names are compared as Azure resolves them, not as they were typed: resource ids are
 * case-insensitive, and a name written with other Unicode forms (a full-width `ｄ`, a `İ`) must not
 * slip past a comparison that a later step (a URL's host, a lower-casing) would undo.
 */
import { ServiceError } from "./errors";

/** The data actions a job needs on its account: import writes blobs (and reads, for dispositions and logs); export reads them and writes its logs and incomplete list. */
export const LINKED_DATA_ACTIONS: Record<"Import" | "Export", readonly string[]> = {
  Import: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
  Export: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"],
};

/** The job action on whose behalf the account is checked, as ARM names it in its refusal. */
export const JOB_WRITE_ACTION = "Microsoft.ImportExport/jobs/write";

export interface LinkedAccount {
  /** The id as the job gives it. */
  resourceId: string;
  /** The subscription segment, folded (NFKC, lower case): the form a registration is looked up by. */
  subscriptionId: string;
  resourceGroup: string;
  /** The account name, folded as the subscription is. */
  accountName: string;
  /** Whether the id is already in the folded form Azure would resolve it to (ASCII account name). */
  canonical: boolean;
}

const ACCOUNT_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.(?:Classic)?Storage\/storageAccounts\/([^/]+)$/i;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/** Unicode compatibility folding then lower case: `ＤＥＭＯstore`, `DEMOSTORE` and `demostore` are one name. */
export function foldName(value: string): string {
  return value.normalize("NFKC").toLowerCase().normalize("NFKC");
}

/**
 * The account a `storageAccountId` links, read after folding (so variants of one id read as one), or
 * undefined when it is no storage account id at all.
 */
export function parseLinkedAccount(resourceId: string): LinkedAccount | undefined {
  const match = ACCOUNT_ID.exec(foldName(resourceId));
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, accountName] = match;
  // Canonical: the id as typed already names a valid account, so no folding was needed to read it.
  const rawName = ACCOUNT_ID.exec(resourceId)?.[3]?.toLowerCase();
  return { resourceId, subscriptionId, resourceGroup, accountName, canonical: rawName === accountName && ACCOUNT_NAME.test(accountName) };
}

/** One entry of ARM's `Microsoft.Authorization/permissions` answer. */
export interface ArmPermission {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

/**
 * Whether the permissions grant a data action, as ARM evaluates them: an entry grants it when one of
 * its `dataActions` matches (with `*` wildcards, case-insensitive) and none of its `notDataActions`
 * does; the entries add up.
 */
export function permitsDataAction(permissions: readonly ArmPermission[], dataAction: string): boolean {
  return permissions.some(
    (permission) => (permission.dataActions ?? []).some((pattern) => matchesAction(pattern, dataAction)) && !(permission.notDataActions ?? []).some((pattern) => matchesAction(pattern, dataAction)),
  );
}

function matchesAction(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split("*").map(escapeRegex).join(".*")}$`, "i");
  return regex.test(action);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * ARM's own refusal, in its words: the caller may write the job, but not do the linked actions on the
 * account. The reason (which check failed) stays out of the answer, so the refusal tells a stranger
 * nothing about another tenant's account or subscription.
 */
export function linkedAuthorizationFailed(principal: string, jobScope: string, linkedActions: readonly string[], linkedScope: string): ServiceError {
  return new ServiceError(
    403,
    "LinkedAuthorizationFailed",
    `The client '${principal}' has permission to perform action '${JOB_WRITE_ACTION}' on scope '${jobScope}'; however, it does not have permission to perform action(s) ` +
      `'${linkedActions.join(", ")}' on the linked scope(s) '${linkedScope.slice(0, 1024)}' or the linked scope(s) are invalid.`,
    "properties.storageAccountId",
  );
}
