/**
 * How Azure Functions Core Tools reads `.funcignore` when it packs an app for `func azure
 * functionapp publish`: its `GitIgnoreParser` (src/Cli/func/Common/GitIgnoreParser.cs, itself a port
 * of the npm package gitignore-parser), ported line for line, so the tests judge the file as Core
 * Tools will. It is not git's matcher: a pattern matches a path from the app's root onwards, as a
 * prefix ending at a word boundary (`node_modules/ms` also matches `node_modules/ms-x/...`), `*`
 * stays within one path segment, and a `!` line wins wherever it stands in the file. Core Tools asks
 * about each file by its path relative to the app's root, with forward slashes.
 */
export interface FuncIgnore {
  accepts(file: string): boolean;
}

export function parseFuncIgnore(content: string): FuncIgnore {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const raw of content.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const isNegative = line.startsWith("!");
    if (isNegative) line = line.slice(1);
    if (line.startsWith("/")) line = line.slice(1);
    (isNegative ? negative : positive).push(line);
  }
  const positiveRegex = combined(positive);
  const negativeRegex = combined(negative);
  return { accepts: (file) => negativeRegex.test(file) || !positiveRegex.test(file) };
}

function combined(patterns: string[]): RegExp {
  if (patterns.length === 0) return /$^/;
  return new RegExp(`^((${[...patterns].sort().map(regexPattern).join(")|(")}))\\b`);
}

function regexPattern(pattern: string): string {
  return pattern
    .replace(/[-[\]/{}()+?.\\^$|]/g, "\\$&")
    .replaceAll("**", "(.+)")
    .replaceAll("*", "([^\\/]+)");
}
