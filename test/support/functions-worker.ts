/**
 * A stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker gives
 * `@azure/functions` at run time (outside the worker the library finds no such module and runs in
 * "test mode", registering nothing). Supplied as a virtual jest module, it records what the app
 * registers and invokes a function the way the worker does: the programming model the library set
 * builds an invocation model, which turns the host's RPC data into the handler's arguments and the
 * handler's result back into RPC data.
 *
 * The contract is the library's own source (node_modules/@azure/functions/src: app.ts,
 * ProgrammingModel.ts, InvocationModel.ts, hooks/registerHook.ts, converters/) and the worker's
 * types-core: `registerFunction(metadata, callback)`, `registerHook(name, callback)`,
 * `setProgrammingModel(model)`, and per invocation `getInvocationModel(coreContext)` →
 * `getArguments()` → `invokeFunction(context, inputs, callback)` → `getResponse(context, result)`.
 */
import { randomUUID } from "node:crypto";

export interface BindingInfo {
  type: string;
  direction: "in" | "out";
  name?: string;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
}

interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  http?: RpcHttpData;
}

interface RpcHttpData {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: RpcTypedData;
  statusCode?: string;
  cookies?: unknown[];
}

interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: RpcTypedData | null; outputData?: unknown[] }>;
}

interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): InvocationModel;
}

type FunctionCallback = (...args: unknown[]) => unknown;
type HookCallback = (context: unknown) => void | Promise<void>;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** What the app registered, in order. */
export const registrations = {
  functions: [] as RegisteredFunction[],
  hooks: [] as { name: string; callback: HookCallback }[],
  models: [] as ProgrammingModel[],
  logs: [] as { level: string; category: string; message: string }[],
};

/** The module's surface, as the worker exports it. */
export const coreApi = {
  version: "3.10.1",
  hostVersion: "4.1036.1",
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback) {
    registrations.functions.push({ metadata, callback });
    return { dispose: () => {} };
  },
  registerHook(name: string, callback: HookCallback) {
    registrations.hooks.push({ name, callback });
    return { dispose: () => {} };
  },
  setProgrammingModel(model: ProgrammingModel) {
    registrations.models.push(model);
  },
  getProgrammingModel(): ProgrammingModel {
    return registrations.models[registrations.models.length - 1];
  },
  log(level: string, category: string, message: string) {
    registrations.logs.push({ level, category, message });
  },
};

export function registered(name: string): RegisteredFunction {
  const found = registrations.functions.filter((entry) => entry.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} functions named ${name} were registered`);
  return found[0];
}

export function triggerBinding(metadata: FunctionMetadata): [string, BindingInfo] {
  const triggers = Object.entries(metadata.bindings).filter(([, binding]) => binding.direction === "in" && /Trigger$/.test(binding.type));
  if (triggers.length !== 1) throw new Error(`${metadata.name} has ${triggers.length} trigger bindings`);
  return triggers[0];
}

/** Runs every hook of that name as the worker does at start-up, with a fresh hook context. */
export async function runHooks(name: string): Promise<void> {
  for (const hook of registrations.hooks.filter((entry) => entry.name === name)) {
    await hook.callback({ hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() });
  }
}

/** An HTTP request as the host forwards it to the worker, after routing it to a function. */
export interface HostHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
  body?: Buffer;
}

export interface HostHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Invokes an HTTP function through the programming model and returns what the worker hands the host. */
export async function invokeHttp(name: string, request: HostHttpRequest): Promise<HostHttpResponse> {
  const { metadata, callback } = registered(name);
  const [bindingName] = triggerBinding(metadata);
  const url = new URL(request.url);
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const http: RpcHttpData = {
    method: request.method,
    url: request.url,
    headers: request.headers,
    query,
    params: request.params,
    // The worker announces RawHttpBodyBytes, so the host sends the body as bytes.
    body: request.body && request.body.length > 0 ? { bytes: request.body } : undefined,
  };
  const response = await invoke(metadata, callback, [{ name: bindingName, data: { http } }]);
  const output = response.returnValue?.http;
  if (!output) throw new Error(`${name} returned no HTTP response: ${JSON.stringify(response)}`);
  const body = output.body?.bytes ?? (output.body?.string !== undefined ? Buffer.from(output.body.string) : new Uint8Array());
  return { status: Number(output.statusCode), headers: output.headers ?? {}, body: Buffer.from(body) };
}

/** Invokes a timer function as the host does on schedule. */
export async function invokeTimer(name: string): Promise<void> {
  const { metadata, callback } = registered(name);
  const [bindingName] = triggerBinding(metadata);
  const timer = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
  await invoke(metadata, callback, [{ name: bindingName, data: { json: JSON.stringify(timer) } }]);
}

async function invoke(metadata: FunctionMetadata, callback: FunctionCallback, inputData: { name: string; data: RpcTypedData }[]) {
  const model = coreApi.getProgrammingModel();
  if (!model) throw new Error("the app set no programming model");
  const invocationId = randomUUID();
  const coreContext = {
    invocationId,
    request: { invocationId, functionId: metadata.name, inputData, triggerMetadata: {} },
    metadata: { name: metadata.name, bindings: metadata.bindings },
    state: undefined as string | undefined,
    log: (level: string, category: string, message: string) => registrations.logs.push({ level, category, message }),
  };
  const invocation = model.getInvocationModel(coreContext);
  const { context, inputs } = await invocation.getArguments();
  coreContext.state = "invocation";
  const result = await invocation.invokeFunction(context, inputs, callback);
  coreContext.state = undefined;
  return invocation.getResponse(context, result);
}
