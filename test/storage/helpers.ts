/**
 * The storage suites' clients, built as production builds them (shared/storage/clients.ts), so the
 * adapters under test run with the storage call policy: deadline, counting, error translation.
 */
import { TableClient } from "@azure/data-tables";
import { parseSettings, Settings } from "../../shared/config/settings";
import { createTableClient } from "../../shared/storage/clients";

/** Settings for the run's Azurite; `overrides` as app settings (STORAGE_TIMEOUT_MS…). */
export function storageSettings(overrides: Record<string, string> = {}): Settings {
  return parseSettings({ ImportExportStorage: process.env.TEST_STORAGE_CONNECTION_STRING, AUTH_MODE: "dev", ...overrides });
}

export function tableClient(tableName: string, settings: Settings = storageSettings()): TableClient {
  return createTableClient(settings, tableName);
}
