/**
 * `npm run notifications`: prints the messages waiting on the notification queue (Azurite locally).
 * By default it only peeks; `-- --take` also removes them, as a real consumer would. Starts Azurite
 * for the run if the settings use it and it isn't up, as `npm run sweep` does.
 */
import { getServices } from "../shared/app/services";
import { CliSpec, parseCommandLine } from "../cli/args";
import { loadLocalSettings } from "../shared/config/local-settings";
import { ensureLocalStorage, stopOnInterrupt } from "./start";

const NOTIFICATIONS_CLI: CliSpec = {
  command: "npm run notifications --",
  summary:
    "Prints up to 32 messages waiting on the notification queue (NOTIFICATIONS_QUEUE_NAME) of the storage in\n" +
    "local.settings.json (else the sample), oldest first. Starts Azurite for the run if it isn't up.",
  options: {
    take: { type: "boolean", description: "also remove the messages printed, as a real consumer would (default: only peek)" },
  },
};

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), NOTIFICATIONS_CLI);
  loadLocalSettings();
  const azurite = await ensureLocalStorage((line) => console.error(line));
  stopOnInterrupt(azurite);
  try {
    const { notifications } = await getServices();
    const messages = args.take ? await notifications.receive(32) : await notifications.peek(32);
    if (messages.length === 0) console.log("No messages waiting.");
    for (const message of messages) {
      console.log(`${message.at} [${message.type}/${message.kind} → ${message.audience}${message.contactEmail ? ` <${message.contactEmail}>` : ""}] ${message.message}  (id ${message.id})`);
    }
  } finally {
    await azurite?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
