/** Registers the maintenance timers of the shared timer table (see shared/service/app/timers.ts). */
import { app } from "@azure/functions";
import { timerDefinitions, timerHandler } from "../shared/service/app/timers";

for (const timer of timerDefinitions()) {
  app.timer(timer.name, { schedule: timer.schedule, runOnStartup: timer.runOnStartup, handler: timerHandler(timer) });
}
