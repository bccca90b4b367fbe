/**
 * The limits of the places a customer's string ends up in, in one place: blob names and table keys.
 * Each is counted the strictest way Azure could count it, so a name that passes here is taken by
 * Azure and by Azurite alike:
 *   - a blob name is at most 1,024 characters and 254 segments; counted here in UTF-8 bytes, never
 *     fewer than its characters (and what a URL carries, percent-encoded);
 *   - a table key (PartitionKey, RowKey) is at most 1 KiB, and Table Storage keeps strings in UTF-16:
 *     512 code units, as Azurite enforces; no `/`, `\`, `#`, `?` or control character.
 * Which customer strings end up where, and the worst case of each, is in docs/storage-design.md
 * ("Names and their limits"); the builders of each name (`log-blobs.ts`, the expiry index) compute
 * their budgets from these, and test/domain/storage-limits.test.ts checks every one.
 */

export const BLOB_NAME_MAX_BYTES = 1024;
export const BLOB_NAME_MAX_SEGMENTS = 254;
/** 1 KiB of UTF-16. */
export const TABLE_KEY_MAX_CHARS = 512;

/**
 * The longest names the API takes (the path rules in `api/schemas.ts` and `api/operator-schemas.ts`):
 * every key and blob name built from them is bounded by these. Names are ASCII, so characters are bytes.
 */
export const NAME_LIMITS = {
  subscriptionId: 36,
  resourceGroup: 90,
  jobName: 64,
  driveId: 64,
} as const;

/** A string's length in UTF-8 (an unpaired surrogate counts as the three bytes of U+FFFD). */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
