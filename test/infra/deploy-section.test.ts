/**
 * docs/deploy.md (once the README's Deploy section), read as the script it is: every parameter the template needs is
 * given, the subscription is registered (ARM's lifecycle notification, with the operator role)
 * before the first request, and it ends with `npm run smoke`, using only flags the smoke test has.
 * Regression (issue 22): the section's first request named a subscription it never registered, so
 * in strict mode it could only be refused.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const section = readFileSync(path.join(ROOT, "docs", "deploy.md"), "utf8");
const script = /```bash\n([\s\S]*?)```/.exec(section)![1];
/** The script's commands, comments dropped and continued lines joined. */
const commands = script
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line && !line.startsWith("#"));
const template = JSON.parse(readFileSync(path.join(ROOT, "infra", "azuredeploy.json"), "utf8"));
const parameterFile = JSON.parse(readFileSync(path.join(ROOT, "infra", "azuredeploy.parameters.json"), "utf8"));

const indexOf = (pattern: RegExp) => commands.findIndex((command) => pattern.test(command));

test("the deployment gives every parameter the template has no default for, and only parameters it has", () => {
  const deployment = commands.find((command) => command.startsWith("az deployment group create"))!;
  const given = [...Object.keys(parameterFile.parameters), ...[...deployment.matchAll(/\s([A-Za-z]+)=/g)].map((match) => match[1])];
  for (const name of given) expect([name, name in template.parameters]).toEqual([name, true]);
  const required = Object.entries(template.parameters).filter(([, parameter]) => !("defaultValue" in (parameter as object))).map(([name]) => name);
  expect(required.filter((name) => !given.includes(name))).toEqual([]);
  // Both audiences Entra writes for the app: its application ID URI and its client id.
  expect(deployment).toContain("authAudience=api://$API_APP");
  expect(deployment).toContain("authClientId=$API_APP");
});

test("the subscription is registered, as ARM registers it, before the first request names it", () => {
  const registration = indexOf(/^az rest --method put .*\/subscriptions\/\$SUB\?api-version=2\.0/);
  const firstRequest = indexOf(/\/subscriptions\/\$SUB\/providers\/Microsoft\.ImportExport\/jobs\?api-version=2021-01-01/);
  expect(registration).toBeGreaterThan(-1);
  expect(firstRequest).toBeGreaterThan(registration);
  expect(commands[registration]).toMatch(/"state\\?": \\?"Registered\\?", \\?"properties\\?": \{\\?"tenantId\\?": \\?"\$TENANT\\?"\}/);
  // With the operator role: it is assigned to the caller before.
  expect(indexOf(/appRoleAssignedTo/)).toBeGreaterThan(-1);
  expect(indexOf(/appRoleAssignedTo/)).toBeLessThan(registration);
  // Both go through the Functions host's key.
  for (const at of [registration, firstRequest]) expect(commands[at]).toContain('--headers "x-functions-key=$KEY"');
  expect(section).toMatch(/Role assignments take a few minutes to apply/);
});

test("it ends with npm run smoke, using only flags the smoke test has", () => {
  const last = commands.at(-1)!;
  expect(last).toMatch(/^npm run smoke -- /);
  const help = /Options:\n([\s\S]*?)\n\n/.exec(readFileSync(path.join(ROOT, "cli", "smoke.ts"), "utf8"))![1];
  const known = [...help.matchAll(/^\s+(--[a-z-]+)/gm)].map((match) => match[1]);
  const used = [...last.matchAll(/\s(--[a-z-]+)/g)].map((match) => match[1]);
  expect(used).toEqual(expect.arrayContaining(["--base-url", "--subscription", "--storage-account-id", "--function-key", "--token-command", "--operator-token-command"]));
  expect(used.filter((flag) => !known.includes(flag))).toEqual([]);
});
