/**
 * The OpenAPI 3.1 document of the operator and portal endpoints (`GET /operator/openapi.json`): a
 * valid OpenAPI 3.1 document, covering every operator and portal route of the route table, with the
 * event schemas the handlers parse with; and docs/operator-api.md's copy-paste example of every event, which
 * must validate against it, be accepted by the service, and cover every event type there is.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { operatorEventBody } from "../../shared/service/api/operator-schemas";
import { routes } from "../../shared/service/api/routes";
import { call, driveSpec, newSubscriptionId, RETURN_ADDRESS, startTestService, storageAccountId, TestService } from "../support/service";

const ROOT = path.join(__dirname, "..", "..");
const VALIDATOR = "@seriousme/openapi-schema-validator";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is checked field by field
type Json = any;

let service: TestService;
let document: Json;

beforeAll(async () => {
  service = await startTestService();
  const response = await fetch(`${service.url}/operator/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  document = await response.json();
});

afterAll(() => service?.close());

/** The validator is an ES module, which jest's module system can't load: it runs in its own node. */
function validateOpenApi(spec: unknown): Promise<{ valid: boolean; version: string; errors?: unknown }> {
  const script = `
    import { Validator } from "${VALIDATOR}";
    let input = "";
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    console.log(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors }));`;
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(spec));
  });
}

/** docs/operator-api.md's section on operator events: its `post '…'` lines, block by block, and its `-d '…'` bodies. */
function documentedExamples(): { lifecycle: Json[]; others: Json[]; arrivals: Json[] } {
  const page = readFileSync(path.join(ROOT, "docs", "operator-api.md"), "utf8");
  const section = page.slice(page.indexOf("## Every event, ready to paste"), page.indexOf("## OpenAPI"));
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
  expect(blocks).toHaveLength(3);
  const posted = (block: string) => [...block.matchAll(/^post '(.*)'$/gm)].map((match) => JSON.parse(match[1]));
  const bodies = (block: string) => [...block.matchAll(/-d '(.*)'$/gm)].map((match) => JSON.parse(match[1].replace(`"'$SUB'"`, `"${newSubscriptionId()}"`)));
  return { lifecycle: posted(blocks[0]), others: posted(blocks[1]), arrivals: bodies(blocks[2]) };
}

function schemaValidator(schemaName: string) {
  // OpenAPI's `discriminator` is an annotation to JSON Schema: strict mode off so it is ignored.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "openapi.json", components: document.components });
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName}`);
  return validate;
}

function requestSchema(path: string, method: string): Json {
  return document.paths[path][method].requestBody.content["application/json"].schema;
}

test("is a valid OpenAPI 3.1 document", async () => {
  expect(document.openapi).toBe("3.1.0");
  const result = await validateOpenApi(document);
  expect(result.errors).toBeUndefined();
  expect(result).toMatchObject({ valid: true, version: "3.1" });
});

test("the validator does refuse a broken document (so the check above means something)", async () => {
  const broken = { ...document, paths: { "/operator/jobs": { get: { responses: "none" } } } };
  expect((await validateOpenApi(broken)).valid).toBe(false);
});

test("covers every operator and portal route of the route table, by its function name, and needs no token itself", async () => {
  const operations = Object.values(document.paths as Record<string, Record<string, Json>>).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
  const expected = routes.filter((route) => /^(operator|portal)(\/|$)/.test(route.route) && !route.route.includes("{*")).map((route) => route.name);
  expect(expected).toEqual(expect.arrayContaining(["Operator_PostJobEvent", "Operator_ListArrivals", "Operator_RecordArrival", "Operator_AttachArrival", "Portal_JobTimeline", "Operator_OpenApi"]));
  expect(new Set(operations)).toEqual(new Set(expected));

  const events = document.paths["/operator/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/jobs/{jobName}/events"].post;
  expect(events.parameters.map((parameter: Json) => [parameter.name, parameter.in, parameter.required])).toEqual([
    ["subscriptionId", "path", true],
    ["resourceGroupName", "path", true],
    ["jobName", "path", true],
  ]);
  expect(events.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/OperatorEvent" });
  expect(document.paths["/operator/jobs"].get.parameters.map((parameter: Json) => parameter.name)).toEqual(["view", "state", "$top", "$skiptoken"]);
});

test("has each event's schema, as the handlers parse it: errorLog an array of strings, shipDate required on ShippedBack", () => {
  const types = operatorEventBody.options.map((option) => option.shape.type.value);
  expect(document.components.schemas.OperatorEvent.discriminator.propertyName).toBe("type");
  expect(Object.keys(document.components.schemas.OperatorEvent.discriminator.mapping).sort()).toEqual([...types].sort());
  const progress = document.components.schemas.TransferProgressEvent;
  expect(progress.properties.errorLog).toMatchObject({ type: "array", items: { type: "string" } });
  expect(progress.required).toEqual(expect.arrayContaining(["type", "driveId", "bytesSucceeded", "percentComplete"]));
  expect(document.components.schemas.ShippedBackEvent.required).toContain("shipDate");

  const validate = schemaValidator("OperatorEvent");
  expect(validate({ type: "TransferProgress", driveId: "D1", bytesSucceeded: 1, percentComplete: 5, errorLog: "one line" })).toBe(false);
  expect(validate({ type: "ShippedBack", carrierName: "FedEx", trackingNumber: "1", driveCount: 1 })).toBe(false);
  expect(validate({ type: "NoSuchEvent" })).toBe(false);
});

describe("docs/operator-api.md's examples", () => {
  test("there is one for every event type, each valid against the document and accepted by the handlers' own schema", () => {
    const { lifecycle, others } = documentedExamples();
    const examples = [...lifecycle, ...others];
    const types = operatorEventBody.options.map((option) => option.shape.type.value as string);
    expect(examples.map((example) => example.type).sort()).toEqual([...types].sort());

    const validate = schemaValidator("OperatorEvent");
    for (const example of examples) {
      expect([example.type, validate(example), validate.errors ?? null]).toEqual([example.type, true, null]);
      expect([example.type, operatorEventBody.safeParse(example).success]).toEqual([example.type, true]);
    }
  });

  test("the arrival examples are valid request bodies", () => {
    const { arrivals } = documentedExamples();
    expect(arrivals).toHaveLength(2);
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const [record, attach] = [requestSchema("/operator/arrivals", "post"), requestSchema("/operator/arrivals/{arrivalId}/attach", "post")];
    expect(ajv.validate(record, arrivals[0])).toBe(true);
    expect(ajv.validate(attach, arrivals[1])).toBe(true);
  });

  test("the lifecycle block takes the README's first-job from Shipping to Completed, event by event", async () => {
    const sub = newSubscriptionId();
    const job = `/subscriptions/${sub}/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/first-job?api-version=2021-01-01`;
    const drive = driveSpec("9CA995BB");
    expect((await call(service, "PUT", job, { location: "westus", properties: { jobType: "Import", storageAccountId: storageAccountId(sub), driveList: [drive] } })).status).toBe(201);
    const shipping = { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "123456789012", driveCount: 1, shipDate: "2026-11-23" }, returnAddress: RETURN_ADDRESS };
    expect((await call(service, "PATCH", job, { properties: shipping })).status).toBe(200);

    const states: string[] = [];
    for (const event of documentedExamples().lifecycle) {
      const response = await call(service, "POST", `/operator/subscriptions/${sub}/resourceGroups/demo/jobs/first-job/events`, event);
      expect([event.type, response.status]).toEqual([event.type, 200]);
      states.push(response.body.properties.state);
    }
    expect(states).toEqual(["Received", "Transferring", "Transferring", "Packaging", "Completed"]);
  });
});
