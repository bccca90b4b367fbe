/**
 * Parses the OData `$filter` subset the job lists support into a `JobFilter` tree:
 *   state eq|ne '<State>'        (also properties/state)
 *   jobType eq|ne 'Import'|'Export'   (also properties/jobType)
 *   creationTime gt|ge|lt|le datetime'<ISO-8601>'  (also createdAt, systemData/createdAt)
 * combined with `and`, `or` and parentheses. Anything else is a 400 that lists what is supported.
 */
import { ErrorFactory, ServiceError } from "../../domain/errors";
import { JobFilter } from "../../domain/job-filter";
import { JOB_STATES, JobState } from "../../domain/job-state-machine";

export const SUPPORTED_FILTER =
  "Supported: state eq|ne '<JobState>', jobType eq|ne 'Import'|'Export', creationTime gt|ge|lt|le datetime'<ISO-8601 time>', combined with 'and', 'or' and parentheses.";

const MAX_FILTER_LENGTH = 2048;
const MAX_COMPARISONS = 20;
const MAX_DEPTH = 10;

type Token =
  | { type: "lparen" | "rparen" }
  | { type: "word"; text: string }
  | { type: "string"; text: string }
  | { type: "datetime"; text: string };

// A Map: the field is the caller's string, and `constructor` must not find Object's.
const FIELD_ALIASES = new Map<string, "state" | "jobType" | "createdAt">([
  ["state", "state"],
  ["properties/state", "state"],
  ["jobtype", "jobType"],
  ["properties/jobtype", "jobType"],
  ["creationtime", "createdAt"],
  ["createdat", "createdAt"],
  ["systemdata/createdat", "createdAt"],
]);

export function parseJobFilter(text: string): JobFilter {
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(text);
  if (tokens.length === 0) throw invalidFilter("the filter is empty");
  const parser = new FilterParser(tokens);
  const tree = parser.parseExpression(0);
  parser.expectEnd();
  return tree;
}

class FilterParser {
  private position = 0;
  private comparisons = 0;

  constructor(private readonly tokens: Token[]) {}

  parseExpression(depth: number): JobFilter {
    let left = this.parseConjunction(depth);
    while (this.peekWord("or")) {
      this.position++;
      left = { kind: "or", left, right: this.parseConjunction(depth) };
    }
    return left;
  }

  expectEnd(): void {
    if (this.position < this.tokens.length) throw invalidFilter(`unexpected ${describe(this.tokens[this.position])}`);
  }

  private parseConjunction(depth: number): JobFilter {
    let left = this.parsePrimary(depth);
    while (this.peekWord("and")) {
      this.position++;
      left = { kind: "and", left, right: this.parsePrimary(depth) };
    }
    return left;
  }

  private parsePrimary(depth: number): JobFilter {
    const token = this.next("a comparison or '('");
    if (token.type === "lparen") {
      if (depth >= MAX_DEPTH) throw invalidFilter(`parentheses are nested more than ${MAX_DEPTH} deep`);
      const inner = this.parseExpression(depth + 1);
      const close = this.next("')'");
      if (close.type !== "rparen") throw invalidFilter(`expected ')' but found ${describe(close)}`);
      return inner;
    }
    if (token.type !== "word") throw invalidFilter(`expected a property name but found ${describe(token)}`);
    if (++this.comparisons > MAX_COMPARISONS) throw invalidFilter(`more than ${MAX_COMPARISONS} comparisons`);
    const field = FIELD_ALIASES.get(token.text.toLowerCase());
    if (!field) throw invalidFilter(`the property '${token.text}' cannot be filtered on`);
    const opToken = this.next("an operator");
    const op = opToken.type === "word" ? opToken.text.toLowerCase() : "";
    const value = this.next("a value");
    return comparison(field, op, value);
  }

  private peekWord(word: string): boolean {
    const token = this.tokens[this.position];
    return token?.type === "word" && token.text.toLowerCase() === word;
  }

  private next(expected: string): Token {
    const token = this.tokens[this.position++];
    if (!token) throw invalidFilter(`the filter ends where ${expected} was expected`);
    return token;
  }
}

function comparison(field: "state" | "jobType" | "createdAt", op: string, value: Token): JobFilter {
  if (field === "createdAt") {
    if (op !== "gt" && op !== "ge" && op !== "lt" && op !== "le") {
      throw invalidFilter(`creationTime takes gt, ge, lt or le, not '${op}'`);
    }
    if (value.type !== "datetime" && value.type !== "string") throw invalidFilter("creationTime is compared with datetime'<ISO-8601 time>'");
    // A time without an offset is UTC, as in Table Storage; `new Date` would read it in the host's time zone.
    const time = new Date(/T[^Z+-]*$/i.test(value.text) ? `${value.text}Z` : value.text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value.text) || Number.isNaN(time.getTime()) || !isCalendarDate(value.text.slice(0, 10))) {
      throw invalidFilter(`'${value.text}' is not an ISO-8601 time`);
    }
    return { kind: "createdAt", op, value: time };
  }
  if (op !== "eq" && op !== "ne") throw invalidFilter(`${field} takes eq or ne, not '${op}'`);
  if (value.type !== "string") throw invalidFilter(`${field} is compared with a quoted string`);
  if (field === "state") {
    const state = JOB_STATES.find((candidate) => candidate.toLowerCase() === value.text.toLowerCase());
    if (!state) throw invalidFilter(`'${value.text}' is not a job state; states are ${JOB_STATES.join(", ")}`);
    return { kind: "state", op, value: state as JobState };
  }
  const jobType = ["Import", "Export"].find((candidate) => candidate.toLowerCase() === value.text.toLowerCase());
  if (!jobType) throw invalidFilter(`'${value.text}' is not a job type; use 'Import' or 'Export'`);
  return { kind: "jobType", op, value: jobType as "Import" | "Export" };
}

/** `Date` rolls 2026-02-30 over to March; a filter should refuse it instead. */
function isCalendarDate(yyyyMmDd: string): boolean {
  const [year, month, day] = yyyyMmDd.split("-").map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years 0-99 as they are
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === "(" || char === ")") {
      tokens.push({ type: char === "(" ? "lparen" : "rparen" });
      i++;
    } else if (char === "'") {
      const [literal, end] = readQuoted(text, i);
      tokens.push({ type: "string", text: literal });
      i = end;
    } else if (/[A-Za-z0-9_/.:-]/.test(char)) {
      let end = i;
      while (end < text.length && /[A-Za-z0-9_/.:-]/.test(text[end])) end++;
      const word = text.slice(i, end);
      if (word.toLowerCase() === "datetime" && text[end] === "'") {
        const [literal, after] = readQuoted(text, end);
        tokens.push({ type: "datetime", text: literal });
        i = after;
      } else {
        tokens.push({ type: "word", text: word });
        i = end;
      }
    } else {
      throw invalidFilter(`unexpected character '${char}' at position ${i}`);
    }
  }
  return tokens;
}

/** Reads an OData string literal starting at the quote; two quotes in a row stand for one. */
function readQuoted(text: string, start: number): [string, number] {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return [value, i + 1];
    }
    value += text[i++];
  }
  throw invalidFilter("a quoted value is not closed");
}

function describe(token: Token): string {
  if (token.type === "lparen") return "'('";
  if (token.type === "rparen") return "')'";
  return `'${(token as { text: string }).text}'`;
}

function invalidFilter(reason: string): ServiceError {
  return ErrorFactory.invalidParameter("InvalidFilter", "$filter", `The $filter is not supported: ${reason}. ${SUPPORTED_FILTER}`);
}
