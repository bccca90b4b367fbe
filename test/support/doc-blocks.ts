/**
 * The code blocks of the README and docs/, read as a reader would paste them, and checked by kind
 * (test/docs/code-blocks.test.ts): shell commands name scripts, programs, options and routes that
 * exist, request bodies pass the handlers' own zod schemas, JSON parses, JavaScript lints and
 * type-checks as a file of examples/ would. A block no check applies to must say so with
 * `<!-- not-checked: <why> -->` on the line before it (or be ```text): an unmarked block that no
 * check understands is a failure, so nothing a reader pastes goes unchecked by accident.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";
import ts from "typescript";
import { z } from "zod";
import { compileTemplate } from "../../shared/service/api/route-template";
import { routes } from "../../shared/service/api/routes";
import { patchJobBody, putJobBody, subscriptionNotificationBody } from "../../shared/service/api/schemas";
import { arrivalBody, arrivalEventBody, attachArrivalBody, claimBody, operatorEventBody } from "../../shared/service/api/operator-schemas";
import { timerDefinitions } from "../../shared/service/app/timers";
import { JOB_STATES, JOB_TRANSITIONS } from "../../shared/domain/job-state-machine";
import { DRIVE_STATES, DRIVE_TRANSITIONS } from "../../shared/domain/drive-state-machine";
import { parseDatasetCsv } from "../../shared/formats/dataset-csv";
import { parseExportBlobList } from "../../shared/formats/export-blob-list";

export const ROOT = path.join(__dirname, "..", "..");

export interface CodeBlock {
  /** Relative to the repository: `README.md`, `docs/data-plane.md`. */
  file: string;
  /** The line of the opening fence, 1-based. */
  line: number;
  lang: string;
  text: string;
  /** Why it is not checked, from `<!-- not-checked: … -->` (or `text`: output). */
  notChecked?: string;
}

/** README.md and every page of docs/. */
export function documentationFiles(): string[] {
  const docs = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "docs/*.md"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((file) => file && existsSync(path.join(ROOT, file)));
  return ["README.md", ...docs.sort()];
}

/** The fenced blocks of a markdown text, with the marker on the line before each, if any. */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let at = 0; at < lines.length; at++) {
    const open = /^(\s*)(```+)\s*([\w-]*)\s*$/.exec(lines[at]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let end = at + 1;
    while (end < lines.length && lines[end].trim() !== fence) body.push(lines[end++].slice(indent.length));
    const before = lines.slice(0, at).reverse().find((line) => line.trim() !== "") ?? "";
    const marker = /^\s*<!--\s*not-checked:\s*(.*?)\s*-->\s*$/.exec(before);
    blocks.push({ file, line: at + 1, lang, text: body.join("\n"), notChecked: marker ? marker[1] || "(no reason given)" : lang === "text" ? "output" : undefined });
    at = end;
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Shell: a small reader of the bash that documentation uses (quotes, $VAR, $(…), pipes, &&, ;,
// continuation lines, one-line functions, for loops), enough to find each command and its words.

/** A value known only when the reader runs the step before (a command's output): `$(…)`. */
const computed = (name: string) => `<computed:${name}>`;

/**
 * What a reader has from an earlier step, where a request body needs it whole: the drive tool's
 * printed driveList entry and drive id, and the first session's subscription (pages that go on from
 * it use `$SUB` without defining it again).
 */
export const EARLIER_OUTPUTS: Record<string, string> = {
  SUB: "00000000-0000-0000-0000-000000000001",
  ENTRY: '{"driveId":"8D6C662D","bitLockerKey":"054109-560076-228338-625185-136741-462253-222310-482405","manifestFile":"\\\\DriveManifest.xml","manifestHash":"9446A5D0AF3F4808E0E41D0A6664D7FE"}',
  ENTRY2: '{"driveId":"5E1F00C2","bitLockerKey":"054109-560076-228338-625185-136741-462253-222310-482405","manifestFile":"\\\\DriveManifest.xml","manifestHash":"9446A5D0AF3F4808E0E41D0A6664D7FE"}',
  DRIVE: "8D6C662D",
  DRIVE2: "5E1F00C2",
};

export interface ShellCommand {
  words: string[];
  /** The command's text, for messages. */
  source: string;
}

interface ShellState {
  env: Map<string, string>;
  functions: Map<string, string>;
}

export function newShellState(): ShellState {
  return { env: new Map(), functions: new Map() };
}

/** Splits a script into commands (outside quotes: newline, `;`, `&&`, `||`, `|`), continuation lines joined. */
function splitCommands(script: string): string[] {
  const text = script.replace(/\\\n/g, " ");
  const commands: string[] = [];
  let current = "";
  let quote: string | undefined;
  let depth = 0; // inside $( … ) or { … }
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (quote) {
      current += char;
      if (char === "\\" && quote === '"') current += text[++at] ?? "";
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      current += char;
    } else if (char === "#" && /(^|\s)$/.test(current) && depth === 0) {
      while (at < text.length && text[at] !== "\n") at++;
      at--;
    } else if (char === "(" && (depth > 0 || current.endsWith("$"))) {
      depth++;
      current += char;
    } else if (char === "{" && /(^|\s)$/.test(current)) {
      depth++;
      current += char;
    } else if ((char === ")" || char === "}") && depth > 0) {
      depth--;
      current += char;
    } else if (depth === 0 && (char === "\n" || char === ";" || char === "|" || (char === "&" && text[at + 1] === "&"))) {
      if (char === "&" || (char === "|" && text[at + 1] === "|")) at++;
      commands.push(current.trim());
      current = "";
    } else current += char;
  }
  commands.push(current.trim());
  return commands.filter((command) => command !== "");
}

/** The words of one command, expanded: quotes removed, `$VAR` from `env` (else `$VAR` left), `$(…)` as its commands' result. */
function words(command: string, state: ShellState, positional: string[], found: ShellCommand[], assigning?: string): string[] {
  const result: string[] = [];
  let current: string | undefined;
  const add = (text: string) => (current = (current ?? "") + text);
  const variable = (name: string) => {
    if (/^\d$/.test(name)) return positional[Number(name) - 1] ?? "";
    return state.env.get(name) ?? EARLIER_OUTPUTS[name] ?? `$${name}`;
  };
  for (let at = 0; at < command.length; at++) {
    const char = command[at];
    if (/\s/.test(char)) {
      if (current !== undefined) result.push(current);
      current = undefined;
    } else if (char === "'") {
      const end = command.indexOf("'", at + 1);
      add(command.slice(at + 1, end));
      at = end;
    } else if (char === '"') {
      let text = "";
      for (at++; at < command.length && command[at] !== '"'; at++) {
        if (command[at] === "\\" && /["\\$`]/.test(command[at + 1])) text += command[++at];
        else if (command[at] === "$") {
          const name = /^\$\{?(\w+)\}?/.exec(command.slice(at))!;
          text += variable(name[1]);
          at += name[0].length - 1;
        } else text += command[at];
      }
      add(text);
    } else if (char === "$" && command[at + 1] === "(") {
      let depth = 1;
      let end = at + 2;
      for (; end < command.length && depth > 0; end++) depth += command[end] === "(" ? 1 : command[end] === ")" ? -1 : 0;
      found.push(...readCommands(command.slice(at + 2, end - 1), state, positional));
      add(computed(assigning ?? "output"));
      at = end - 1;
    } else if (char === "$" && /[\w{]/.test(command[at + 1] ?? "")) {
      const name = /^\$\{?(\w+)\}?/.exec(command.slice(at))!;
      add(variable(name[1]));
      at += name[0].length - 1;
    } else if (char === "\\") add(command[++at] ?? "");
    else add(char);
  }
  if (current !== undefined) result.push(current);
  return result;
}

/** Where the shell word starting at `start` ends: at unquoted white space, `$( … )` taken whole. */
function wordEnd(text: string, start: number): number {
  let depth = 0;
  for (let at = start; at < text.length; at++) {
    const char = text[at];
    if (char === "'") at = text.indexOf("'", at + 1);
    else if (char === '"') for (at++; at < text.length && text[at] !== '"'; at++) at += text[at] === "\\" ? 1 : 0;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (/\s/.test(char) && depth === 0) return at;
  }
  return text.length;
}

/** Reads a script's commands in order, keeping its variables and functions in `state` for the blocks after it. */
export function readCommands(script: string, state: ShellState, positional: string[] = []): ShellCommand[] {
  const found: ShellCommand[] = [];
  for (let source of splitCommands(script)) {
    source = source.replace(/^(do|then|else)\s+/, "");
    if (/^(done|fi|for|if)\b/.test(source)) continue;
    const definition = /^(\w+)\(\)\s*\{([\s\S]*)\}$/.exec(source);
    if (definition) {
      state.functions.set(definition[1], definition[2]);
      continue;
    }
    // Leading NAME=value words: assignments alone set variables; before a command, its environment.
    const assignments: [string, string][] = [];
    let rest = source;
    for (let name; (name = /^(\w+)=/.exec(rest)); ) {
      const end = wordEnd(rest, name[0].length);
      assignments.push([name[1], rest.slice(name[0].length, end)]);
      rest = rest.slice(end).trimStart();
    }
    if (rest === "") {
      for (const [name, value] of assignments) {
        const expanded = words(value, state, positional, found, name).join(" ");
        state.env.set(name, EARLIER_OUTPUTS[name] && value.includes("$(") ? EARLIER_OUTPUTS[name] : expanded);
      }
      continue;
    }
    for (const [, value] of assignments) words(value, state, positional, found);
    const expanded = words(rest, state, positional, found);
    const body = state.functions.get(expanded[0]);
    if (body !== undefined) found.push(...readCommands(body, state, expanded.slice(1)));
    else found.push({ words: expanded, source: source.length > 160 ? `${source.slice(0, 160)}…` : source });
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The checks of one command.

const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string> };

/** Programs a reader runs that are not this project's: their options are their own documentation's. */
const OTHER_PROGRAMS = new Set(["az", "func", "zip", "uuidgen", "mkdir", "echo", "printf", "dd", "tail", "cp", "set", "export", "cd"]);

/** The `--options` a program's help lists; a tool's commands too. Bundled once per entry file (as test/support/cli.ts does). */
const helpCache = new Map<string, string>();
function help(entry: string, args: string[]): string {
  const key = `${entry} ${args.join(" ")}`;
  const cached = helpCache.get(key);
  if (cached !== undefined) return cached;
  const folder = path.join(ROOT, "test-results", "doc-blocks");
  mkdirSync(folder, { recursive: true });
  const outfile = path.join(mkdtempSync(path.join(folder, `${path.basename(entry, ".ts")}-`)), "entry.js");
  buildSync({ entryPoints: [path.join(ROOT, entry)], outfile, bundle: true, platform: "node", target: "node20", format: "cjs", packages: "external", logLevel: "error" });
  const text = execFileSync(process.execPath, [outfile, ...args, "--help"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  helpCache.set(key, text);
  return text;
}

function optionsOf(helpText: string): Set<string> {
  return new Set([...helpText.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1]));
}

/** The entry file of an npm script that runs a program of ours (`node dist/devhost/start.js` → `devhost/start.ts`). */
function scriptEntry(script: string): string | undefined {
  const match = /node dist\/([\w/.-]+)\.js/.exec(packageJson.scripts[script] ?? "");
  return match ? `${match[1]}.ts` : undefined;
}

function checkOptions(what: string, used: string[], known: Set<string>): string[] {
  return used.filter((word) => word.startsWith("--") && word !== "--").map((word) => word.split("=")[0]).filter((option) => !known.has(option)).map((option) => `${what}: no option '${option}'`);
}

function checkTool(tool: string, args: string[]): string[] {
  const entry = packageJson.bin[tool].replace(/^dist\//, "").replace(/\.js$/, ".ts");
  const [command, ...rest] = args;
  if (command === "--help" || command === undefined) return [];
  const commands = /Commands:\n([\s\S]*?)\n\n/.exec(help(entry, []))?.[1] ?? "";
  if (!new RegExp(`^\\s+${command.replace(/[^\w-]/g, "")}\\s`, "m").test(commands)) return [`${tool}: no command '${command}'`];
  return checkOptions(`${tool} ${command}`, rest, optionsOf(help(entry, [command])));
}

function checkNpm(args: string[]): string[] {
  const [verb, ...rest] = args;
  if (["install", "ci", "link"].includes(verb)) return [];
  const script = verb === "run" ? rest[0] : verb;
  const after = verb === "run" ? rest.slice(1) : rest;
  if (!script || !(script in packageJson.scripts)) return [`npm: package.json has no script '${script}'`];
  const dashes = after.indexOf("--");
  const programArgs = dashes < 0 ? [] : after.slice(dashes + 1);
  const entry = scriptEntry(script);
  if (programArgs.length === 0 || !entry) return [];
  return checkOptions(`npm run ${script}`, programArgs, optionsOf(help(entry, [])));
}

const BODY_SCHEMAS: Record<string, z.ZodType> = {
  Jobs_Create: putJobBody,
  Jobs_Update: patchJobBody,
  Subscriptions_LifecycleNotification: subscriptionNotificationBody,
  Operator_PostJobEvent: operatorEventBody,
  Operator_PostArrivalEvent: arrivalEventBody,
  Operator_RecordArrival: arrivalBody,
  Operator_AttachArrival: attachArrivalBody,
  Operator_ClaimDrive: claimBody,
};

const servedRoutes = routes.filter((route) => route.name !== "Unmatched").map((route) => ({ ...route, template: compileTemplate(route.route) }));
const timerNames = timerDefinitions({ SWEEP_SCHEDULE: "0 0 * * * *" }).map((timer) => timer.name);

/** A request to the service: its method and URL name a route of the route table, its body passes the route's schema. */
export function checkRequest(method: string, url: string, body: string | undefined): string[] {
  const what = `${method} ${url}`;
  let pathAndQuery: string;
  const service = /^https?:\/\/127\.0\.0\.1:7071(\/.*)?$/.exec(url);
  const deployed = /^<computed:\w+>(\/.*)$/.exec(url);
  if (service) pathAndQuery = service[1] ?? "/";
  else if (deployed) pathAndQuery = deployed[1];
  else if (/^<computed:\w+>$/.test(url)) return []; // a link the service gave (a log's URI), fetched as it is
  else return [`${what}: not a URL of the service (http://127.0.0.1:7071, or a variable holding a deployed app's URL)`];
  const [pathname, query = ""] = pathAndQuery.split("?");
  const admin = /^\/admin\/functions\/([^/]+)$/.exec(pathname);
  if (admin) return method === "POST" && timerNames.includes(admin[1]) ? [] : [`${what}: the local host runs only the timers ${timerNames.join(", ")} (POST)`];
  const matching = servedRoutes.filter((route) => route.template.match(pathname));
  if (matching.length === 0) return [`${what}: no route of the route table serves this path`];
  const route = matching.find((candidate) => candidate.methods.includes(method as never));
  if (!route) return [`${what}: the route ${matching.map((candidate) => candidate.name).join(", ")} takes ${matching.flatMap((candidate) => candidate.methods).join(", ")}, not ${method}`];
  const problems: string[] = [];
  if (!/^(operator|portal)(\/|$)/.test(route.route) && !/(^|&)api-version=/.test(query)) problems.push(`${what}: ${route.name} needs api-version`);
  const schema = BODY_SCHEMAS[route.name];
  if (body !== undefined && schema) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return [...problems, `${what}: the body is not JSON (${(error as Error).message}): ${body.slice(0, 200)}`];
    }
    const result = schema.safeParse(parsed);
    if (!result.success) problems.push(`${what}: the body does not pass ${route.name}'s schema: ${result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  } else if (schema && ["PUT", "PATCH", "POST"].includes(method) && route.name !== "Operator_ClaimDrive") problems.push(`${what}: ${route.name} needs a body`);
  return problems;
}

function checkCurl(args: string[]): string[] {
  let method: string | undefined;
  let body: string | undefined;
  const urls: string[] = [];
  for (let at = 0; at < args.length; at++) {
    const word = args[at];
    if (word === "-X" || word === "--request") method = args[++at].toUpperCase();
    else if (word === "-d" || word === "--data" || word === "--data-raw") body = args[++at];
    else if (word === "-H" || word === "--header" || word === "--cacert" || word === "-o") at++;
    else if (!word.startsWith("-")) urls.push(word);
  }
  if (urls.length !== 1) return [`curl: expected one URL, found ${urls.length}`];
  return checkRequest(method ?? (body === undefined ? "GET" : "POST"), urls[0], body);
}

function checkAz(args: string[]): string[] {
  if (args[0] !== "rest") return [];
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at < 0 ? undefined : args[at + 1];
  };
  const url = value("--url") ?? args.find((word, at) => at > 0 && !word.startsWith("-") && !args[at - 1].startsWith("--"));
  // Microsoft Graph and ARM are Azure's own APIs; only requests to the deployed app are the service's.
  if (!url || !/^<computed:\w+>\//.test(url)) return [];
  return checkRequest((value("--method") ?? "get").toUpperCase(), url, value("--body"));
}

function checkNode(args: string[]): string[] {
  if (args[0] === "-e" || args[0] === "-p" || args[0] === "--input-type=module") return [];
  return existsSync(path.join(ROOT, args[0])) ? [] : [`node: no file ${args[0]} in the repository`];
}

/** What is wrong with one command, or nothing. */
export function checkCommand(command: ShellCommand): string[] {
  const [program, ...args] = command.words;
  const problems = (() => {
    if (program === "npm") return checkNpm(args);
    if (program === "npx") {
      if (args[0] in packageJson.bin) return checkTool(args[0], args.slice(1));
      return existsSync(path.join(ROOT, "node_modules", ".bin", args[0])) ? [] : [`npx: '${args[0]}' is neither a command of package.json's bin nor an installed package's`];
    }
    if (program in packageJson.bin) return checkTool(program, args);
    if (program === "curl") return checkCurl(args);
    if (program === "az") return checkAz(args);
    if (program === "node") return checkNode(args);
    if (OTHER_PROGRAMS.has(program)) return [];
    return [`'${program}': a command this test does not know (add it to OTHER_PROGRAMS if it is another project's, or check it)`];
  })();
  return problems.map((problem) => `${problem}\n      in: ${command.source}`);
}

// ---------------------------------------------------------------------------------------------
// The other kinds.

/** `A --> B` of a state diagram: each a transition of the state machine whose states it draws. */
export function checkStateDiagram(text: string): string[] {
  const edges = [...text.matchAll(/^\s*(\w+|\[\*\])\s*-->\s*(\w+|\[\*\])/gm)].map((match) => [match[1], match[2]]);
  const states = new Set(edges.flat().filter((state) => state !== "[*]"));
  const machines = [
    { name: "job", states: JOB_STATES as readonly string[], transitions: Object.values(JOB_TRANSITIONS) as { from: readonly string[]; to: string }[] },
    { name: "drive", states: DRIVE_STATES as readonly string[], transitions: Object.values(DRIVE_TRANSITIONS) as { from: readonly string[]; to: string }[] },
  ];
  const machine = machines.find((candidate) => [...states].every((state) => candidate.states.includes(state)));
  if (!machine) return [`a state diagram of no state machine: states ${[...states].join(", ")}`];
  return edges
    .filter(([from, to]) => from !== "[*]" && to !== "[*]")
    .filter(([from, to]) => !machine.transitions.some((transition) => transition.from.includes(from) && (transition.to === to || transition.to === "resume")))
    .map(([from, to]) => `${from} --> ${to}: no transition of the ${machine.name} state machine`);
}

/** `<BlobList>` files a reader writes for an export; other XML is output and marked. */
function checkXml(text: string): string[] {
  if (!/<BlobList>/.test(text)) return ["XML that is not an export <BlobList>: mark it <!-- not-checked: output --> if it is output"];
  try {
    parseExportBlobList(text);
    return [];
  } catch (error) {
    return [`the <BlobList> does not parse: ${(error as Error).message}`];
  }
}

function checkCsv(text: string): string[] {
  try {
    parseDatasetCsv(`${text}\n`, "/data");
    return [];
  } catch (error) {
    return [`the dataset CSV does not parse: ${(error as Error).message}`];
  }
}

function checkJson(text: string): string[] {
  try {
    JSON.parse(text);
    return [];
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
}

/** Lints JavaScript blocks as files of examples/ with the project's ESLint config, in one child process (ESLint's config is an ES module). */
export function lintAsExamples(codes: string[]): string[][] {
  if (codes.length === 0) return [];
  const script = `const { ESLint } = require("eslint");
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const codes = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
      const out = [];
      for (const [at, code] of codes.entries()) {
        const [result] = await eslint.lintText(code, { filePath: "examples/docs-block-" + at + ".mjs" });
        out.push(result.messages.map((m) => m.line + ":" + m.column + " " + (m.ruleId ?? "") + " " + m.message));
      }
      console.log(JSON.stringify(out));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, input: JSON.stringify(codes), encoding: "utf8", timeout: 60_000 }));
}

/**
 * Type-checks blocks as files of examples/ against the project's packages: JavaScript as `.mjs`
 * (checkJs, without strict null checks, which plain JavaScript does not have), TypeScript as `.mts`
 * with the project's strictness.
 */
export function typecheckAsExamples(blocks: { code: string; lang: "js" | "ts" }[]): string[][] {
  if (blocks.length === 0) return [];
  const files = new Map(blocks.map((block, at) => [path.join(ROOT, "examples", `docs-block-${at}.${block.lang === "js" ? "mjs" : "mts"}`), block.code]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) => (files.has(name) ? ts.createSourceFile(name, files.get(name)!, version) : getSourceFile.call(host, name, version, ...rest));
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  return [...files.keys()].map((name, at) => {
    const program = ts.createProgram([name], { ...options, strict: blocks[at].lang === "ts" }, host);
    return ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file?.fileName === name || !diagnostic.file)
      .map((diagnostic) => {
        const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
        return `${where ? `${where.line + 1}:${where.character + 1} ` : ""}TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
      });
  });
}

/**
 * What is wrong with each block of one file, in order (shell blocks share their variables through
 * the file, as a reader pasting them in order would). JavaScript and TypeScript are left to
 * `lintAsExamples` and `typecheckAsExamples`, which take every block at once.
 */
export function checkBlocks(blocks: CodeBlock[]): { block: CodeBlock; problems: string[] }[] {
  const state = newShellState();
  return blocks.map((block) => {
    if (block.notChecked !== undefined) return { block, problems: [] };
    const problems = (() => {
      switch (block.lang) {
        case "bash":
        case "sh":
        case "shell":
          return readCommands(block.text, state).flatMap(checkCommand);
        case "json":
          return checkJson(block.text);
        case "xml":
          return checkXml(block.text);
        case "csv":
          return checkCsv(block.text);
        case "mermaid":
          return /^\s*stateDiagram/.test(block.text) ? checkStateDiagram(block.text) : ["a mermaid diagram that is not a state diagram"];
        case "js":
        case "ts":
          return [];
        default:
          return [`a block this test cannot check ('${block.lang || "no language"}'): give it a checked language, or <!-- not-checked: <why> --> on the line before`];
      }
    })();
    return { block, problems };
  });
}

/** GitHub's anchor of a heading. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Relative links of a page (outside code) whose file or `#anchor` does not exist. */
export function brokenLinks(file: string, markdown: string): string[] {
  const prose = markdown.replace(/^(\s*)```[\s\S]*?^\1```/gm, "").replace(/`[^`\n]*`/g, "");
  const problems: string[] = [];
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [targetPath, anchor] = target.split("#");
    const resolved = targetPath ? path.join(path.dirname(path.join(ROOT, file)), targetPath) : path.join(ROOT, file);
    if (!existsSync(resolved)) {
      problems.push(`${file}: link to ${target}: no such file`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith(".md")) continue;
    const headings = [...readFileSync(resolved, "utf8").replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1].replace(/`/g, "")));
    if (!headings.includes(anchor)) problems.push(`${file}: link to ${target}: no heading with that anchor`);
  }
  return problems;
}
