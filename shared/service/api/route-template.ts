/**
 * Route templates as the Functions host reads them: `{name}` matches one segment, `{*name}` the rest
 * of the path, literal segments match case-insensitively. Used by the local host and by the
 * catch-all route that turns a wrong method into a 405.
 */
export interface CompiledTemplate {
  template: string;
  isCatchAll: boolean;
  match(path: string): Record<string, string> | undefined;
}

export function compileTemplate(template: string): CompiledTemplate {
  const names: string[] = [];
  let isCatchAll = false;
  const pattern = template
    .split("/")
    .map((segment) => {
      const parameter = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)\??\}$/.exec(segment);
      if (!parameter) return escapeRegExp(segment);
      names.push(parameter[2]);
      if (parameter[1]) {
        isCatchAll = true;
        return "(.*)";
      }
      return "([^/]+)";
    })
    .join("/");
  const regex = new RegExp(`^/?${pattern}/?$`, "i");
  return {
    template,
    isCatchAll,
    match(path) {
      const found = regex.exec(path);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      names.forEach((name, index) => {
        params[name] = safeDecode(found[index + 1] ?? "");
      });
      return params;
    },
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // not valid %-encoding: matched as it is, as the Functions host does
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
