#!/usr/bin/env node
// `npm run build`: compiles the app with tsc (tsconfig.build.json) into dist/, the portal into
// dist/portal/ (scripts/build-portal.js), makes the installed commands (package.json `bin`)
// executable, and stamps the build (dist/.build-stamp, dated when the build started).
//
// `--if-stale`: builds only when a source is newer than that stamp, else does nothing in a few
// milliseconds. The npm scripts that run a program (`npm start`, `npm run drive`...) start with it,
// so a program runs the current sources without paying for tsc on every call; `npm install` runs it
// as `prepare`, so a fresh clone's commands (`npx importexport-drive`) are there after install. An
// install without the dev dependencies (`npm ci --omit=dev`, for a deployment built beforehand)
// has no tsc, and leaves dist/ as it is.
const { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
const stamp = path.join(dist, ".build-stamp");

/** What the build reads: the folders tsc compiles (from tsconfig.build.json, so a moved folder needs no edit here), the portal, the build's own files. */
function sources() {
  const config = JSON.parse(readFileSync(path.join(root, "tsconfig.build.json"), "utf8"));
  const folders = new Set((config.include ?? []).map((pattern) => pattern.split("/")[0]));
  return [...folders, "portal", "tsconfig.json", "tsconfig.build.json", "scripts/build.js", "scripts/build-portal.js"].map((name) => path.join(root, name));
}

/** The newest modification time below `file`, folders included (a deleted or renamed file changes its folder's). */
function newest(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const entry of readdirSync(file, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    latest = Math.max(latest, newest(path.join(file, entry.name)));
  }
  return latest;
}

function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return sources().some((source) => newest(source) > built);
}

/** npm makes a bin executable when it links it; a build does too, so `dist/cli/drive.js` runs as it is. */
function makeBinsExecutable() {
  const bins = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).bin ?? {};
  for (const file of Object.values(bins)) {
    const target = path.join(root, file);
    if (existsSync(target)) chmodSync(target, 0o755);
  }
}

async function build() {
  const started = new Date();
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  await require("./build-portal.js").buildPortal();
  makeBinsExecutable();
  mkdirSync(dist, { recursive: true });
  writeFileSync(stamp, `${started.toISOString()}\n`);
  // Dated when the build started: a source saved during the build is newer, so the next run builds again.
  utimesSync(stamp, started, started);
}

async function main() {
  const ifStale = process.argv.includes("--if-stale");
  if (ifStale) {
    if (!isStale()) return makeBinsExecutable();
    try {
      require.resolve("typescript/bin/tsc");
    } catch {
      // No dev dependencies (npm ci --omit=dev): dist/ is whatever the deployment built beforehand.
      console.error("build: no TypeScript compiler here (dev dependencies not installed); dist/ left as it is.");
      return;
    }
    console.error("build: the sources changed since the last build (or there is none): building dist/ ...");
  }
  await build();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
