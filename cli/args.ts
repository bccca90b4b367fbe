/**
 * The one command-line parser of every program here: the two installed tools (the drive tool, the
 * data-center agent), whose subcommands each have their own options, and the dev host's npm scripts
 * (`npm start`, `npm run sweep`, ...). Over `node:util` `parseArgs`: each command's option table
 * gives both the parser and its `--help`, and every mistake is worded one way, on stderr, exit 2:
 *
 *   importexport-drive prepare: unknown option '--bogus'
 *   Run 'importexport-drive prepare --help' for the options.
 */
import { parseArgs } from "node:util";
import { LOG_FORMATS, type LogFormat } from "../shared/telemetry/log";

const USAGE_EXIT_CODE = 2;

export interface CliOption {
  type: "boolean" | "string";
  /** How the value is written in the usage, e.g. `<dir>` or `N`; flags that take none leave it out. */
  value?: string;
  /** May be given more than once (`--prefix a --prefix b`); the values come back as an array. */
  multiple?: boolean;
  /** One line; a `\n` continues the description on the next line, aligned. */
  description: string;
}

export interface CliSpec<O extends Record<string, CliOption> = Record<string, CliOption>> {
  /** How the command is run, as the user types it: `importexport-drive prepare`, `npm run sweep --`. */
  command: string;
  /** What follows the command in the usage lines, one per form; default `[options]`. */
  synopsis?: string[];
  summary: string;
  options: O;
  /** Lines after the options: environment variables, exit codes, examples. */
  notes?: string[];
}

/** A program with subcommands: `importexport-drive prepare ...`. */
export interface ToolSpec {
  /** The installed command: `importexport-drive`. */
  name: string;
  summary: string;
  commands: Record<string, { summary: string }>;
  notes?: string[];
}

type ValueOfType<T, Multiple> = T extends "boolean" ? boolean : Multiple extends true ? string[] : string;
type ValueOf<O extends CliOption> = ValueOfType<O["type"], O["multiple"]>;
export type CliValues<O extends Record<string, CliOption>> = { [K in keyof O]?: ValueOf<O[K]> };

/** A mistake on the command line: reported with `reportUsageError`, exit 2. */
export class UsageError extends Error {
  constructor(
    /** The command whose `--help` the report points to. */
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

const HELP_OPTION: CliOption = { type: "boolean", description: "print this help and exit" };

/** The lines of an option table, the flags aligned, continuation lines under their description. */
function optionLines(options: Record<string, CliOption>): string[] {
  const flags = Object.entries(options).map(([name, option]) => [`--${name}${option.value ? ` ${option.value}` : ""}${option.multiple ? " ..." : ""}`, option.description] as const);
  const rows = [...flags, ["-h, --help", HELP_OPTION.description] as const];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.flatMap(([flag, description]) => description.split("\n").map((line, at) => `  ${(at === 0 ? flag : "").padEnd(width)}  ${line}`.trimEnd()));
}

export function usage(spec: CliSpec): string {
  const forms = spec.synopsis ?? ["[options]"];
  return [
    ...forms.map((form, at) => `${at === 0 ? "Usage: " : "       "}${spec.command} ${form}`),
    "",
    spec.summary,
    "",
    "Options:",
    ...optionLines(spec.options),
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
  ].join("\n");
}

export function toolUsage(tool: ToolSpec): string {
  const width = Math.max(...Object.keys(tool.commands).map((name) => name.length));
  return [
    `Usage: ${tool.name} <command> [options]`,
    "",
    tool.summary,
    "",
    "Commands:",
    ...Object.entries(tool.commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    "",
    `Run '${tool.name} <command> --help' for a command's options.`,
    ...(tool.notes?.length ? ["", ...tool.notes] : []),
  ].join("\n");
}

/**
 * Parses one command's arguments against its option table. `help` when `-h`/`--help` is among them
 * (whatever else is); otherwise the values, or a `UsageError` naming the first mistake.
 */
export function parseOptions<O extends Record<string, CliOption>>(argv: string[], spec: CliSpec<O>): { help: true } | { help: false; values: CliValues<O> } {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, { type: option.type, multiple: option.multiple ?? false }]));
  // Not strict: the tokens are checked here, so every mistake gets this file's wording, not Node's.
  const { values, tokens } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: false, allowPositionals: true, tokens: true });
  if (values.help === true) return { help: true };
  const fail = (message: string): never => {
    throw new UsageError(spec.command, message);
  };
  for (const token of tokens) {
    if (token.kind === "positional") fail(`unexpected argument '${token.value}'`);
    else if (token.kind === "option") {
      const option = token.name === "help" ? HELP_OPTION : Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
      if (!option) fail(`unknown option '${token.rawName}'`);
      else if (option.type === "boolean" && token.value !== undefined) fail(`option '${token.rawName}' takes no value`);
      // A value that looks like an option is a forgotten one (`--job --drive X`); `--job=-x` is taken as written.
      else if (option.type === "string" && (token.value === undefined || (!token.inlineValue && token.value.startsWith("-")))) fail(`option '${token.rawName}' needs a value`);
    }
  }
  return { help: false, values: values as CliValues<O> };
}

/** Writes a usage error in the one wording every program uses; returns the exit code, 2. */
export function reportUsageError(error: UsageError): number {
  process.stderr.write(`${error.command.replace(/ --$/, "")}: ${error.message}\n`);
  process.stderr.write(`Run '${error.command} --help' for the options.\n`);
  return USAGE_EXIT_CODE;
}

/**
 * For a program without subcommands (the npm scripts' programs): parses, and on `--help` or a
 * mistake prints and exits before anything starts, so callers only see good values.
 */
export function parseCommandLine<O extends Record<string, CliOption>>(argv: string[], spec: CliSpec<O>): CliValues<O> {
  return exitOnUsageError(() => {
    const parsed = parseOptions(argv, spec);
    if (parsed.help) {
      process.stdout.write(`${usage(spec)}\n`);
      process.exit(0);
    }
    return parsed.values;
  });
}

/** `read()`, for a program without subcommands: a `UsageError` it throws is reported and ends the process (exit 2). */
export function exitOnUsageError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UsageError) process.exit(reportUsageError(error));
    throw error;
  }
}

/** `--log-format`, taken by every program that logs (the local host, the sweep, the copy agent). */
export const LOG_FORMAT_OPTION = {
  type: "string",
  value: "text|json",
  description: "log lines for people (default), or one JSON object a line for a machine",
} as const satisfies CliOption;

/** The `--log-format` given: text when none; anything but text or json is a `UsageError`. */
export function logFormatOf(value: string | undefined, spec: CliSpec): LogFormat {
  if (value === undefined) return "text";
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new UsageError(spec.command, `option '--log-format' must be ${LOG_FORMATS.join(" or ")}, not '${value}'`);
}

/** Also for a value the program itself finds malformed (`--rounds abc`): reported like a parse error. */
export function exitWithUsageError(spec: CliSpec, message: string): never {
  process.exit(reportUsageError(new UsageError(spec.command, message)));
}

/**
 * For a tool with subcommands: which command the arguments name, and the rest for its own parser.
 * `help` for `--help`, `-h` or `help` alone; `help <command>` is that command's `--help`.
 */
export function selectCommand<C extends string>(argv: string[], tool: ToolSpec & { commands: Record<C, { summary: string }> }): { help: true } | { help: false; command: C; args: string[] } {
  const [first, ...rest] = argv;
  const known = (name: string | undefined): name is C => name !== undefined && Object.hasOwn(tool.commands, name);
  if (first === "help" && known(rest[0])) return { help: false, command: rest[0], args: ["--help"] };
  if (first === "--help" || first === "-h" || first === "help") return { help: true };
  if (first === undefined) throw new UsageError(tool.name, `no command given (${Object.keys(tool.commands).join(", ")})`);
  // `tool -- import ...`, out of the habit of `npm run datacenter -- import ...`.
  if (first === "--") return selectCommand(rest, tool);
  if (first.startsWith("-")) throw new UsageError(tool.name, `unknown option '${first.split("=")[0]}'`);
  if (!known(first)) throw new UsageError(tool.name, `unknown command '${first}' (${Object.keys(tool.commands).join(", ")})`);
  return { help: false, command: first, args: rest };
}
