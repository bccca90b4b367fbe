/**
 * Splitting a list, in order, into runs that fit a storage size limit: a queue message's 64 KiB, a
 * table string property's 32K characters.
 */

/** Consecutive runs of `items` whose sizes add up to at most `limit`; an item over it goes alone. */
export function chunkBySize<T>(items: T[], sizeOf: (item: T) => number, limit: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && total + size > limit) {
      chunks.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
