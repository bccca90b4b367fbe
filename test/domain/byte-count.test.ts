/** One wording of byte counts for the portal and both tools: decimal units, three significant digits. */
import { formatBytes } from "../../shared/domain/byte-count";

test.each([
  [0, "0 B"],
  [999, "999 B"],
  [1000, "1.00 KB"],
  [1536, "1.54 KB"],
  [12_345_678, "12.3 MB"],
  [999_499, "999 KB"],
  [999_500, "1.00 MB"],
  [9_999_999, "10.0 MB"],
  [500e9, "500 GB"],
  [1.5e12, "1.50 TB"],
  [2e18, "2000 PB"],
])("%d bytes read %s", (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});
