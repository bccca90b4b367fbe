/**
 * Starts only the local host, with settings from the environment, and prints its URL: for the
 * benchmarks, which run the service in its own process next to Azurite, as it runs in production.
 */
import { getServices } from "../shared/service/app/composition";
import { timerDefinitions } from "../shared/service/app/timers";
import { runAsProcess, startLocalHost } from "./local-host";

async function main(): Promise<void> {
  await getServices();
  runAsProcess(await startLocalHost({ port: Number(process.env.LOCAL_HOST_PORT ?? 0), timers: timerDefinitions() }));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
