/**
 * The linked access check (shared/domain/linked-access.ts): a job may name only a storage account
 * its caller's tenant can be shown to own. Create, a Create that redefines a job, and an Update whose
 * body names an account all ask `assert` before anything is read from or written to the account, so
 * a refused job is no oracle for another tenant's blobs; the copy agent asks again (`recheck`, through
 * the operator API) before it touches the account.
 *
 * Who owns an account is one question with two sources of the answer:
 * - `RegistryOwnership` (locally, and wherever the service reaches accounts with keys): the account
 *   registry (`CUSTOMER_ACCOUNT_SUBSCRIPTIONS`) names each account's subscription, and the
 *   subscription's registration names its tenant. An account this configuration reaches must be in
 *   the registry; one it cannot reach at all is accepted as before (nothing can be copied with it),
 *   if the id's subscription is the caller's tenant's.
 * - `ArmOwnership` (Azure, where the managed identity may reach any account that granted it a role):
 *   ARM itself answers, for the caller, with the caller's own delegated token: the account must exist
 *   at exactly that id, and the caller's permissions on it must grant the job's data actions.
 */
import type { ArmReader } from "../auth/arm-on-behalf-of";
import { ErrorFactory } from "../../domain/errors";
import type { JobKey } from "../../domain/job";
import { LINKED_DATA_ACTIONS, LinkedAccount, linkedAuthorizationFailed, parseLinkedAccount, permitsDataAction, ArmPermission } from "../../domain/linked-access";
import type { AccountRegistry } from "../../config/customer-accounts";
import type { SubscriptionService } from "./subscription-service";

export type JobType = keyof typeof LINKED_DATA_ACTIONS;

/** Who asks, as the job operation knows them. */
export interface LinkedCaller {
  tenantId: string;
  /** The caller's object id or name, for ARM's wording of a refusal. */
  principal: string;
  /** The caller's own bearer token: in Azure exchanged on the caller's behalf for ARM's answer. */
  bearerToken?: string;
}

export interface OwnershipQuestion {
  account: LinkedAccount;
  jobType: JobType;
  tenantId: string;
  /** Absent when the service asks on its own (the copy agent's re-check). */
  bearerToken?: string;
}

export type OwnershipVerdict = { granted: true } | { granted: false; reason: string };

export interface AccountOwnership {
  verify(question: OwnershipQuestion): Promise<OwnershipVerdict>;
}

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GRANTED: OwnershipVerdict = { granted: true };
const denied = (reason: string): OwnershipVerdict => ({ granted: false, reason });

export class LinkedAccessCheck {
  constructor(
    private readonly ownership: AccountOwnership,
    private readonly subscriptions: Pick<SubscriptionService, "ownerOf">,
  ) {}

  /** Throws `403 LinkedAuthorizationFailed` unless the caller's tenant owns the account `storageAccountId` names. */
  async assert(key: JobKey, storageAccountId: string, jobType: JobType, caller: LinkedCaller): Promise<void> {
    const account = parseLinkedAccount(storageAccountId);
    const verdict = account ? await this.ownership.verify({ account, jobType, tenantId: caller.tenantId, bearerToken: caller.bearerToken }) : denied("not a storage account id");
    if (!verdict.granted) throw linkedAuthorizationFailed(caller.principal, jobScope(key), LINKED_DATA_ACTIONS[jobType], storageAccountId);
    // Owned, but written in a form Azure would not resolve (a full-width letter): the job would name
    // an account nobody can reach. Said only now, so the answer to a stranger stays the 403.
    if (!account!.canonical) {
      throw ErrorFactory.badRequest("InvalidStorageAccountId", `'${storageAccountId.slice(0, 300)}' does not name a storage account: account names are 3 to 24 lowercase letters and digits.`, "properties.storageAccountId");
    }
  }

  /**
   * The copy agent's re-check: the same question, without a caller's token, for the tenant the job's
   * subscription belongs to now (a subscription moved to another tenant takes its jobs along, and
   * the new tenant must own the account too).
   */
  async recheck(job: { key: JobKey; storageAccountId: string; jobType: JobType }): Promise<OwnershipVerdict> {
    const account = parseLinkedAccount(job.storageAccountId);
    if (!account) return denied("the job's storageAccountId is not a storage account id");
    const tenantId = await this.subscriptions.ownerOf(job.key.subscriptionId);
    if (!tenantId) return denied("the job's subscription is registered to no tenant");
    return this.ownership.verify({ account, jobType: job.jobType, tenantId });
  }
}

function jobScope(key: JobKey): string {
  return `/subscriptions/${key.subscriptionId}/resourceGroups/${key.resourceGroup}/providers/Microsoft.ImportExport/jobs/${key.name}`;
}

export class RegistryOwnership implements AccountOwnership {
  constructor(
    private readonly registry: AccountRegistry,
    private readonly subscriptions: Pick<SubscriptionService, "belongsTo">,
    /** Whether this configuration reaches the account at all (`CustomerAccounts.knows`). */
    private readonly reachable: (accountName: string) => boolean,
  ) {}

  async verify({ account, tenantId }: OwnershipQuestion): Promise<OwnershipVerdict> {
    const registered = Object.hasOwn(this.registry, account.accountName) ? this.registry[account.accountName] : undefined;
    if (registered !== undefined && registered !== account.subscriptionId) return denied(`the account is registered to another subscription`);
    if (registered === undefined && this.reachable(account.accountName)) return denied("the account registry names no subscription for an account this service reaches");
    // Only a subscription id is looked up: the segment is the caller's string.
    if (!SUBSCRIPTION_ID.test(account.subscriptionId)) return denied("the subscription segment is not a subscription id");
    if (!(await this.subscriptions.belongsTo(account.subscriptionId, tenantId))) return denied("the account's subscription is not registered to the tenant");
    return GRANTED;
  }
}

const STORAGE_API_VERSION = "2023-05-01";
const AUTHORIZATION_API_VERSION = "2022-04-01";

export class ArmOwnership implements AccountOwnership {
  constructor(private readonly arm: ArmReader) {}

  async verify({ account, jobType, tenantId, bearerToken }: OwnershipQuestion): Promise<OwnershipVerdict> {
    // The copy agent's re-check has no caller: the answer ARM gave the caller at Create stands, and
    // the job's account cannot change after Creating (see docs/security.md).
    if (!bearerToken) return GRANTED;
    if (!SUBSCRIPTION_ID.test(account.subscriptionId)) return denied("the subscription segment is not a subscription id");
    const id = `/subscriptions/${account.subscriptionId}/resourceGroups/${encodeURIComponent(account.resourceGroup)}/providers/Microsoft.Storage/storageAccounts/${account.accountName}`;
    // The account itself, read as the caller: 404 (no such account at this id: the name is another
    // subscription's) or 403 (not the caller's to read) both refuse.
    const resource = await this.arm.get(`${id}?api-version=${STORAGE_API_VERSION}`, bearerToken, tenantId);
    if (resource.status !== 200) return denied(`ARM answered ${resource.status} for the account`);
    const permissions = await this.arm.get(`${id}/providers/Microsoft.Authorization/permissions?api-version=${AUTHORIZATION_API_VERSION}`, bearerToken, tenantId);
    if (permissions.status !== 200) return denied(`ARM answered ${permissions.status} for the caller's permissions`);
    const value = (permissions.body as { value?: ArmPermission[] } | undefined)?.value;
    const granted = Array.isArray(value) ? value : [];
    const missing = LINKED_DATA_ACTIONS[jobType].filter((action) => !permitsDataAction(granted, action));
    return missing.length === 0 ? GRANTED : denied(`the caller lacks ${missing.join(", ")}`);
  }
}
