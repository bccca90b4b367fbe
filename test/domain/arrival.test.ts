/**
 * What makes two desk reports one package, pure: the carrier and the tracking number compared as
 * `packageText` gives them (NFKC, case-folded, without whitespace, dashes or invisible format
 * characters), while the arrival keeps the text as reported.
 */
import { newArrival, packageText, samePackage } from "../../shared/domain/arrival";

const NOW = new Date("2026-11-23T10:15:00.123Z");

describe("packageText", () => {
  test.each([
    ["fullwidth digits", "１２３", "123"],
    ["fullwidth letters, any case", "１Ｚ９９９ａａ１", "1z999aa1"],
    ["case", "1Z999AA10123456784", "1z999aa10123456784"],
    ["spaces, as printed on a label", "1Z 999 AA1 0123 4567 84", "1z999aa10123456784"],
    ["dashes of every kind", "RETRY-1", "retry1"],
    ["a Unicode hyphen and a fullwidth hyphen-minus", "AB‐12－3", "ab123"],
    ["a no-break space and a zero-width space", "12\u00a03\u200b4", "1234"],
    ["case folding beyond lower case (ß)", "STRAẞE", "strasse"],
    ["a compatibility ligature", "ﬁve", "five"],
  ])("%s: %j compares as %j", (_, reported, compared) => {
    expect(packageText(reported)).toBe(compared);
  });

  test("keeps what tells numbers apart: digits, letters and other punctuation", () => {
    expect(packageText("123")).not.toBe(packageText("124"));
    expect(packageText("1.23")).not.toBe(packageText("123"));
    expect(packageText("A/1")).not.toBe(packageText("A1"));
  });
});

describe("samePackage", () => {
  test("regression: `１２３` and `123` from the same carrier are one package", () => {
    expect(samePackage({ carrierName: "FedEx", trackingNumber: "１２３" }, { carrierName: "FedEx", trackingNumber: "123" })).toBe(true);
  });

  test("carrier names compare the same way", () => {
    expect(samePackage({ carrierName: "ＦＥＤＥＸ", trackingNumber: "1" }, { carrierName: "Fed Ex", trackingNumber: "1" })).toBe(true);
    expect(samePackage({ carrierName: "UPS", trackingNumber: "1" }, { carrierName: "FedEx", trackingNumber: "1" })).toBe(false);
  });

  test("the arrival keeps the carrier and the tracking number as reported", () => {
    const arrival = newArrival({ carrierName: "ＦｅｄＥｘ", trackingNumber: "１２３-４", driveIds: ["D1"], reason: "NoJobNamed" }, NOW);
    expect(arrival).toMatchObject({ carrierName: "ＦｅｄＥｘ", trackingNumber: "１２３-４" });
    expect(samePackage(arrival, { carrierName: "fedex", trackingNumber: "1234" })).toBe(true);
  });
});
