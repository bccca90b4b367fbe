/**
 * The command line of every npm script's program (`npm start`, `npm run sweep`, `npm run
 * notifications`, `npm run bench`): `--help` prints the usage and exits 0; an unknown flag or a
 * malformed value prints what was wrong and exits 2, the usual code for a usage error, before
 * anything starts.
 */
import { parseArgs } from "node:util";

export interface CliOption {
  type: "boolean" | "string";
  /** How the value is written in the usage, e.g. `N` or `A,B`; flags that take none leave it out. */
  value?: string;
  description: string;
}

export interface CliSpec {
  /** The npm command that runs the program, e.g. `npm run sweep --`. */
  command: string;
  summary: string;
  options: Record<string, CliOption>;
  /** Lines after the options: environment variables, examples. */
  notes?: string[];
}

export type CliValues = Record<string, string | boolean | undefined>;

export function usage(spec: CliSpec): string {
  const options: Record<string, CliOption> = { ...spec.options, help: { type: "boolean", description: "print this help and exit" } };
  const flags = Object.entries(options).map(([name, option]) => [`--${name}${option.value ? ` ${option.value}` : ""}`, option.description]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    `Usage: ${spec.command} [options]`,
    "",
    spec.summary,
    "",
    "Options:",
    ...flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
  ].join("\n");
}

/** Parses the arguments; on `--help` or a usage error it prints and exits, so callers only see good values. */
export function parseCommandLine(argv: string[], spec: CliSpec): CliValues {
  let values: CliValues;
  try {
    const options = Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, { type: option.type }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } }, strict: true, allowPositionals: false }).values as CliValues;
  } catch (error) {
    return exitWithUsageError(spec, error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    console.log(usage(spec));
    process.exit(0);
  }
  return values;
}

/** Also for a value the program itself finds malformed (`--rounds abc`): reported like a parse error. */
export function exitWithUsageError(spec: CliSpec, message: string): never {
  console.error(`${spec.command.split(" --")[0]}: ${message}`);
  console.error(`Run '${spec.command} --help' for the options.`);
  process.exit(2);
}
