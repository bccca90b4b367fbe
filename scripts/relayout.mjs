#!/usr/bin/env node
// Moves the code into the layout by product (issue 23; docs/architecture.md draws it) and keeps every
// import working: `node scripts/relayout.mjs [--dry-run]`. Replayable and idempotent, so it can be run
// again after other branches are merged:
//   - every file at or under an old path of MOVES is moved (`git mv`; a file git does not track yet is
//     renamed), including files added there after this script was written;
//   - every relative import, export … from, require(), import() and import type of the repository's
//     .ts/.mjs/.js files is resolved to the file it names, and rewritten when that file or the
//     importing one moved, in the specifier's own style (with or without an extension);
//   - mentions of the old paths (`shared/copy/…`) in the config files, the scripts, README.md,
//     docs/*.md and the code's comments are rewritten.
// A second run finds nothing at the old paths and every import already right, and changes nothing.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** This script, whose table names the old paths on purpose: never rewritten. */
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join("/");
const ts = createRequire(import.meta.url)("typescript");

/**
 * The one mapping, old path to new: a folder (ending in "/") moves with everything under it, a file
 * moves alone. A file's own entry wins over its folder's.
 */
const MOVES = [
  // The service: the Functions app.
  ["shared/api/", "shared/service/api/"],
  ["shared/app/services.ts", "shared/service/app/composition.ts"],
  ["shared/app/", "shared/service/app/"],
  ["shared/auth/issuers.ts", "shared/domain/issuers.ts"],
  ["shared/auth/", "shared/service/auth/"],
  ["shared/jobs/", "shared/service/operations/"],
  // The file formats the agent, the drive tool and the service share.
  ["shared/copy/copy-log.ts", "shared/formats/copy-log.ts"],
  ["shared/copy/copy-log-names.ts", "shared/formats/copy-log-names.ts"],
  ["shared/drive/drive-fs.ts", "shared/drive-access/drive-fs.ts"],
  ["shared/drive/bounded-read.ts", "shared/drive-access/bounded-read.ts"],
  ["shared/drive/prepare-drive.ts", "shared/drive-tool/prepare-drive.ts"],
  ["shared/drive/", "shared/formats/"],
  // The customer's account, as the service, the agent and the drive tool all list it.
  ["shared/copy/export-selection.ts", "shared/storage/export-selection.ts"],
  // The customer's drive tool (`npm run drive`) and the data-center agent (`npm run datacenter`).
  ["shared/copy/repair.ts", "shared/drive-tool/repair.ts"],
  ["shared/copy/", "shared/datacenter-agent/"],
];

/** Where the code lives whose imports are rewritten. */
const CODE_FOLDERS = ["shared", "functions", "devhost", "cli", "bench", "portal", "test", "scripts", "examples"];
const CODE_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];
/** Files that name paths as text. */
const TEXT_FILES = ["package.json", "jest.config.js", "eslint.config.mjs", ".funcignore", ".dependency-cruiser.cjs", "README.md"];
const TEXT_PATTERNS = [/^tsconfig.*\.json$/, /^portal\/tsconfig.*\.json$/, /^docs\/.*\.md$/, /^scripts\//];

const dryRun = process.argv.includes("--dry-run");

/** The new path of a repository-relative path (itself when nothing maps it). */
function mapPath(file) {
  let best;
  for (const [from, to] of MOVES) {
    const matches = from.endsWith("/") ? file.startsWith(from) : file === from;
    if (matches && (!best || from.length > best[0].length)) best = [from, to];
  }
  return best ? best[1] + file.slice(best[0].length) : file;
}

function main() {
  const files = repositoryFiles();
  const moved = new Map(files.filter((file) => mapPath(file) !== file).map((file) => [file, mapPath(file)]));
  const exists = new Set(files);

  // Rewrite in memory first, against the old tree, where every specifier still resolves.
  const contents = new Map();
  let importsRewritten = 0;
  for (const file of files.filter(isCode)) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const { text: next, count } = rewriteImports(file, text, exists);
    importsRewritten += count;
    const mentioned = rewriteMentions(next);
    if (mentioned !== text) contents.set(file, mentioned);
  }
  for (const file of files.filter(isTextFile)) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const next = rewriteMentions(text);
    if (next !== text) contents.set(file, next);
  }

  const tracked = new Set(git(["ls-files"]).split("\n").filter(Boolean));
  for (const [from, to] of moved) {
    console.log(`move ${from} -> ${to}`);
    if (dryRun) continue;
    mkdirSync(path.dirname(path.join(ROOT, to)), { recursive: true });
    if (tracked.has(from)) git(["mv", from, to]);
    else renameSync(path.join(ROOT, from), path.join(ROOT, to));
  }
  for (const [file, text] of contents) {
    const target = moved.get(file) ?? file;
    console.log(`rewrite ${target}`);
    if (!dryRun) writeFileSync(path.join(ROOT, target), text);
  }
  if (!dryRun) for (const from of moved.keys()) removeEmptyFolders(path.dirname(from));
  console.log(`${moved.size} file(s) moved, ${importsRewritten} import(s) rewritten, ${contents.size} file(s) changed${dryRun ? " (dry run: nothing written)" : ""}`);
}

/** A folder the move emptied goes, and its parents with it while they are empty (git keeps no folders). */
function removeEmptyFolders(folder) {
  for (let current = folder; current !== "." && existsSync(path.join(ROOT, current)) && readdirSync(path.join(ROOT, current)).length === 0; current = path.dirname(current)) {
    rmdirSync(path.join(ROOT, current));
  }
}

/** Tracked files and new ones git does not ignore (so a file not committed yet moves too). */
function repositoryFiles() {
  const listed = git(["ls-files", "--cached", "--others", "--exclude-standard"]).split("\n").filter(Boolean);
  return [...new Set(listed)].filter((file) => file !== SELF && existsSync(path.join(ROOT, file)) && statSync(path.join(ROOT, file)).isFile()).sort();
}

function isCode(file) {
  return CODE_FOLDERS.some((folder) => file.startsWith(`${folder}/`)) && CODE_EXTENSIONS.includes(path.extname(file)) && !file.endsWith(".d.ts");
}

function isTextFile(file) {
  return !isCode(file) && (TEXT_FILES.includes(file) || TEXT_PATTERNS.some((pattern) => pattern.test(file)));
}

/**
 * Every relative module specifier of `file`, rewritten to where its target is after the move, seen
 * from where `file` is after the move. Edits are applied from the end, so positions hold.
 */
function rewriteImports(file, text, exists) {
  const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const edits = [];
  const visit = (node) => {
    const literal = specifierOf(node);
    if (literal && literal.text.startsWith(".")) {
      const replacement = rewrittenSpecifier(file, literal.text, exists);
      if (replacement !== undefined && replacement !== literal.text) {
        const quote = text[literal.getStart(source)];
        edits.push({ start: literal.getStart(source), end: literal.getEnd(), text: `${quote}${replacement}${quote}` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let next = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) next = next.slice(0, edit.start) + edit.text + next.slice(edit.end);
  return { text: next, count: edits.length };
}

/** The string literal naming a module: import/export from, require(), import(), jest.mock() and its kin, import("…") types. */
function specifierOf(node) {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) return node.moduleReference.expression;
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) return node.argument.literal;
  if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
    const callee = node.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) return node.arguments[0];
    if (ts.isIdentifier(callee) && callee.text === "require") return node.arguments[0];
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ["jest", "require"].includes(callee.expression.text)) {
      if (["mock", "doMock", "unmock", "requireActual", "requireMock", "resolve"].includes(callee.name.text)) return node.arguments[0];
    }
  }
  return undefined;
}

/**
 * The specifier after the move, or undefined when it names no file of the repository (left as it is).
 * Its style is kept: no extension, a `.js` extension for a `.ts` file, an exact file name, or a folder's index.
 */
function rewrittenSpecifier(file, specifier, exists) {
  const from = path.posix.dirname(file);
  const base = path.posix.normalize(path.posix.join(from, specifier));
  const candidates = [
    [base, (target) => target],
    ...CODE_EXTENSIONS.concat(".json").map((extension) => [base + extension, (target) => stripExtension(target, extension)]),
    ...(/\.[cm]?js$/.test(base) ? [".ts", ".mts", ".cts"].map((extension) => [base.replace(/\.[cm]?js$/, extension), (target) => target.replace(/\.[cm]?ts$/, path.posix.extname(base))]) : []),
    ...CODE_EXTENSIONS.map((extension) => [`${base}/index${extension}`, (target) => path.posix.dirname(target)]),
  ];
  const found = candidates.find(([candidate]) => exists.has(candidate));
  if (!found) return undefined;
  const [target, style] = found;
  const newFile = mapPath(file);
  const newTarget = mapPath(target);
  if (newFile === file && newTarget === target) return specifier;
  const relative = path.posix.relative(path.posix.dirname(newFile), style(newTarget));
  return relative.startsWith(".") ? relative : `./${relative}`;
}

function stripExtension(target, extension) {
  return target.slice(0, -extension.length);
}

/**
 * Mentions of an old path in text, most specific first: `shared/copy/repair.ts` before `shared/copy/`.
 * A file is also recognised without its extension (`shared/app/services`), or with `.js` (as in dist/).
 */
function rewriteMentions(text) {
  const escape = (value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const alternatives = [...MOVES]
    .sort(([a], [b]) => b.length - a.length)
    .map(([from]) =>
      from.endsWith("/")
        ? `${escape(from.slice(0, -1))}(?:/|(?![\\w.-]))`
        : `${escape(stemOf(from))}(?:${escape(path.posix.extname(from))}|\\.js)?(?![\\w-]|\\.\\w)`,
    );
  const pattern = new RegExp(`(?<![\\w.-])(?:${alternatives.join("|")})`, "g");
  return text.replace(pattern, (mention) => {
    const file = MOVES.find(([from]) => !from.endsWith("/") && [from, stemOf(from), `${stemOf(from)}.js`].includes(mention));
    if (file) return stemOf(file[1]) + mention.slice(stemOf(file[0]).length);
    const [, to] = MOVES.find(([from]) => from === mention || from === `${mention}/`);
    return mention.endsWith("/") ? to : to.slice(0, -1);
  });
}

function stemOf(file) {
  return file.slice(0, -path.posix.extname(file).length);
}

function git(args) {
  return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
