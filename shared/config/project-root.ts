/**
 * Where the project's files are (the data catalog, the settings files, the built portal): the
 * folder of package.json, which is the app's folder in Azure too.
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** The project root: the nearest folder above this module holding package.json (works from src and dist). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
