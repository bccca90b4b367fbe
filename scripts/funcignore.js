#!/usr/bin/env node
// Writes the list of production packages at the end of .funcignore from package-lock.json: the
// packages a Core Tools publish keeps out of node_modules/ are everything else (the dev
// dependencies). Run it after a dependency changes; test/infra/funcignore.test.ts says when.
const { readFileSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const FILE = path.join(ROOT, ".funcignore");
const MARKER = "# The production packages (written by `node scripts/funcignore.js` from package-lock.json):";

/** Each package npm installs for production, as a top-level folder of node_modules/ (nested ones ship with it). */
function productionPackages() {
  const { packages } = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  return Object.entries(packages)
    .filter(([folder, entry]) => folder !== "" && !entry.dev && !/node_modules\/.*node_modules\//.test(folder))
    .map(([folder]) => folder)
    .sort();
}

function funcignoreText() {
  const current = readFileSync(FILE, "utf8");
  const head = current.slice(0, current.indexOf(MARKER));
  // A trailing '/': Core Tools matches prefixes, and `node_modules/cookie` would also let in `node_modules/cookie-signature`.
  return `${head}${MARKER}\n${productionPackages().map((folder) => `!${folder}/`).join("\n")}\n`;
}

module.exports = { funcignoreText, productionPackages };

if (require.main === module) {
  writeFileSync(FILE, funcignoreText());
  console.log(`.funcignore: ${productionPackages().length} production packages`);
}
