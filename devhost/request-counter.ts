/**
 * Counts this process's outgoing HTTP requests: the service makes none but storage calls, so this is
 * its storage transaction count. Used by the local host's `GET /admin/storage-requests`, which the
 * benchmarks read to check, for example, that Get Job costs exactly one transaction.
 */
import diagnostics from "node:diagnostics_channel";

let count = 0;
let subscribed = false;

export function startCountingStorageRequests(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe("http.client.request.start", () => {
    count++;
  });
}

export function storageRequestCount(): number {
  return count;
}
