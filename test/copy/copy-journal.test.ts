/**
 * The copy agent's resume journal: what a run killed at any moment leaves for the next one. Plain
 * creations may wait for their batch (a resumed import finds them again in the account); every other
 * outcome, and every export file, is on disk once recorded.
 */
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CopyJournal, JournalEntry } from "../../shared/datacenter-agent/copy-journal";

const stateDirs: string[] = [];
afterAll(() => stateDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "copy-journal-"));
  stateDirs.push(dir);
  return dir;
}

const entry = (index: number): JournalEntry => ({ index, bytes: 8192, log: { status: "Completed", blobPath: `c/b${index}`, filePath: `c/b${index}`, length: 8192 } });

test("an outcome that cannot be told again is readable at once by a run that starts after a kill; plain creations wait for their batch", () => {
  const dir = stateDir();
  const journal = CopyJournal.at(dir, "drive");
  journal.record(entry(0), true);
  journal.record(entry(1), false);
  journal.record(entry(2), true);
  // Nothing closed or flushed, as after a kill: a second reader sees what is on disk.
  expect([...CopyJournal.at(dir, "drive").read().keys()].sort()).toEqual([0, 1]);
  journal.close();
  expect([...CopyJournal.at(dir, "drive").read().keys()].sort()).toEqual([0, 1, 2]);
});

test("a journal closed at the end of a run takes records again on the resumed run, and a torn last line is ignored", () => {
  const dir = stateDir();
  const first = CopyJournal.at(dir, "drive");
  first.record(entry(0), false);
  first.close();
  const resumed = CopyJournal.at(dir, "drive");
  resumed.record(entry(1), false);
  resumed.close();
  appendFileSync(path.join(dir, "drive.jsonl"), '{"index":2,"bytes":81');
  expect(CopyJournal.at(dir, "drive").read()).toEqual(
    new Map([
      [0, entry(0)],
      [1, entry(1)],
    ]),
  );
});

test("a reset drops the file and anything pending, open or not", () => {
  const dir = stateDir();
  const journal = CopyJournal.at(dir, "drive");
  journal.record(entry(0), false);
  journal.record(entry(1), true);
  journal.reset();
  expect(existsSync(path.join(dir, "drive.jsonl"))).toBe(false);
  journal.record(entry(2), false);
  expect([...CopyJournal.at(dir, "drive").read().keys()]).toEqual([2]);
  journal.close();
});

test("a record after a torn last line is a line of its own (bug: it was joined to the torn one and lost on resume)", async () => {
  const dir = stateDir();
  const first = CopyJournal.at(dir, "drive");
  first.record(entry(0), false);
  first.close();
  appendFileSync(path.join(dir, "drive.jsonl"), '{"index":1,"bytes":81');
  const resumed = CopyJournal.at(dir, "drive");
  resumed.record(entry(2), false);
  resumed.close();

  expect([...CopyJournal.at(dir, "drive").read().keys()]).toEqual([0, 2]);
  const streamed: number[] = [];
  for await (const recorded of CopyJournal.at(dir, "drive").entries()) streamed.push(recorded.index);
  expect(streamed).toEqual([0, 2]);
});
