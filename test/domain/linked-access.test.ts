/**
 * The linked access rule's pure parts: a storage account id read as Azure resolves it (variants of
 * one id read as one), and ARM's evaluation of a permissions answer.
 */
import { LINKED_DATA_ACTIONS, parseLinkedAccount, permitsDataAction } from "../../shared/domain/linked-access";

const SUB = "0f0e0d0c-0000-4000-8000-000000000001";
const ID = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/store1`;

describe("parseLinkedAccount", () => {
  test("reads the subscription, resource group and account, folded to lower case", () => {
    expect(parseLinkedAccount(ID)).toEqual({ resourceId: ID, subscriptionId: SUB, resourceGroup: "rg", accountName: "store1", canonical: true });
    const shouted = `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/STORE1`;
    expect(parseLinkedAccount(shouted)).toMatchObject({ subscriptionId: SUB, accountName: "store1", canonical: true });
  });

  test("Unicode variants of a name read as the name they fold to, and are not canonical", () => {
    const fullWidth = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/ｓｔｏｒｅ１`;
    expect(parseLinkedAccount(fullWidth)).toMatchObject({ accountName: "store1", canonical: false });
    const fullWidthSlashes = ID.replace(/\//g, "／");
    expect(parseLinkedAccount(fullWidthSlashes)).toMatchObject({ subscriptionId: SUB, accountName: "store1", canonical: false });
  });

  test("a name Azure refuses is read, but never canonical; what is no account id is undefined", () => {
    expect(parseLinkedAccount(ID.replace("store1", "st"))).toMatchObject({ canonical: false });
    expect(parseLinkedAccount(ID.replace("store1", "store_1"))).toMatchObject({ canonical: false });
    expect(parseLinkedAccount(`${ID}/blobServices/default`)).toBeUndefined();
    expect(parseLinkedAccount(ID.replace("Microsoft.Storage", "Microsoft.Compute"))).toBeUndefined();
  });
});

describe("permitsDataAction", () => {
  const write = LINKED_DATA_ACTIONS.Import[0];
  test("a data action granted exactly, or by a wildcard, case-insensitively", () => {
    expect(permitsDataAction([{ dataActions: [write] }], write)).toBe(true);
    expect(permitsDataAction([{ dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"] }], write)).toBe(true);
    expect(permitsDataAction([{ dataActions: ["*"] }], write.toLowerCase())).toBe(true);
  });

  test("control-plane actions grant no data action; notDataActions take it away within their entry only", () => {
    expect(permitsDataAction([{ actions: ["*"] }], write)).toBe(false);
    expect(permitsDataAction([{ dataActions: ["*"], notDataActions: ["Microsoft.Storage/*/blobs/write"] }], write)).toBe(false);
    expect(permitsDataAction([{ dataActions: ["*"], notDataActions: ["Microsoft.Storage/*/blobs/write"] }, { dataActions: [write] }], write)).toBe(true);
    expect(permitsDataAction([], write)).toBe(false);
  });

  test("a pattern's other characters are literal, not regular expression syntax", () => {
    expect(permitsDataAction([{ dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/.*"] }], write)).toBe(false);
  });
});
