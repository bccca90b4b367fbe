/**
 * The one reader of a local run's settings (npm start, the dev host's scripts, the two tools): each
 * setting from the environment when set there, else from local.settings.json, else the sample.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readLocalSettings } from "../../shared/config/local-settings";

let root: string;
beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "local-settings-"))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

const write = (name: string, values: Record<string, string>) => writeFileSync(path.join(root, name), JSON.stringify({ IsEncrypted: false, Values: values }));

test("setting by setting: one variable in the environment leaves the file's other settings (regression: it hid the whole file)", () => {
  write("local.settings.json", { CUSTOMER_BLOB_ENDPOINT: "http://127.0.0.1:10000/{account}", CUSTOMER_ACCOUNT_KEYS: "demostore:a2V5" });
  const settings = readLocalSettings({ CUSTOMER_BLOB_ENDPOINT: "http://127.0.0.1:20000/{account}" }, root);
  expect(settings.values).toEqual({ CUSTOMER_BLOB_ENDPOINT: "http://127.0.0.1:20000/{account}", CUSTOMER_ACCOUNT_KEYS: "demostore:a2V5" });
  expect(settings).toMatchObject({ file: "local.settings.json", overriddenByEnvironment: ["CUSTOMER_BLOB_ENDPOINT"] });
});

test("an empty variable is set: it wins over the file (CUSTOMER_ACCOUNT_KEYS= turns the keys off)", () => {
  write("local.settings.json", { CUSTOMER_ACCOUNT_KEYS: "demostore:a2V5" });
  expect(readLocalSettings({ CUSTOMER_ACCOUNT_KEYS: "" }, root).values.CUSTOMER_ACCOUNT_KEYS).toBe("");
});

test("local.settings.json when there is one, else the sample, else the environment alone", () => {
  write("local.settings.sample.json", { A: "sample" });
  expect(readLocalSettings({}, root)).toMatchObject({ file: "local.settings.sample.json", values: { A: "sample" } });
  write("local.settings.json", { A: "mine" });
  expect(readLocalSettings({}, root)).toMatchObject({ file: "local.settings.json", values: { A: "mine" } });
  rmSync(path.join(root, "local.settings.json"));
  rmSync(path.join(root, "local.settings.sample.json"));
  expect(readLocalSettings({ B: "env" }, root)).toEqual({ file: "(no local settings file)", values: { B: "env" }, overriddenByEnvironment: [] });
});
