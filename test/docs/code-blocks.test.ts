/**
 * Every code block of README.md and docs/*.md that a reader would paste is checked here, by kind
 * (test/support/doc-blocks.ts): shell commands name npm scripts, tool commands and options, and
 * routes that exist, with request bodies that pass the handlers' zod schemas; JSON parses; XML
 * blob lists and dataset CSVs parse as the tools parse them; state diagrams draw only the state
 * machines' transitions; JavaScript lints and type-checks as a file of examples/. An unmarked block
 * no check understands fails. And the links between the pages point at files and headings that exist.
 * Regression (issue 23): the README's SDK snippet, saved in examples/ as the README invited, failed
 * `npm test` at lint; the walkthrough's error-log step used a job it never created.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEMOSTORE_ACCOUNT, DEMOSTORE_KEY } from "../../devhost/azurite";
import { brokenLinks, checkBlocks, CodeBlock, documentationFiles, extractBlocks, lintAsExamples, ROOT, typecheckAsExamples } from "../support/doc-blocks";

const pages = documentationFiles().map((file) => ({ file, markdown: readFileSync(path.join(ROOT, file), "utf8") }));
const blocksOf = (file: string, markdown: string) => extractBlocks(file, markdown);
const allBlocks = pages.flatMap(({ file, markdown }) => blocksOf(file, markdown));
const where = (block: CodeBlock) => `${block.file}:${block.line} (${block.lang || "no language"})`;

/** The problems of a markdown text's blocks, as `file:line: problem` lines. */
function problemsOf(file: string, markdown: string): string[] {
  const blocks = blocksOf(file, markdown);
  const code = blocks.filter((block) => block.notChecked === undefined && (block.lang === "js" || block.lang === "ts"));
  const lint = lintAsExamples(code.filter((block) => block.lang === "js").map((block) => block.text));
  const types = typecheckAsExamples(code.map((block) => ({ code: block.text, lang: block.lang as "js" | "ts" })));
  const codeProblems = code.flatMap((block, at) => [
    ...(block.lang === "js" ? lint[code.filter((other) => other.lang === "js").indexOf(block)] : []).map((problem) => `${where(block)}: lint ${problem}`),
    ...types[at].map((problem) => `${where(block)}: ${problem}`),
  ]);
  return [...checkBlocks(blocks).flatMap(({ block, problems }) => problems.map((problem) => `${where(block)}: ${problem}`)), ...codeProblems];
}

test("finds the pages and their blocks: the README and every docs/ page", () => {
  expect(pages.map((page) => page.file)).toEqual(expect.arrayContaining(["README.md", "docs/customer-api.md", "docs/operator-api.md", "docs/data-plane.md", "docs/deploy.md", "docs/settings.md"]));
  expect(allBlocks.length).toBeGreaterThan(20);
  expect(allBlocks.filter((block) => block.file === "README.md" && block.lang === "js")).toHaveLength(1);
});

test.each(pages.map((page) => [page.file, page.markdown]))("every block of %s a reader would paste passes its checks", (file, markdown) => {
  expect(problemsOf(file, markdown)).toEqual([]);
}, 120_000);

test("every block that is not checked says why (output, or a format of its own)", () => {
  const unchecked = allBlocks.filter((block) => block.notChecked !== undefined);
  for (const block of unchecked) expect([where(block), block.notChecked!.length > 0]).toEqual([where(block), true]);
  // Most blocks are checked: the markers are for output samples.
  expect(unchecked.length).toBeLessThan(allBlocks.length / 3);
});

test("the links between the README and docs/ point at files and headings that exist", () => {
  expect(pages.flatMap(({ file, markdown }) => brokenLinks(file, markdown))).toEqual([]);
  // The README links every page of docs/.
  const readme = pages.find((page) => page.file === "README.md")!.markdown;
  expect(pages.filter((page) => page.file !== "README.md" && !readme.includes(`](${page.file})`)).map((page) => page.file)).toEqual([]);
});

test("the README stays the newcomer's page: the two commands first, and a few hundred lines", () => {
  const readme = pages.find((page) => page.file === "README.md")!.markdown;
  expect(readme.split("\n").length).toBeLessThanOrEqual(350);
  const firstSection = readme.slice(readme.indexOf("## "), readme.indexOf("## ", readme.indexOf("## ") + 3));
  expect(firstSection).toContain("## Two commands");
  expect(firstSection).toContain("| install and start the service (Azurite included) | `npm install && npm start` |");
  expect(firstSection).toContain("| install and run the tests | `npm ci && npm test` |");
  expect(readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).toMatch(/^npm ci && npm test$/m);
});

test("the walkthrough's error log comes from a job the walkthrough creates, prepared, shipped and received before the agent runs", () => {
  const page = pages.find((candidate) => candidate.file === "docs/data-plane.md")!.markdown;
  const block = blocksOf("docs/data-plane.md", page).find((candidate) => candidate.lang === "bash" && candidate.text.includes("errorLogUri"))!;
  const order = ["importexport-drive prepare --drive ./drives/D2", "-X PUT \"$JOB2", "-X PATCH \"$JOB2", "jobs/second-import/events", "dd of=./drives/D2/", "importexport-datacenter import --job $SUB/demo/second-import", "errorLogUri"];
  const positions = order.map((step) => block.text.indexOf(step));
  expect(positions.every((position) => position >= 0)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
});

test("the demostore connection string the docs give is the account Azurite serves, with its key", () => {
  const page = pages.find((candidate) => candidate.file === "docs/data-plane.md")!.markdown;
  const given = blocksOf("docs/data-plane.md", page).filter((block) => block.text.startsWith("DefaultEndpointsProtocol="));
  expect(given).toHaveLength(1);
  expect(given[0].text).toBe(`DefaultEndpointsProtocol=http;AccountName=${DEMOSTORE_ACCOUNT};AccountKey=${DEMOSTORE_KEY};BlobEndpoint=http://127.0.0.1:10000/${DEMOSTORE_ACCOUNT};`);
  // The walkthrough lists the blobs with the same string.
  expect(page).toContain(`"${given[0].text}"`);
});

describe("a planted broken block fails", () => {
  const planted = (lang: string, text: string, before = "") => problemsOf("planted.md", `${before}\n\`\`\`${lang}\n${text}\n\`\`\`\n`);

  test.each([
    ["an npm script that does not exist", "npm run no-such-script"],
    ["an option the npm script's program does not have", "npm start -- --no-such-flag"],
    ["a command the drive tool does not have", "npx importexport-drive no-such-command --drive ./d"],
    ["an option the drive tool's command does not have", "npx importexport-drive prepare --drive ./d --no-such-flag x"],
    ["an option of another command of the agent", "npx importexport-datacenter import --job s/r/j --drive D --path ./d --capacity 1GB"],
    ["a path no route serves", "curl -s http://127.0.0.1:7071/subscriptions/x/providers/Microsoft.ImportExport/jobz?api-version=2021-01-01"],
    ["a method the route does not take", "curl -s -X DELETE 'http://127.0.0.1:7071/providers/Microsoft.ImportExport/locations?api-version=2021-01-01'"],
    ["a customer call without api-version", "curl -s http://127.0.0.1:7071/providers/Microsoft.ImportExport/locations"],
    ["an event body the handler refuses", `curl -s -X POST http://127.0.0.1:7071/operator/subscriptions/$SUB/resourceGroups/demo/jobs/j/events -d '{"type":"TransferProgress","driveId":"D","bytesSucceeded":1,"percentComplete":5,"errorLog":"one line"}'`],
    ["a Create body the handler refuses", `JOB="http://127.0.0.1:7071/subscriptions/$SUB/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/j"\ncurl -s -X PUT "$JOB?api-version=2021-01-01" -d '{"location":"westus","properties":{"jobType":"Import","driveList":[{"driveId":"D"}]}}'`],
    ["a body that is not JSON", `curl -s -X POST http://127.0.0.1:7071/operator/arrivals -d '{"carrierName":"UPS",}'`],
    ["a file node cannot find", "node examples/no-such-demo.mjs"],
    ["a program the test does not know", "rm -rf ./drives"],
  ])("bash: %s", (_name, text) => {
    expect(planted("bash", text)).toEqual([expect.stringMatching(/^planted\.md:2 \(bash\): /)]);
  });

  test("an operator event with an unknown type, sent through the page's own function", () => {
    const problems = planted("bash", `post() { curl -s -X POST "http://127.0.0.1:7071/operator/subscriptions/$SUB/resourceGroups/demo/jobs/j/events" -d "$1"; echo; }\npost '{"type":"NoSuchEvent"}'`);
    expect(problems).toEqual([expect.stringContaining("Operator_PostJobEvent's schema")]);
  });

  test("JSON that does not parse, a blob list and a dataset CSV the tools refuse, a transition the state machine lacks", () => {
    expect(planted("json", '{"a": 1,}')).toEqual([expect.stringContaining("not JSON")]);
    expect(planted("xml", "<BlobList><BlobPathPrefix>photos</BlobPathPrefix></BlobList>")).toEqual([expect.stringContaining("<BlobList>")]);
    expect(planted("csv", "BasePath,DstBlobPathOrPrefix\n/data/,video/")).toEqual([expect.stringContaining("dataset CSV")]);
    expect(planted("mermaid", "stateDiagram-v2\n    Creating --> Transferring")).toEqual([expect.stringContaining("Creating --> Transferring: no transition of the job state machine")]);
  });

  test("an unmarked block no check understands; the same block marked passes", () => {
    expect(planted("", "DefaultEndpointsProtocol=http;AccountName=x")).toEqual([expect.stringContaining("a block this test cannot check")]);
    expect(planted("yaml", "a: 1")).toEqual([expect.stringContaining("a block this test cannot check")]);
    expect(planted("yaml", "a: 1", "<!-- not-checked: output -->")).toEqual([]);
    expect(planted("text", "anything at all")).toEqual([]);
  });

  test("the README's old SDK snippet, saved in examples/, fails lint (its job was never used); TypeScript that does not compile fails", () => {
    const oldSnippet = `import { StorageImportExport } from "@azure/arm-storageimportexport";
const credential = { getToken: async () => ({ token: "dev", expiresOnTimestamp: Date.now() + 3600_000 }) };
const client = new StorageImportExport(credential, "00000000-0000-0000-0000-000000000001", { endpoint: "https://127.0.0.1:7071" });
const job = await client.jobs.get("first-job", "demo");
for await (const listed of client.jobs.listBySubscription({ top: 50 })) console.log(listed.name);`;
    expect(planted("js", oldSnippet)).toEqual([expect.stringMatching(/lint .*no-unused-vars 'job' is assigned a value but never used/)]);
    expect(planted("js", `import { StorageImportExport } from "@azure/arm-storageimportexport";\nconsole.log(new StorageImportExport({ getToken: async () => null }, "s").jobs.fetch("j", "g"));`)).toEqual([
      expect.stringMatching(/TS2339 Property 'fetch' does not exist/),
    ]);
    expect(planted("ts", `const count: number = "three";\nconsole.log(count);`)).toEqual([expect.stringMatching(/TS2322/)]);
  }, 60_000);
});
