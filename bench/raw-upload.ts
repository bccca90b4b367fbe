/**
 * The copy benchmark's floor: a plain `@azure/storage-blob` upload of the same files with the same
 * parallelism, in its own process as the agent runs in its own. A large file goes through
 * `uploadFile` (parallel blocks); many small files go `parallelism` at a time, one Put Blob each.
 *
 *   node dist/bench/raw-upload.js <connectionString> <container> <parallelism> <blockSize> <file>...
 *   (or @<listFile> with one file per line, for many files)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";

async function main(): Promise<void> {
  const [connectionString, containerName, parallelismText, blockSizeText, ...rest] = process.argv.slice(2);
  const parallelism = Number(parallelismText);
  const blockSize = Number(blockSizeText);
  const files = rest.length === 1 && rest[0].startsWith("@") ? readFileSync(rest[0].slice(1), "utf8").split("\n").filter(Boolean) : rest;
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  await container.createIfNotExists();
  let next = 0;
  const worker = async () => {
    for (let file = files[next++]; file !== undefined; file = files[next++]) {
      await container.getBlockBlobClient(path.basename(path.dirname(file)) + "/" + path.basename(file)).uploadFile(file, { blockSize, concurrency: parallelism });
    }
  };
  const workers = files.length === 1 ? 1 : parallelism;
  await Promise.all(Array.from({ length: workers }, worker));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
