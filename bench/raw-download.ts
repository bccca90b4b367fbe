/**
 * The export benchmark's floor: a plain `@azure/storage-blob` download of the same blobs with the
 * same parallelism, in its own process as the agent runs in its own: the container is listed, then
 * one blob goes as `parallelism` ranged `downloadToBuffer` calls of 4 MiB at a time written in place,
 * many small blobs go `parallelism` at a time with `downloadToFile` (one Get Blob each), every blob
 * to a file `<out>/<container>/<name>`.
 *
 *   node dist/bench/raw-download.js <connectionString> <container> <parallelism> <blockSize> <outDir>
 */
import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";

async function main(): Promise<void> {
  const [connectionString, containerName, parallelismText, blockSizeText, outDir] = process.argv.slice(2);
  const parallelism = Number(parallelismText);
  const blockSize = Number(blockSizeText);
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const blobs: { name: string; length: number }[] = [];
  for await (const item of container.listBlobsFlat()) blobs.push({ name: item.name, length: item.properties.contentLength ?? 0 });
  mkdirSync(path.join(outDir, containerName), { recursive: true });
  if (blobs.length === 1) {
    const [{ name, length }] = blobs;
    const file = await open(path.join(outDir, containerName, name), "w");
    let offset = 0;
    const ranges = async () => {
      for (let at = offset; at < length; at = offset) {
        offset += blockSize;
        const buffer = await container.getBlobClient(name).downloadToBuffer(at, Math.min(blockSize, length - at));
        await file.write(buffer, 0, buffer.length, at);
      }
    };
    await Promise.all(Array.from({ length: parallelism }, ranges));
    await file.close();
    return;
  }
  const names = blobs.map((blob) => blob.name);
  let next = 0;
  const worker = async () => {
    for (let name = names[next++]; name !== undefined; name = names[next++]) {
      await container.getBlobClient(name).downloadToFile(path.join(outDir, containerName, name));
    }
  };
  await Promise.all(Array.from({ length: parallelism }, worker));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
