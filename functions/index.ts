/**
 * The app's entry (package.json `main`). Settings are validated here, at load time, so the host
 * refuses to start with a message naming a missing or malformed setting; then every function file
 * registers its triggers.
 */
import { getSettings } from "../shared/app/services";

getSettings();

import "./http-api";
import "./maintenance";
