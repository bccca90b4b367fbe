/**
 * The app settings of a local run, read as `func start` reads them: each setting from the
 * environment when it is set there, else from `local.settings.json` (or, in a clone without one,
 * `local.settings.sample.json`). One reader for `npm start`, the dev host's scripts and the two
 * tools, so each setting is decided the same way everywhere, one by one: a variable set in the
 * environment never hides the file's other settings.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "./project-root";

export interface LocalSettings {
  /** The file read (its base name), or a note that there was none. */
  file: string;
  /** Every setting: the environment's where it sets one, else the file's. */
  values: Record<string, string | undefined>;
  /** Settings of the file that the environment set otherwise: the environment wins, as with `func start`. */
  overriddenByEnvironment: string[];
}

const LOCAL_SETTINGS_FILES = ["local.settings.json", "local.settings.sample.json"];

export function readLocalSettings(environment: NodeJS.ProcessEnv = process.env, root = projectRoot()): LocalSettings {
  const file = LOCAL_SETTINGS_FILES.map((name) => path.join(root, name)).find(existsSync);
  if (!file) return { file: "(no local settings file)", values: { ...environment }, overriddenByEnvironment: [] };
  const fileValues = (JSON.parse(readFileSync(file, "utf8")).Values ?? {}) as Record<string, unknown>;
  const values: Record<string, string | undefined> = { ...environment };
  const overriddenByEnvironment: string[] = [];
  for (const [name, value] of Object.entries(fileValues)) {
    if (environment[name] === undefined) values[name] = String(value);
    else if (environment[name] !== String(value)) overriddenByEnvironment.push(name);
  }
  return { file: path.basename(file), values, overriddenByEnvironment };
}

/** Reads the local settings into `process.env` (for the composition root, which reads it), as `func start` does. */
export function loadLocalSettings(): LocalSettings {
  const settings = readLocalSettings();
  for (const [name, value] of Object.entries(settings.values)) if (value !== undefined) process.env[name] ??= value;
  return settings;
}
