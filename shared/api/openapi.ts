/**
 * The OpenAPI 3.1 document of the service's own surfaces (the operator API and the portal's API),
 * served at `GET /operator/openapi.json`. It is generated from the route table and the same zod
 * schemas the handlers parse with (`z.toJSONSchema`), so a route, a parameter or an event added
 * there is in the document without anyone editing it; the table below adds only words.
 * The ARM surface is described by Microsoft's own specification, not here.
 */
import { z } from "zod";
import { JOB_STATES } from "../domain/job-state-machine";
import { arrivalBody, arrivalsQuery, attachArrivalBody, attachArrivalParams, claimBody, driveParams, operatorEventBody, operatorJobsQuery } from "./operator-schemas";
import { RouteDefinition, routes } from "./routes";
import { jobParams } from "./schemas";

type JsonSchema = Record<string, unknown>;

interface OperationDoc {
  summary: string;
  description?: string;
  /** Who may call: an operator's token, a customer's, or no token at all. */
  caller: "operator" | "customer" | "anyone";
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The request body: a zod schema, or the name of a schema in `components.schemas`. */
  body?: z.ZodType | string;
  responses: Record<string, { description: string; content?: string; schema?: JsonSchema }>;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const OPERATOR_JOB = { description: "The job in Get Job's ARM shape, plus an `operator` section (allowed events, extra drives, deadlines, fault and return-address flags).", schema: ref("OperatorJob") };
const PAGE = (item: string) => ({ description: `A page: \`value\` and, when more remain, \`nextLink\`.`, schema: { type: "object", properties: { value: { type: "array", items: ref(item) }, nextLink: { type: "string", format: "uri" } }, required: ["value"] } });

/** The words for each route of the operator and portal surfaces, by the route table's function name. */
const OPERATIONS: Record<string, OperationDoc> = {
  Operator_OpenApi: {
    summary: "This document",
    caller: "anyone",
    responses: { "200": { description: "The OpenAPI 3.1 document of the operator and portal endpoints." } },
  },
  Operator_ListJobs: {
    summary: "Jobs that need attention, across subscriptions",
    description: "A view (`attention` by default when no `state` is given), or the jobs in the listed states. `state` is a comma-separated list of " + JOB_STATES.join(", ") + ".",
    caller: "operator",
    query: operatorJobsQuery,
    responses: { "200": PAGE("OperatorJob") },
  },
  Operator_GetJob: { summary: "A job as operators see it", caller: "operator", params: jobParams, responses: { "200": OPERATOR_JOB } },
  Operator_PostJobEvent: {
    summary: "Record an operator event on a job",
    description:
      "One typed event (`type` says which); it goes through the job and drive state machines. An event the job's state doesn't allow is `409 EventNotAllowed`. " +
      "A `PackageReceived` for a job that isn't `Shipping`, or doesn't exist, is recorded as an unmatched arrival (202); " +
      "a package already unmatched under the same label (carrier and tracking number compared after NFKC, case folding, without spaces or dashes) answers with the arrival first recorded.",
    caller: "operator",
    params: jobParams,
    body: "OperatorEvent",
    responses: {
      "200": OPERATOR_JOB,
      "202": { description: "The package was recorded as an unmatched arrival.", schema: { type: "object", properties: { arrival: ref("Arrival") }, required: ["arrival"] } },
    },
  },
  Operator_CheckLinkedAccess: {
    summary: "Whether the job's tenant still owns its storage account",
    description:
      "The linked access check asked again for the job's own tenant, as the copy agent does before it touches the account: `granted`, or not with the `reason`. " +
      "A drive of a job that is not granted is faulted with `LinkedAuthorizationFailed`, and nothing is read from or written to the account.",
    caller: "operator",
    params: jobParams,
    responses: {
      "200": {
        description: "The verdict.",
        schema: { type: "object", properties: { storageAccountId: { type: "string" }, granted: { type: "boolean" }, reason: { type: "string" } }, required: ["storageAccountId", "granted"] },
      },
    },
  },
  Operator_ClaimDrive: {
    summary: "Claim a drive for a copy agent",
    description:
      "A lease on the drive for one agent (`<station>/<run>`), for `leaseDuration` (ISO-8601) on the service's clock; the holder's `TransferProgress` renews it, and its events must carry its `agentId`. " +
      "Another agent is refused with `409 DriveClaimed`, naming the holder and the expiry, until the lease expires; the same agent claiming again renews it. `replaces` takes over from a named holder (the agent's own crashed run).",
    caller: "operator",
    params: jobParams.extend(driveParams.shape),
    body: claimBody,
    responses: {
      "200": {
        description: "The claim.",
        schema: { type: "object", properties: { driveId: { type: "string" }, agentId: { type: "string" }, claimedAt: { type: "string", format: "date-time" }, expiresAt: { type: "string", format: "date-time" }, leaseDuration: { type: "string" } }, required: ["driveId", "agentId", "claimedAt", "expiresAt"] },
      },
    },
  },
  Operator_BreakDriveClaim: {
    summary: "Break a drive's claim",
    description: "For a claim whose agent is gone (or must stop): the holder's next event is refused with `409 DriveNotClaimed`, and another agent may claim the drive. Breaking no claim is no change.",
    caller: "operator",
    params: jobParams.extend(driveParams.shape),
    responses: { "200": OPERATOR_JOB },
  },
  Operator_GetJobHistory: {
    summary: "A job's history",
    description: "Every state change of the job or a drive, by customer, operator or timer.",
    caller: "operator",
    params: jobParams,
    responses: { "200": { description: "`value`: the history, oldest first.", schema: { type: "object", properties: { value: { type: "array", items: { type: "object" } } }, required: ["value"] } } },
  },
  Operator_ListArrivals: { summary: "Arrivals, unmatched or attached", caller: "operator", query: arrivalsQuery, responses: { "200": PAGE("Arrival") } },
  Operator_RecordArrival: {
    summary: "Record a package that arrived",
    description:
      "With a job that is `Shipping`, the package is received on it (200); otherwise it is kept as an unmatched arrival (201), " +
      "or, if the same package is already unmatched under the same label, the arrival first recorded is the answer (201).",
    caller: "operator",
    body: arrivalBody,
    responses: { "200": OPERATOR_JOB, "201": { description: "Recorded as an unmatched arrival.", schema: ref("Arrival") } },
  },
  Operator_AttachArrival: {
    summary: "Attach an unmatched arrival to its job",
    caller: "operator",
    params: attachArrivalParams,
    body: attachArrivalBody,
    responses: { "200": OPERATOR_JOB },
  },
  Portal_JobTimeline: {
    summary: "A job's deadlines and path of states",
    description: "The customer status page's one call of its own: what Get Job's ARM shape has no place for. The caller's tenant only, as Get Job.",
    caller: "customer",
    params: jobParams,
    responses: { "200": { description: "The deadlines of the current state, the path of states, the actions the state allows." } },
  },
  Portal_Root: {
    summary: "The portal",
    description: "The customer status page is at `/portal/`, the operator console at `/portal/operator`; both call the API with the user's token.",
    caller: "anyone",
    responses: { "302": { description: "To `/portal/`, the customer status page." } },
  },
};

const ERROR = {
  type: "object",
  description: "ARM's error shape, as every error of the service.",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        target: { type: "string" },
        details: { type: "array", items: { type: "object", properties: { code: { type: "string" }, message: { type: "string" }, target: { type: "string" } }, required: ["code", "message"] } },
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

/** A zod schema as the JSON Schema a client sends: the input side of transforms, no `$schema` per fragment. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Each event on its own in `components.schemas` (`PackageReceivedEvent`, …), joined by `type`. */
function eventSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  const mapping: Record<string, string> = {};
  for (const option of operatorEventBody.options) {
    const type = option.shape.type.value as string;
    schemas[`${type}Event`] = jsonSchema(option);
    mapping[type] = `#/components/schemas/${type}Event`;
  }
  schemas.OperatorEvent = {
    description: "One operator event; `type` says which.",
    oneOf: Object.keys(mapping).map((type) => ref(`${type}Event`)),
    discriminator: { propertyName: "type", mapping },
  };
  return schemas;
}

function parameters(schema: z.ZodObject, location: "path" | "query"): JsonSchema[] {
  const object = jsonSchema(schema) as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

/** `operator/jobs/{jobName}` → `/operator/jobs/{jobName}`; a catch-all (`{*path}`) has no OpenAPI form. */
function openApiPath(route: RouteDefinition): string | undefined {
  if (route.route.includes("{*")) return undefined;
  return `/${route.route}`;
}

function operation(route: RouteDefinition, doc: OperationDoc | undefined): JsonSchema {
  const pathNames = [...route.route.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  const pathParameters = doc?.params ? parameters(doc.params, "path") : pathNames.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  const success = Object.entries(doc?.responses ?? { "200": { description: "Success." } }).map(([status, response]) => [
    status,
    {
      description: response.description,
      ...(response.schema ? { content: { [response.content ?? "application/json"]: { schema: response.schema } } } : {}),
    },
  ]);
  const body = doc?.body;
  return {
    operationId: route.name,
    summary: doc?.summary ?? route.name,
    ...(doc?.description ? { description: doc.description } : {}),
    tags: [route.route.startsWith("operator/") ? "operator" : "portal"],
    ...(doc?.caller === "anyone" ? { security: [] } : {}),
    parameters: [...pathParameters, ...(doc?.query ? parameters(doc.query, "query") : [])],
    ...(body
      ? { requestBody: { required: true, content: { "application/json": { schema: typeof body === "string" ? ref(body) : jsonSchema(body) } } } }
      : {}),
    responses: {
      ...Object.fromEntries(success),
      default: { description: "An error, in ARM's shape (400 bad input, 401/403 token or role, 404, 409 a state that doesn't allow it, 503 storage unreachable).", content: { "application/json": { schema: ref("Error") } } },
    },
  };
}

/** The routes this document covers: every operator and portal route the table has. */
function documentedRoutes(): RouteDefinition[] {
  return routes.filter((route) => /^(operator|portal)(\/|$)/.test(route.route) && openApiPath(route) !== undefined);
}

let cached: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of documentedRoutes()) {
    const item = (paths[openApiPath(route)!] ??= {});
    for (const method of route.methods) item[method.toLowerCase()] = operation(route, OPERATIONS[route.name]);
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Azure Import/Export service: operator and portal API",
      version: "1.0.0",
      description:
        "The data center's surface (operator events, queues, arrivals) and the portal's own endpoint, outside ARM's paths: no api-version, " +
        "errors in ARM's shape. Operator calls need a token carrying the operator role; the portal's timeline is a customer call. " +
        "Generated from the route table and the zod schemas the handlers parse with.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "operator", description: "Data-center operators: events, queues, arrivals." },
      { name: "portal", description: "The portal's pages and its one API of its own." },
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A Microsoft Entra ID token (in dev mode: `dev`, `dev-operator`)." } },
      schemas: {
        ...eventSchemas(),
        OperatorJob: {
          type: "object",
          description: "Get Job's ARM shape plus the `operator` section.",
          properties: {
            id: { type: "string" },
            name: { type: "string" },
            type: { type: "string" },
            location: { type: "string" },
            properties: { type: "object" },
            operator: {
              type: "object",
              properties: {
                creationId: { type: "string", description: "Set at creation, never changed; a job re-created under the same name has another." },
                allowedEvents: { type: "array", items: { type: "string" } },
                extraDrives: { type: "array", items: { type: "string" } },
                driveClaims: {
                  type: "array",
                  description: "The copy agents holding drives.",
                  items: { type: "object", properties: { driveId: { type: "string" }, agentId: { type: "string" }, claimedAt: { type: "string", format: "date-time" }, expiresAt: { type: "string", format: "date-time" } } },
                },
              },
            },
          },
          required: ["id", "name", "properties", "operator"],
        },
        Arrival: {
          type: "object",
          properties: {
            id: { type: "string" },
            status: { type: "string" },
            carrierName: { type: "string" },
            trackingNumber: { type: "string" },
            driveIds: { type: "array", items: { type: "string" } },
            arrivedAt: { type: "string", format: "date-time" },
          },
          required: ["id", "status", "driveIds"],
        },
        Error: ERROR,
      },
    },
  };
  return cached;
}
