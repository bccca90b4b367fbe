/**
 * Runs a CLI under cli/ as a real process, the way `npm run <tool>` does, without a full build: the
 * entry point is bundled once per test file with esbuild (as the portal suite builds its pages)
 * and run with node, so exit codes, stdout and stderr are the real ones.
 */
import { execFile, spawn, ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Bundles `cli/<name>.ts` and returns the path of the runnable script. It is written inside the
 * project (under the git-ignored test-results/), so the packages left out of the bundle resolve
 * from the project's node_modules.
 */
export function bundleCli(name: string): string {
  const folder = path.join(__dirname, "..", "..", "test-results", "cli");
  mkdirSync(folder, { recursive: true });
  const outfile = path.join(mkdtempSync(path.join(folder, `${name}-`)), `${name}.js`);
  buildSync({
    entryPoints: [path.join(__dirname, "..", "..", "cli", `${name}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    logLevel: "error",
  });
  return outfile;
}

/** `timeoutMs` kills a run that hangs (a FIFO opened for reading), so the test fails on its asserts, not on jest's timeout. */
export function runCli(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({
        code: failure ? (typeof failure.code === "number" ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

/** Starts the CLI and hands back the child, for tests that signal it mid-run. */
export function startCli(script: string, args: string[]): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The last non-empty stdout line, parsed: the JSON every CLI ends with. */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  return JSON.parse(lines[lines.length - 1]) as T;
}
