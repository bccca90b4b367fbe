/**
 * The one command-line parser (cli/args.ts), as a pure unit: what it accepts, the mistakes it names
 * (each in the wording every program uses), and the help it writes from an option table.
 */
import { CliSpec, LOG_FORMAT_OPTION, logFormatOf, parseOptions, selectCommand, toolUsage, usage, UsageError } from "../../cli/args";

const SPEC = {
  command: "tool copy",
  synopsis: ["--from <dir> [options]"],
  summary: "Copies.",
  options: {
    from: { type: "string", value: "<dir>", description: "where from" },
    tag: { type: "string", value: "<t>", multiple: true, description: "a tag\nrepeatable" },
    dry: { type: "boolean", description: "change nothing" },
  },
  notes: ["Exit codes: 0 done."],
} satisfies CliSpec;

const TOOL = { name: "tool", summary: "A tool.", commands: { copy: { summary: "copies" }, "check-all": { summary: "checks" } } };

function mistake(argv: string[]): string {
  try {
    parseOptions(argv, SPEC);
  } catch (error) {
    if (error instanceof UsageError) return `${error.command}: ${error.message}`;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
}

test("values as given: strings, inline values, repeated options, booleans", () => {
  expect(parseOptions(["--from", "a", "--tag=x", "--tag", "y", "--dry"], SPEC)).toEqual({ help: false, values: { from: "a", tag: ["x", "y"], dry: true } });
  expect(parseOptions(["--from=-odd"], SPEC)).toEqual({ help: false, values: { from: "-odd" } });
});

test("-h or --help anywhere asks for help, even beside mistakes", () => {
  expect(parseOptions(["--bogus", "-h"], SPEC)).toEqual({ help: true });
  expect(parseOptions(["--from", "a", "--help"], SPEC)).toEqual({ help: true });
});

test.each([
  [["--bogus"], "tool copy: unknown option '--bogus'"],
  [["--bogus=1"], "tool copy: unknown option '--bogus'"],
  [["-x"], "tool copy: unknown option '-x'"],
  [["--constructor"], "tool copy: unknown option '--constructor'"],
  [["--from"], "tool copy: option '--from' needs a value"],
  [["--from", "--dry"], "tool copy: option '--from' needs a value"],
  [["--dry=yes"], "tool copy: option '--dry' takes no value"],
  [["--help=yes"], "tool copy: option '--help' takes no value"],
  [["stray"], "tool copy: unexpected argument 'stray'"],
  [["--", "--from"], "tool copy: unexpected argument '--from'"],
])("%j → %s", (argv, message) => {
  expect(mistake(argv)).toBe(message);
});

test("the help comes from the option table: aligned flags, continuation lines, --help last, then the notes", () => {
  expect(usage(SPEC)).toBe(
    [
      "Usage: tool copy --from <dir> [options]",
      "",
      "Copies.",
      "",
      "Options:",
      "  --from <dir>   where from",
      "  --tag <t> ...  a tag",
      "                 repeatable",
      "  --dry          change nothing",
      "  -h, --help     print this help and exit",
      "",
      "Exit codes: 0 done.",
    ].join("\n"),
  );
  expect(toolUsage(TOOL)).toContain("Commands:\n  copy       copies\n  check-all  checks\n\nRun 'tool <command> --help' for a command's options.");
});

test("a tool's command: named first; help alone or for a command; every other first word a usage error", () => {
  expect(selectCommand(["copy", "--from", "a"], TOOL)).toEqual({ help: false, command: "copy", args: ["--from", "a"] });
  expect(selectCommand(["--help"], TOOL)).toEqual({ help: true });
  expect(selectCommand(["help"], TOOL)).toEqual({ help: true });
  expect(selectCommand(["help", "check-all"], TOOL)).toEqual({ help: false, command: "check-all", args: ["--help"] });
  expect(() => selectCommand(["--bogus"], TOOL)).toThrow(new UsageError("tool", "unknown option '--bogus'"));
  expect(() => selectCommand(["format"], TOOL)).toThrow(new UsageError("tool", "unknown command 'format' (copy, check-all)"));
  expect(() => selectCommand(["toString"], TOOL)).toThrow(/unknown command 'toString'/);
  expect(() => selectCommand([], TOOL)).toThrow(/no command given/);
  expect(() => selectCommand(["--", "--bogus"], TOOL)).toThrow(new UsageError("tool", "unknown option '--bogus'"));
});

describe("--log-format, one reader for npm start, npm run sweep and the copy agent", () => {
  const spec = { ...SPEC, options: { ...SPEC.options, "log-format": LOG_FORMAT_OPTION } } satisfies CliSpec;

  test("text when not given, json or text as given", () => {
    expect(logFormatOf(undefined, spec)).toBe("text");
    const parsed = parseOptions(["--log-format", "json"], spec);
    expect(parsed.help ? undefined : logFormatOf(parsed.values["log-format"], spec)).toBe("json");
    expect(logFormatOf("text", spec)).toBe("text");
  });

  test("anything else is a usage error naming the formats", () => {
    expect(() => logFormatOf("xml", spec)).toThrow(new UsageError("tool copy", "option '--log-format' must be text or json, not 'xml'"));
    expect(usage(spec)).toMatch(/^ {2}--log-format text\|json +log lines for people \(default\), or one JSON object a line for a machine$/m);
  });
});
