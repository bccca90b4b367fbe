/**
 * The programs behind the npm scripts (`npm start`, `npm run sweep`, `npm run notifications`,
 * `npm run bench`), run as processes the way npm runs them: `--help` prints the usage and exits 0, a
 * mistake exits 2 with what was wrong, a tool whose Azurite is down says so, and `npm start`'s banner
 * shows the settings the environment overrides and a sweep hint that works over HTTPS.
 *
 * The suite compiles the TypeScript itself (esbuild, file by file, as tsc lays out dist/), into a
 * folder inside the clone so the programs find the project root and node_modules as from dist/.
 */
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { build } from "esbuild";
import { azuriteConnectionString, freePort, freePorts } from "../../devhost/azurite";

const ROOT = path.join(__dirname, "..", "..");
const OUT = path.join(ROOT, "test-results", `cli-${randomUUID().slice(0, 8)}`);
const PROGRAMS = {
  start: { file: "devhost/start.js", command: "npm start --" },
  sweep: { file: "devhost/sweep.js", command: "npm run sweep --" },
  notifications: { file: "devhost/notifications.js", command: "npm run notifications --" },
  bench: { file: "bench/run.js", command: "npm run bench --" },
};
type Program = keyof typeof PROGRAMS;

jest.setTimeout(60_000);

function typeScriptFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder)).flatMap((name) => {
    const relative = path.join(folder, name);
    if (statSync(path.join(ROOT, relative)).isDirectory()) return typeScriptFiles(relative);
    return name.endsWith(".ts") ? [path.join(ROOT, relative)] : [];
  });
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: ["devhost", "shared", "bench", "cli"].flatMap(typeScriptFiles),
    outdir: OUT,
    outbase: ROOT,
    bundle: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
});

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what the programs need: no setting leaks in from the test run's own environment. */
function environment(settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...settings };
}

function run(program: Program, args: string[], settings: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(OUT, PROGRAMS[program].file), ...args], { cwd: ROOT, env: environment(settings), timeout: 45_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe.each(Object.keys(PROGRAMS) as Program[])("%s", (program) => {
  test("--help prints the usage and exits 0", async () => {
    const outcome = await run(program, ["--help"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.startsWith(`Usage: ${PROGRAMS[program].command} [options]\n`)).toBe(true);
    expect(outcome.stdout).toMatch(/^ {2}-h, --help +print this help and exit$/m);
    expect(outcome.stderr).toBe("");
  });

  test("an unknown flag says which, points to --help, and exits 2 before starting anything", async () => {
    const outcome = await run(program, ["--htps"]);
    expect(outcome.code).toBe(2);
    // The wording of every program and tool (cli/args.ts): what was wrong, then where the options are.
    expect(outcome.stderr).toBe(`${PROGRAMS[program].command.replace(/ --$/, "")}: unknown option '--htps'\nRun '${PROGRAMS[program].command} --help' for the options.\n`);
    expect(outcome.stdout).toBe("");
  });
});

test("each program's own options are in its usage", async () => {
  expect((await run("start", ["--help"])).stdout).toMatch(/--https +serve HTTPS/);
  expect((await run("notifications", ["--help"])).stdout).toMatch(/--take +also remove the messages/);
  const bench = (await run("bench", ["--help"])).stdout;
  for (const flag of ["--rounds N", "--round-ms N", "--sweep-sizes A,B", "--due N", "--only LIST"]) expect(bench).toContain(flag);
});

test("a malformed value is a usage error too (exit 2), naming the flag", async () => {
  const rounds = await run("bench", ["--rounds", "many"]);
  expect(rounds.code).toBe(2);
  expect(rounds.stderr).toContain("--rounds must be whole numbers of 1 or more, not 'many'");
  const only = await run("bench", ["--only", "get,speed"]);
  expect(only.code).toBe(2);
  expect(only.stderr).toContain("--only: no benchmark 'speed'");
  const missing = await run("bench", ["--due"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("npm run bench: option '--due' needs a value");
});

describe("with Azurite down", () => {
  test.each(["notifications", "sweep"] as Program[])("npm run %s says Azurite isn't running and how to start it", async (program) => {
    // Azurite's own account on free ports would be started by the tool (as npm start does); an
    // account of another emulator on this machine can't be, so the tool must say it isn't running.
    const deadStorage = azuriteConnectionString(await freePorts()).replace(/AccountName=\w+/, "AccountName=otheremulator");
    const outcome = await run(program, [], { ImportExportStorage: deadStorage });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^Azurite isn't running: nothing listens on 127\.0\.0\.1:\d+, where ImportExportStorage points\. Start it with npm start/m);
    expect(outcome.stderr).not.toContain("temporarily unavailable");
  });
});

test("npm run notifications reads the queue of the storage it is given", async () => {
  const outcome = await run("notifications", [], {
    ImportExportStorage: process.env.TEST_STORAGE_CONNECTION_STRING!,
    NOTIFICATIONS_QUEUE_NAME: `cli-${randomUUID().slice(0, 8)}`,
  });
  expect(outcome.code).toBe(0);
  expect(outcome.stderr).toMatch(/^Azurite \(or another storage emulator\) is already listening \(blob \d+, queue \d+, table \d+\); using it\.\n$/);
  expect(outcome.stdout.trim()).toBe("No messages waiting.");
});

describe("npm start's banner", () => {
  let started: ChildProcess | undefined;
  afterEach(() => {
    started?.kill("SIGTERM");
  });

  test("over HTTPS, every curl it suggests trusts the certificate, and it lists the settings the environment overrides", async () => {
    const port = await freePort();
    started = spawn(process.execPath, [path.join(OUT, PROGRAMS.start.file), "--https"], {
      cwd: ROOT,
      env: environment({
        ImportExportStorage: process.env.TEST_STORAGE_CONNECTION_STRING!,
        JOBS_TABLE_NAME: "clibannerjobs",
        CREATING_JOB_LIFETIME: "PT2M",
        LOCAL_HOST_PORT: String(port),
      }),
    });
    const banner = await new Promise<string>((resolve, reject) => {
      let output = "";
      started!.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ctrl-C stops")) resolve(output);
      });
      started!.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      started!.on("exit", (code) => reject(new Error(`npm start exited (${code}) before its banner:\n${output}`)));
    });

    expect(banner).toContain(`listening on https://127.0.0.1:${port}`);
    expect(banner).toMatch(/^Set by the environment, overriding local\.settings(\.sample)?\.json: .*ImportExportStorage=\(set\)/m);
    expect(banner).toMatch(/^Set by the environment.*JOBS_TABLE_NAME=clibannerjobs, CREATING_JOB_LIFETIME=PT2M/m);
    expect(banner).not.toContain("AccountKey");
    const curls = banner.split("\n").filter((line) => line.includes("curl "));
    expect(curls.length).toBeGreaterThanOrEqual(3);
    for (const line of curls) expect(line).toMatch(/curl --cacert \S+cert\.pem /);
    expect(banner).toMatch(/Run it now: curl --cacert \S+ -X POST -H 'Authorization: Bearer dev-operator' https:\/\/127\.0\.0\.1:\d+\/admin\/functions\/MaintenanceSweep/);
  });

  test("when the Azurite it started dies, it says so and stops (regression: it went on answering 503 in silence)", async () => {
    const port = await freePort();
    const location = mkdtempSync(path.join(os.tmpdir(), "start-azurite-"));
    try {
      // Azurite's account on free ports: npm start starts its own Azurite there, as with UseDevelopmentStorage.
      started = spawn(process.execPath, [path.join(OUT, PROGRAMS.start.file)], {
        cwd: ROOT,
        env: environment({ ImportExportStorage: azuriteConnectionString(await freePorts()), AZURITE_LOCATION: location, LOCAL_HOST_PORT: String(port) }),
      });
      let output = "";
      const exited = new Promise<number | null>((resolve) => started!.on("exit", (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        started!.stdout!.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("Ctrl-C stops")) resolve();
        });
        started!.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before its banner:\n${output}`)));
      });
      const [azurite] = execFileSync("ps", ["-o", "pid=", "--ppid", String(started.pid)], { encoding: "utf8" }).trim().split(/\s+/).map(Number);
      process.kill(azurite, "SIGKILL");

      const code = await Promise.race([exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 15_000))]);

      expect(code).toBe(1);
      expect(output).toMatch(/^Azurite stopped unexpectedly \(signal SIGKILL\)/m);
      expect(output).toMatch(/npm start again/);
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});
