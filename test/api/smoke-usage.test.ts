/**
 * `npm run smoke`'s command line (cli/smoke.ts): `--help` prints the usage; a mistake exits 2 with
 * what was wrong, before any request is sent (nothing answers at the URL these runs name). Key
 * project only: storage plays no part in it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleCli, CliRun, runCli } from "../support/cli";
import { newSubscriptionId, storageAccountId } from "../support/service";

let smoke: string;
let folder: string;

beforeAll(() => {
  smoke = bundleCli("smoke");
  folder = mkdtempSync(path.join(tmpdir(), "smoke-usage-"));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

test("--help prints the usage and exits 0", async () => {
  const help = await runCli(smoke, ["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: npm run smoke -- --base-url <url>/);
  for (const option of ["--token-command <command>", "--operator-token <token>", "--function-key <key>", "--ca <file>", "--timeout <duration>"]) expect(help.stdout).toContain(option);
});

test("bad usage exits 2 with what was wrong, before any request", async () => {
  const sub = newSubscriptionId();
  // Port 9 (discard): had a request gone out, the run would fail differently (exit 1).
  const base = ["--base-url", "https://127.0.0.1:9", "--subscription", sub, "--storage-account-id", storageAccountId(sub)];
  const cases: [string[], RegExp][] = [
    [[], /--base-url is required/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--base-url", "http://127.0.0.1:7071", ...base.slice(2), "--token", "dev"], /--base-url must be https/],
    [["--base-url", "not a url", ...base.slice(2), "--token", "dev"], /--base-url 'not a url' is not a URL/],
    [[...base.slice(0, 2), "--subscription", "not-a-guid", "--token", "dev"], /--subscription must be a subscription id/],
    [[...base.slice(0, 4), "--storage-account-id", "teststore", "--token", "dev"], /--storage-account-id must be a storage account's resource id/],
    [base, /--token or --token-command is required/],
    [[...base, "--token", "dev", "--token-command", "echo dev"], /give --token or --token-command, not both/],
    [[...base, "--token-command", `node -e "process.exit(3)"`], /--token-command '.*' failed \(exit 3\)/],
    [[...base, "--token-command", "echo two words"], /--token-command gave no token/],
    [[...base, "--token-command", `node -e "console.log('{}')"`], /--token-command printed JSON without an accessToken/],
    [[...base, "--token", "dev", "--operator-token-command", `node -e "process.exit(1)"`], /--operator-token-command '.*' failed \(exit 1\)/],
    [[...base, "--token", "dev", "--timeout", "30 seconds"], /--timeout must be an ISO-8601 duration/],
    [[...base, "--token", "dev", "--resource-group", "bad/group"], /--resource-group must be a resource group name/],
    [[...base, "--token", "dev", "--ca", path.join(folder, "missing.pem")], /--ca '.*missing\.pem' can't be read \(ENOENT\)/],
  ];
  // A few at a time: each is a Node process loading the SDK, on a machine the suites share.
  const runs: CliRun[] = [];
  for (let at = 0; at < cases.length; at += 4) runs.push(...(await Promise.all(cases.slice(at, at + 4).map(([args]) => runCli(smoke, args)))));
  cases.forEach(([args, message], index) => {
    const run = runs[index];
    expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: "" });
    expect([args, run.stderr]).toEqual([args, expect.stringMatching(message)]);
    expect(run.stderr).toContain("npm run smoke -- --help");
  });
}, 90_000);
