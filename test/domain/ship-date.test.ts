/** Ship dates: the two forms the API accepts (ISO 8601 and Microsoft's examples' US form), stored as ISO 8601. */
import { normalizeShipDate } from "../../shared/domain/ship-date";

test.each([
  ["9/29/2017 10:28:35 PM", "2017-09-29T22:28:35.000Z"],
  ["9/29/2017 12:05:00 AM", "2017-09-29T00:05:00.000Z"],
  ["9/29/2017 12:05 PM", "2017-09-29T12:05:00.000Z"],
  ["09/29/2017", "2017-09-29"],
  ["2/29/2024", "2024-02-29"],
  ["2017-09-29", "2017-09-29"],
  ["2017-09-29T22:28:35Z", "2017-09-29T22:28:35.000Z"],
  ["2017-09-29T22:28:35.1234567Z", "2017-09-29T22:28:35.123Z"],
  ["2017-09-30T00:28:35+02:00", "2017-09-29T22:28:35.000Z"],
  [" 2017-09-29 ", "2017-09-29"],
])("%j is stored as %j", (given, stored) => {
  expect(normalizeShipDate(given)).toBe(stored);
});

test.each(["yesterday", "", "2/30/2020", "13/1/2020", "2020-02-30", "2020-13-01", "9/29/2017 13:00:00 PM", "9/29/2017 0:10:00 AM", "9/29/2017 10:61 PM", "2017-09-29T22:28:35", "29.09.2017", "2017-09-29T25:00:00Z"])(
  "%j is refused",
  (given) => {
    expect(normalizeShipDate(given)).toBeUndefined();
  },
);
