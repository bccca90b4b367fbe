/**
 * The stand-in BitLocker key: recovery passwords in BitLocker's format, and the record on the drive
 * that a key unlocks or does not.
 */
import {
  createKeyRecord,
  generateRecoveryPassword,
  keyUnlocks,
  parseKeyRecord,
  recoveryPasswordProblem,
  serializeKeyRecord,
} from "../../shared/formats/key-record";
// Microsoft's own example key (New-AzImportExportDriveListObject): every group a multiple of 11.
import { BITLOCKER_KEY as EXAMPLE_KEY } from "../support/fixtures";

describe("BitLocker recovery passwords", () => {
  it("generates 8 groups of 6 digits, each a multiple of 11 below 720896", () => {
    for (let i = 0; i < 200; i++) {
      const key = generateRecoveryPassword();
      expect(key).toMatch(/^\d{6}(-\d{6}){7}$/);
      for (const group of key.split("-")) {
        expect(Number(group) % 11).toBe(0);
        expect(Number(group)).toBeLessThan(720896);
      }
      expect(recoveryPasswordProblem(key)).toBeUndefined();
    }
  });

  it("accepts a real recovery password", () => {
    expect(recoveryPasswordProblem(EXAMPLE_KEY)).toBeUndefined();
  });

  it.each([
    ["238810-662376-448998-450120-652806-203390-606320", "eight groups"],
    ["238810 662376 448998 450120 652806 203390 606320 483076", "eight groups"],
    ["238811-662376-448998-450120-652806-203390-606320-483076", "group 1"],
    ["238810-662376-448998-450120-652806-203390-606320-720896", "group 8"],
  ])("refuses %s", (key, message) => {
    expect(recoveryPasswordProblem(key)).toContain(message);
  });
});

describe("key records", () => {
  it("is unlocked by its key and by no other, and never holds the key", () => {
    const record = createKeyRecord("9CA995BA", EXAMPLE_KEY);
    const text = serializeKeyRecord(record);
    expect(text).not.toContain(EXAMPLE_KEY);
    expect(text).not.toContain(EXAMPLE_KEY.replace(/-/g, ""));
    const read = parseKeyRecord(text);
    expect(read.driveId).toBe("9CA995BA");
    expect(keyUnlocks(read, EXAMPLE_KEY)).toBe(true);
    expect(keyUnlocks(read, generateRecoveryPassword())).toBe(false);
    expect(keyUnlocks(read, "238810-662376-448998-450120-652806-203390-606320-483087")).toBe(false);
    expect(keyUnlocks(read, "not a key")).toBe(false);
  });

  it("salts each record: the same key gives different records", () => {
    expect(createKeyRecord("D", EXAMPLE_KEY).verifier).not.toBe(createKeyRecord("D", EXAMPLE_KEY).verifier);
  });

  it("refuses to write a record for a key that is not a recovery password", () => {
    expect(() => createKeyRecord("D", "123456-123456-123456-123456-123456-123456-123456-123456")).toThrow("group 1");
  });

  it.each([
    ["not JSON", "{"],
    ["another format", JSON.stringify({ format: "other/1" })],
    ["a tampered iteration count", serializeKeyRecord(createKeyRecord("D", EXAMPLE_KEY)).replace('"iterations": 100000', '"iterations": 1')],
  ])("refuses a record that is %s", (_what, text) => {
    expect(() => parseKeyRecord(text)).toThrow(/key record/);
  });
});
