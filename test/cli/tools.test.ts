/**
 * The two installed tools (`importexport-drive`, `importexport-datacenter`) as a user meets them,
 * run as processes: one wording for every command-line mistake (exit 2), help per subcommand
 * listing that subcommand's options, settings read as `npm start` reads them (setting by setting),
 * and one plain line when the storage account or the service cannot be reached.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { customerConnectionString, DEMOSTORE_ACCOUNT, DEMOSTORE_KEY, freePort } from "../../devhost/azurite";
import { bundleCli, runCli, startCli } from "../support/cli";

let drive: string;
let datacenter: string;
let work: string;

beforeAll(() => {
  drive = bundleCli("drive");
  datacenter = bundleCli("datacenter");
  work = mkdtempSync(path.join(os.tmpdir(), "tools-"));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The test Azurite's blob port, where demostore lives. */
function demostorePort(): number {
  return Number(new URL(process.env.CUSTOMER_BLOB_ENDPOINT!.replace("{account}", "x")).port);
}

describe("one voice for command-line mistakes", () => {
  test.each([
    ["importexport-datacenter", () => datacenter, ["--bogus"]],
    ["importexport-drive", () => drive, ["--bogus"]],
    ["importexport-datacenter import", () => datacenter, ["import", "--bogus", "x"]],
    ["importexport-datacenter export", () => datacenter, ["export", "--job", "a/b/c", "--bogus"]],
    ["importexport-drive prepare", () => drive, ["prepare", "--bogus"]],
    ["importexport-drive preview-export", () => drive, ["preview-export", "--bogus=1"]],
    ["importexport-drive repair-import", () => drive, ["repair-import", "--bogus"]],
  ])("%s with an unknown flag says it is unknown, points to its --help, exit 2 (regression: 'datacenter -- --bogus' said it needs a value)", async (command, tool, args) => {
    const run = await runCli(tool(), args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${command}: unknown option '--bogus'\nRun '${command} --help' for the options.\n`);
    expect(run.stdout).toBe("");
  });

  test("a flag without its value, an unknown command, a stray argument: the same two lines", async () => {
    const missing = await runCli(datacenter, ["import", "--drive", "D1", "--job"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("importexport-datacenter import: option '--job' needs a value\nRun 'importexport-datacenter import --help' for the options.\n");
    const forgotten = await runCli(drive, ["prepare", "--drive", "--source", "x"]);
    expect(forgotten.stderr).toMatch(/^importexport-drive prepare: option '--drive' needs a value\n/);
    const command = await runCli(drive, ["format"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/^importexport-drive: unknown command 'format' \(prepare, preview-export, repair-export, repair-import\)\nRun 'importexport-drive --help' for the options\.\n$/);
    const stray = await runCli(datacenter, ["import", "extra"]);
    expect(stray.stderr).toMatch(/^importexport-datacenter import: unexpected argument 'extra'\n/);
  });
});

describe("help per subcommand", () => {
  /** The flags an option table lists, in order. */
  const flags = (help: string) => [...help.matchAll(/^ {2}(?:-h, )?(--[a-z-]+)/gm)].map((match) => match[1]);

  test("datacenter import --help and export --help each describe their own command, once (regression: both printed the same text, the usage twice, import's options only)", async () => {
    const [importHelp, exportHelp] = await Promise.all([runCli(datacenter, ["import", "--help"]), runCli(datacenter, ["export", "--help"])]);
    for (const help of [importHelp, exportHelp]) {
      expect(help.code).toBe(0);
      expect(help.stderr).toBe("");
      expect(help.stdout.match(/^Usage:/gm)).toHaveLength(1);
    }
    expect(importHelp.stdout).toMatch(/^Usage: importexport-datacenter import --job /);
    expect(exportHelp.stdout).toMatch(/^Usage: importexport-datacenter export --job /);
    expect(importHelp.stdout).not.toEqual(exportHelp.stdout);
    expect(flags(exportHelp.stdout)).toContain("--capacity");
    expect(flags(importHelp.stdout)).not.toContain("--capacity");
    expect(importHelp.stdout).not.toContain("--capacity");
    for (const flag of ["--job", "--drive", "--path", "--api", "--token", "--parallelism", "--state-dir", "--lease", "--api-timeout", "--cap-mbps", "--help"]) {
      expect(flags(importHelp.stdout)).toContain(flag);
      expect(flags(exportHelp.stdout)).toContain(flag);
    }
  });

  test.each([
    ["repair-export", ["--drive", "--copy-log", "--account", "--help"], ["--source"]],
    ["repair-import", ["--source", "--copy-log", "--account", "--help"], ["--drive"]],
    ["preview-export", ["--account", "--blob-list", "--prefix", "--drive-size", "--help"], ["--drive", "--source"]],
    ["prepare", ["--drive", "--source", "--destination", "--dataset", "--disposition", "--metadata", "--properties", "--drive-id", "--bitlocker-key", "--block-size", "--help"], ["--account"]],
  ])("drive %s --help lists that command's options, and only those (regression: repair-* listed none)", async (command, listed, absent) => {
    const help = await runCli(drive, [command, "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: importexport-drive ${command} `));
    expect(help.stdout).toMatch(/^Options:$/m);
    expect(flags(help.stdout)).toEqual(listed);
    for (const flag of absent) expect(flags(help.stdout)).not.toContain(flag);
  });

  test("the tool's own help lists its commands; 'help <command>' is that command's --help", async () => {
    const tool = await runCli(datacenter, ["--help"]);
    expect(tool.code).toBe(0);
    expect(tool.stdout).toMatch(/^Usage: importexport-datacenter <command> \[options\]\n/);
    expect(tool.stdout).toMatch(/^ {2}import {2,}\S/m);
    expect(tool.stdout).toMatch(/^ {2}export {2,}\S/m);
    expect((await runCli(datacenter, ["help", "export"])).stdout).toBe((await runCli(datacenter, ["export", "-h"])).stdout);
  });
});

describe("settings, read as npm start reads them", () => {
  test("CUSTOMER_BLOB_ENDPOINT alone in the environment: the account key still comes from local.settings (regression: one variable made the tools ignore the file, and the key was lost)", async () => {
    const containerName = `settings-${randomUUID().slice(0, 8)}`;
    const account = BlobServiceClient.fromConnectionString(customerConnectionString(demostorePort()));
    await account.getContainerClient(containerName).createIfNotExists();
    await account.getContainerClient(containerName).getBlockBlobClient("a.txt").upload("abc", 3);

    const run = await runCli(drive, ["preview-export", "--account", DEMOSTORE_ACCOUNT, "--prefix", `/${containerName}/`, "--drive-size", "1GB"], {
      env: { CUSTOMER_BLOB_ENDPOINT: process.env.CUSTOMER_BLOB_ENDPOINT, CUSTOMER_ACCOUNT_KEYS: undefined },
    });

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Number of blobs that can be exported:\t1$/m);
  });
});

describe("storage or service out of reach", () => {
  test("an account with no key over plain HTTP: said plainly, before any request (regression: an error about bearer tokens over HTTP)", async () => {
    const run = await runCli(drive, ["preview-export", "--account", DEMOSTORE_ACCOUNT, "--prefix", "/photos/", "--drive-size", "1GB"], {
      env: { CUSTOMER_BLOB_ENDPOINT: process.env.CUSTOMER_BLOB_ENDPOINT, CUSTOMER_ACCOUNT_KEYS: "" },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `importexport-drive: storage account '${DEMOSTORE_ACCOUNT}' has no key here (CUSTOMER_ACCOUNT_KEYS), and its endpoint ` +
        `http://127.0.0.1:${demostorePort()}/${DEMOSTORE_ACCOUNT} is plain HTTP, where an Azure sign-in is never sent: give its key, or an https endpoint.\n`,
    );
  });

  test("a storage account that does not answer: one line naming it and what to check, exit 1 (regression: 'unexpected failure: connect ECONNREFUSED')", async () => {
    const port = await freePort();
    const run = await runCli(drive, ["preview-export", "--account", DEMOSTORE_ACCOUNT, "--prefix", "/photos/", "--drive-size", "1GB"], {
      env: { CUSTOMER_BLOB_ENDPOINT: `http://127.0.0.1:${port}/{account}`, CUSTOMER_ACCOUNT_KEYS: `${DEMOSTORE_ACCOUNT}:${DEMOSTORE_KEY}` },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `importexport-drive: cannot reach storage account '${DEMOSTORE_ACCOUNT}' at http://127.0.0.1:${port}/${DEMOSTORE_ACCOUNT} (connection refused): ` +
        "is Azurite running (npm start)? CUSTOMER_BLOB_ENDPOINT says where the accounts are.\n",
    );
  });

  test("a service that does not answer: the agent says so at once, plainly, while it tries again", async () => {
    const port = await freePort();
    const { child, done } = startCli(datacenter, ["import", "--job", "sub/rg/job", "--drive", "D1", "--path", work, "--api", `http://127.0.0.1:${port}`, "--state-dir", path.join(work, "state")]);
    const said = await new Promise<string>((resolve) => {
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("\n")) resolve(stderr);
      });
    });
    child.kill("SIGTERM");
    await done;
    expect(said).toBe(`importexport-datacenter: cannot reach the service at http://127.0.0.1:${port} (connection refused): is npm start running? (--api or IMPORTEXPORT_API_URL names another); trying again for about a minute\n`);
  });
});
