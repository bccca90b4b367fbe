/**
 * The copy agent's hashing threads: each block's own MD5 on one, the running MD5 of whole files on
 * the other, in shared buffers, so the import's two hashes of every byte go side by side.
 */
import { createHash, randomBytes } from "node:crypto";
import { Md5Worker } from "../../shared/datacenter-agent/md5-worker";

const md5 = (...parts: Buffer[]) => parts.reduce((hash, part) => hash.update(part), createHash("md5")).digest("hex");

function shared(bytes: Buffer): Buffer {
  const buffer = Md5Worker.blockBuffer(bytes.length);
  bytes.copy(buffer);
  return buffer;
}

test("a block's MD5 and two files' running MD5s, their blocks interleaved, come out as hashing them apart would", async () => {
  const hasher = new Md5Worker();
  try {
    const first = [randomBytes(300_000), randomBytes(1), randomBytes(65_537)];
    const second = [randomBytes(70_000), randomBytes(12)];
    const blockDigests: Promise<Buffer>[] = [];
    const updates: Promise<void>[] = [];
    for (let index = 0; index < 3; index++) {
      for (const [id, blocks] of [["first", first], ["second", second]] as const) {
        const block = blocks[index];
        if (!block) continue;
        // Both hashes of one buffer at once, as the import asks for them.
        const buffer = shared(block);
        blockDigests.push(hasher.blockDigest(buffer));
        updates.push(hasher.update(id, buffer));
      }
    }
    await Promise.all(updates);
    expect((await hasher.digest("first")).toString("hex")).toBe(md5(...first));
    expect((await hasher.digest("second")).toString("hex")).toBe(md5(...second));
    expect((await Promise.all(blockDigests)).map((digest) => digest.toString("hex"))).toEqual([first[0], second[0], first[1], second[1], first[2]].map((block) => md5(block)));
  } finally {
    await hasher.close();
  }
});

test("a file with no blocks has the MD5 of nothing, and a digest starts the id afresh", async () => {
  const hasher = new Md5Worker();
  try {
    expect((await hasher.digest("empty")).toString("hex")).toBe(md5());
    await hasher.update("again", shared(Buffer.from("one")));
    await hasher.digest("again");
    await hasher.update("again", shared(Buffer.from("two")));
    expect((await hasher.digest("again")).toString("hex")).toBe(md5(Buffer.from("two")));
  } finally {
    await hasher.close();
  }
});
