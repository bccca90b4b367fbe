/**
 * Starts only the local host, with settings from the environment, and prints its URL: for the
 * benchmarks, which run the service in its own process next to Azurite, as it runs in production.
 */
import { getServices } from "../shared/app/services";
import { timerDefinitions } from "../shared/app/timers";
import { startLocalHost } from "./local-host";

async function main(): Promise<void> {
  await getServices();
  const host = await startLocalHost({ port: Number(process.env.LOCAL_HOST_PORT ?? 0), timers: timerDefinitions() });
  console.log(`listening ${host.url}`);
  const stop = () => host.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
