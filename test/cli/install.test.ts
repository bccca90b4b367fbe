/**
 * The tools as installed commands: every `bin` of package.json is a built file that runs as it is
 * (a `#!/usr/bin/env node` line, executable) and answers `--help`, directly and through `npm exec`
 * (what `npx importexport-drive` runs in a clone). The build is the real one, `--if-stale` as the
 * npm scripts and `npm install` run it: nothing to do when dist/ is current (as after `npm ci`),
 * a tsc build otherwise. Built once: running the command again does not build.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.join(__dirname, "..", "..");
const run = promisify(execFile);
const bins = Object.entries(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).bin as Record<string, string>);

beforeAll(async () => {
  await run(process.execPath, ["scripts/build.js", "--if-stale"], { cwd: ROOT, timeout: 170_000 });
}, 180_000);

test("the tools are installed commands, named for the service so they clash with no other", () => {
  expect(bins.map(([name]) => name)).toEqual(expect.arrayContaining(["importexport-drive", "importexport-datacenter"]));
  for (const [name] of bins) expect(name).toMatch(/^importexport-[a-z]+$/);
});

test.each(bins)("%s: %s is built, starts with a node shebang, is executable, and answers --help", async (name, file) => {
  const built = path.join(ROOT, file);
  expect(readFileSync(built, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  expect(() => accessSync(built, constants.X_OK)).not.toThrow();
  const { stdout, stderr } = await run(built, ["--help"], { cwd: ROOT, timeout: 20_000 });
  expect(stderr).toBe("");
  expect(stdout).toMatch(new RegExp(`^Usage: ${name} <command> \\[options\\]\n`));
});

test("npm exec (npx) finds the project's own command, and the npm script runs the built file without building again", async () => {
  const exec = await run("npm", ["exec", "--offline", "--", "importexport-drive", "prepare", "--help"], { cwd: ROOT, timeout: 60_000 });
  expect(exec.stdout).toMatch(/^Usage: importexport-drive prepare --drive /);
  const builtAt = statSync(path.join(ROOT, "dist", "cli", "drive.js")).mtimeMs;
  const script = await run("npm", ["run", "--silent", "drive", "--", "preview-export", "--help"], { cwd: ROOT, timeout: 60_000 });
  expect(script.stdout).toMatch(/^Usage: importexport-drive preview-export --account /);
  // Regression: every `npm run drive` ran tsc and the portal build first (17 s for a 3-byte prepare).
  expect(statSync(path.join(ROOT, "dist", "cli", "drive.js")).mtimeMs).toBe(builtAt);
}, 130_000);
