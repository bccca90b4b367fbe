/**
 * A byte count as people read it: the one wording of the portal and both command-line tools. Decimal
 * units (KB, MB, GB, TB: powers of 1,000), as drives are sold and as `--drive-size` reads them;
 * three significant digits: `500 GB`, `12.3 MB`, `1.50 KB`. Exact sizes (a 4 MiB block) are
 * written in the text that states them, not through this.
 */
const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  // 999.5 and up would round to "1000": the next unit says it as 1.00.
  while (value >= 999.5 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value.toFixed(value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2)} ${UNITS[unit]}`;
}
