/** What a copy run makes once and reuses, shared by the import and the export. */
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";

/**
 * Each key's work (a container created, a folder made) started once per run and shared by every
 * caller; a failure is forgotten, so the next caller starts it again.
 */
export class OncePerKey<T = unknown> {
  private readonly started = new Map<string, Promise<T>>();

  run(key: string, start: () => Promise<T>): Promise<T> {
    let promise = this.started.get(key);
    if (!promise) {
      promise = start();
      // Only forgets the failure: each caller gets it through the promise it was given.
      promise.catch(() => this.started.delete(key));
      this.started.set(key, promise);
    }
    return promise;
  }
}

/** One client per container for the run: building one per blob costs more than the blob's own client. */
export function containerClients(client: BlobServiceClient): (name: string) => ContainerClient {
  const clients = new Map<string, ContainerClient>();
  return (name) => {
    let container = clients.get(name);
    if (!container) clients.set(name, (container = client.getContainerClient(name)));
    return container;
  };
}
