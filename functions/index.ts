/**
 * The app's entry (package.json `main`): telemetry first (./telemetry: nothing unless Application
 * Insights is configured), then every function file registers its triggers from the shared tables,
 * and nothing heavier is loaded until a function first runs. The settings are validated when the app
 * starts, so the host refuses to start with a message naming a missing or malformed setting.
 */
import "./telemetry";
import { app } from "@azure/functions";
import "./http-api";
import "./maintenance";

app.hook.appStart(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("../shared/service/app/composition") as typeof import("../shared/service/app/composition")).getSettings();
});
