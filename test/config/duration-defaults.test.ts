/**
 * Each duration's default lives once, in the settings schema (shared/config/settings.ts). The sample
 * settings, the ARM template, the Settings table (docs/settings.md) and the rules table
 * (docs/maintenance.md) repeat the values, so they are held to the schema here: a value there is
 * right when setting it changes nothing the schema gives without it.
 * Regression (issue 23): the tables moved from the README to docs/, and this test, still reading the
 * README, found no table to hold.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseSettings } from "../../shared/config/settings";
import { parseIsoDuration } from "../../shared/domain/duration";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

const sample: Record<string, string> = JSON.parse(read("local.settings.sample.json")).Values;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an ARM template, walked by hand
const template: any = JSON.parse(read("infra/azuredeploy.json"));
const templateSettings: Record<string, string> = Object.fromEntries(
  template.resources
    .filter((entry: { type: string }) => entry.type === "Microsoft.Web/sites")
    .flatMap((site: { properties: { siteConfig: { appSettings: { name: string; value: string }[] } } }) => site.properties.siteConfig.appSettings)
    .map((setting: { name: string; value: string }) => [setting.name, setting.value]),
);
const SETTINGS_PAGE = "docs/settings.md";
const RULES_PAGE = "docs/maintenance.md";
/** The Settings table: `| \`NAME\` | \`default\` | meaning |`. */
const settingsTable: Record<string, string> = Object.fromEntries([...read(SETTINGS_PAGE).matchAll(/^\| `([A-Z_]+)` \| `([^`]+)` \|/gm)].map((match) => [match[1], match[2]]));
/** The table of the rules: `| \`NAME\` (\`default\`) | …`. */
const rulesTable = [...read(RULES_PAGE).matchAll(/`([A-Z_]+)` \(`(P[^`]+)`\)/g)].map((match) => ({ name: match[1], value: match[2] }));

const isDuration = (value: string | undefined) => value !== undefined && /^P/.test(value) && parseIsoDuration(value) !== undefined;

/** The least a valid configuration needs; every duration left to its default. */
const BASE = { ImportExportStorage: "UseDevelopmentStorage=true", AUTH_MODE: "dev" };
const defaults = parseSettings(BASE);

/** Whether `value` is the schema's default for `name`: setting it changes nothing. */
function isDefault(name: string, value: string): boolean {
  return JSON.stringify(parseSettings({ ...BASE, [name]: value })) === JSON.stringify(defaults);
}

const durationNames = [...new Set([...Object.keys(settingsTable).filter((name) => isDuration(settingsTable[name])), ...Object.keys(sample).filter((name) => isDuration(sample[name]))])].sort();

test("the durations are the ones the Settings table (docs/settings.md) lists, and the sample lists each of them", () => {
  expect(durationNames).toEqual(
    expect.arrayContaining(["CREATING_JOB_LIFETIME", "SHIPPING_WAIT", "SHIPPING_RESPONSE_WINDOW", "FINISHED_JOB_RETENTION", "RETURN_ADDRESS_WAIT", "UNMATCHED_ARRIVAL_RETURN_AFTER", "UNMATCHED_ARRIVAL_DESTROY_AFTER", "LOG_SAS_LIFETIME"]),
  );
  expect(durationNames.filter((name) => !(name in settingsTable))).toEqual([]);
  expect(durationNames.filter((name) => !(name in sample))).toEqual([]);
});

test("the rules table (docs/maintenance.md) gives each deadline's default, spelled out", () => {
  expect(rulesTable.map((rule) => rule.name).sort()).toEqual(
    ["CREATING_JOB_LIFETIME", "SHIPPING_WAIT", "SHIPPING_RESPONSE_WINDOW", "FINISHED_JOB_RETENTION", "RETURN_ADDRESS_WAIT", "UNMATCHED_ARRIVAL_RETURN_AFTER", "UNMATCHED_ARRIVAL_DESTROY_AFTER"].sort(),
  );
});

test.each(durationNames)("%s: the sample, the template and the docs' tables say the schema's default", (name) => {
  const places = [
    ["local.settings.sample.json", sample[name]],
    ["infra/azuredeploy.json", templateSettings[name]],
    [`${SETTINGS_PAGE} Settings table`, settingsTable[name]],
    ...rulesTable.filter((rule) => rule.name === name).map((rule) => [`${RULES_PAGE} rules table`, rule.value]),
  ].filter((place): place is [string, string] => place[1] !== undefined);
  expect(places.filter(([, value]) => !isDefault(name, value))).toEqual([]);
});

test("the check bites: a value other than the default is seen as one", () => {
  expect(isDefault("CREATING_JOB_LIFETIME", "P14D")).toBe(true);
  expect(isDefault("CREATING_JOB_LIFETIME", "P15D")).toBe(false);
  expect(isDefault("FINISHED_JOB_RETENTION", "P30D")).toBe(false);
});
