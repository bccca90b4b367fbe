/**
 * The stand-in for BitLocker on a local drive. BitLocker itself cannot be emulated on a folder, so
 * preparation writes a key record at the drive's root and the data center "unlocks" the drive by
 * checking the job's `bitLockerKey` against it.
 *
 * The key is a BitLocker recovery password in BitLocker's own format: 48 digits in eight groups of
 * six, each group a multiple of 11 whose quotient fits in 16 bits (that is how BitLocker encodes its
 * 128-bit key, and how it spots a mistyped group). The record holds a salted PBKDF2 verifier of the
 * key, never the key: a drive carries its lock, not what opens it.
 */
import { pbkdf2Sync, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";

export const KEY_RECORD_FILE = "BitLockerKeyRecord.json";
const KEY_RECORD_FORMAT = "import-export-drive-key/1";

const KDF_DIGEST = "sha256";
const KDF_ITERATIONS = 100_000;
const VERIFIER_BYTES = 32;
const RECOVERY_PASSWORD = /^\d{6}(?:-\d{6}){7}$/;

export interface KeyRecord {
  format: typeof KEY_RECORD_FORMAT;
  driveId: string;
  /** Like BitLocker's key protector identifier: names the key without revealing it. */
  keyProtectorId: string;
  kdf: { algorithm: "PBKDF2"; digest: typeof KDF_DIGEST; iterations: number; salt: string };
  /** Base64 of PBKDF2(recovery password, salt). */
  verifier: string;
}

/** A fresh random recovery password: 8 groups of 11 × (a random 16-bit value), zero-padded. */
export function generateRecoveryPassword(): string {
  return Array.from({ length: 8 }, () => String(randomInt(0, 0x10000) * 11).padStart(6, "0")).join("-");
}

/** Why `key` is not a BitLocker recovery password, or undefined when it is one. */
export function recoveryPasswordProblem(key: string): string | undefined {
  if (!RECOVERY_PASSWORD.test(key)) return "a BitLocker recovery key is 48 digits in eight groups of six, separated by '-'";
  const groups = key.split("-");
  const bad = groups.findIndex((group) => Number(group) % 11 !== 0 || Number(group) / 11 >= 0x10000);
  if (bad >= 0) return `group ${bad + 1} ('${groups[bad]}') of the BitLocker recovery key is not valid (each group is a multiple of 11 below 720896)`;
  return undefined;
}

export function createKeyRecord(driveId: string, recoveryPassword: string): KeyRecord {
  const problem = recoveryPasswordProblem(recoveryPassword);
  if (problem) throw new Error(problem);
  const salt = randomBytes(16).toString("base64");
  return {
    format: KEY_RECORD_FORMAT,
    driveId,
    keyProtectorId: randomUUID().toUpperCase(),
    kdf: { algorithm: "PBKDF2", digest: KDF_DIGEST, iterations: KDF_ITERATIONS, salt },
    verifier: derive(recoveryPassword, salt, KDF_ITERATIONS).toString("base64"),
  };
}

export function serializeKeyRecord(record: KeyRecord): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/** A record is a few hundred bytes; a file under its name past this is not one, and is not read. */
export const MAX_KEY_RECORD_BYTES = 64 * 1024;

/** Reads a record back; a record that is not one (wrong shape, unknown format) is an error. */
export function parseKeyRecord(text: string): KeyRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the key record is not valid JSON");
  }
  const record = value as Partial<KeyRecord> | null;
  const kdf = record?.kdf;
  const valid =
    record?.format === KEY_RECORD_FORMAT &&
    typeof record.driveId === "string" &&
    typeof record.keyProtectorId === "string" &&
    typeof record.verifier === "string" &&
    kdf?.algorithm === "PBKDF2" &&
    kdf.digest === KDF_DIGEST &&
    Number.isInteger(kdf.iterations) &&
    kdf.iterations >= 1000 &&
    kdf.iterations <= 10_000_000 &&
    typeof kdf.salt === "string";
  if (!valid) throw new Error(`the key record is not a '${KEY_RECORD_FORMAT}' record`);
  return record as KeyRecord;
}

/** True when `recoveryPassword` unlocks the drive this record was written for. */
export function keyUnlocks(record: KeyRecord, recoveryPassword: string): boolean {
  if (recoveryPasswordProblem(recoveryPassword)) return false;
  const expected = Buffer.from(record.verifier, "base64");
  if (expected.length !== VERIFIER_BYTES) return false;
  return timingSafeEqual(expected, derive(recoveryPassword, record.kdf.salt, record.kdf.iterations));
}

function derive(recoveryPassword: string, salt: string, iterations: number): Buffer {
  return pbkdf2Sync(recoveryPassword, Buffer.from(salt, "base64"), iterations, VERIFIER_BYTES, KDF_DIGEST);
}
