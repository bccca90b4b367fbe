/**
 * `npm run notifications`: prints the messages waiting on the notification queue (Azurite locally).
 * By default it only peeks; `-- --take` also removes them, as a real consumer would.
 */
import { getServices } from "../shared/app/services";
import { loadLocalSettings } from "./start";

async function main(): Promise<void> {
  loadLocalSettings();
  const take = process.argv.includes("--take");
  const { notifications } = await getServices();
  const messages = take ? await notifications.receive(32) : await notifications.peek(32);
  if (messages.length === 0) console.log("No messages waiting.");
  for (const message of messages) {
    console.log(`${message.at} [${message.type}/${message.kind} → ${message.audience}${message.contactEmail ? ` <${message.contactEmail}>` : ""}] ${message.message}  (id ${message.id})`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
