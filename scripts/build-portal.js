#!/usr/bin/env node
// Builds the portal (portal/: the customer status page and the operator console) into dist/portal/:
// each page's TypeScript bundled by esbuild into one minified script, the stylesheet minified, the
// HTML copied. `npm run build` runs it after tsc; the browser tests call buildPortal() themselves.
const { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
const source = path.join(root, "portal");

/**
 * @param {{ outdir?: string }} [options]
 * @returns {Promise<{ outdir: string, files: string[] }>}
 */
async function buildPortal(options = {}) {
  const outdir = options.outdir ?? path.join(root, "dist", "portal");
  mkdirSync(outdir, { recursive: true });
  // Built beside the folder, then each file renamed into it: a page served during a rebuild (tests
  // build in parallel workers, `npm run build` while `npm start` serves) never reads half a file.
  const staging = mkdtempSync(path.join(path.dirname(outdir), ".portal-build-"));
  try {
    await build(staging);
    for (const file of readdirSync(staging)) renameSync(path.join(staging, file), path.join(outdir, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { outdir, files: readdirSync(outdir) };
}

async function build(outdir) {
  await esbuild.build({
    entryPoints: {
      customer: path.join(source, "src", "customer.ts"),
      operator: path.join(source, "src", "operator.ts"),
      portal: path.join(source, "portal.css"),
    },
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: "linked",
    tsconfig: path.join(source, "tsconfig.json"),
    logLevel: "warning",
  });
  for (const file of readdirSync(source).filter((name) => name.endsWith(".html"))) {
    copyFileSync(path.join(source, file), path.join(outdir, file));
  }
}

module.exports = { buildPortal };

if (require.main === module) {
  buildPortal().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
