/**
 * A small stand-in for the Functions host, for machines without Core Tools. It serves the same route
 * table that `functions/` registers, matches routes as the Functions host does (case-insensitive
 * templates, catch-all last), builds real `HttpRequest`/`InvocationContext` objects from
 * `@azure/functions`, and logs one line per request.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { HttpHandler, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from "@azure/functions";
import { errorResponse } from "../shared/service/api/arm-http";
import { compileTemplate } from "../shared/service/api/route-template";
import { RouteDefinition, routes as defaultRoutes } from "../shared/service/api/routes";
import { getServices, getSettings } from "../shared/service/app/composition";
import { ErrorFactory, ServiceError } from "../shared/domain/errors";
import { TimerDefinition } from "../shared/service/app/timers";
import { storageCallCount } from "../shared/storage/storage-pipeline";
import { nextOccurrence, timerSchedule } from "./timer-schedule";

export interface LocalHostOptions {
  port?: number;
  host?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  routes?: RouteDefinition[];
  /** Timers served at `POST /admin/functions/{name}` (as the Functions host does for non-HTTP functions). */
  timers?: TimerDefinition[];
  /** Also fire the timers on their schedules (off in tests, which trigger them on demand). */
  scheduleTimers?: boolean;
  /** One line per request; silent when absent. */
  log?: (line: string) => void;
}

export interface LocalHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  definition: RouteDefinition;
  /** The route's handler, given the services as the Functions host's registration gives them. */
  handler: HttpHandler;
  match(path: string): Record<string, string> | undefined;
  isCatchAll: boolean;
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const compiled: CompiledRoute[] = (options.routes ?? defaultRoutes).map((definition) => {
    const template = compileTemplate(definition.route);
    return { definition, handler: definition.handler(getServices), match: template.match, isCatchAll: template.isCatchAll };
  });
  // As in the Functions host, a catch-all template only gets what no other route takes.
  compiled.sort((a, b) => Number(a.isCatchAll) - Number(b.isCatchAll));
  // Each request is matched only against its method's routes, in the same order.
  const routesByMethod = new Map<string, CompiledRoute[]>();
  for (const route of compiled) {
    for (const method of route.definition.methods) routesByMethod.set(method, [...(routesByMethod.get(method) ?? []), route]);
  }
  const maxBodyBytes = getSettings().maxRequestBodyBytes;

  const timers = options.timers ?? [];
  const scheduler = options.scheduleTimers ? scheduleTimers(timers, options.log ?? (() => {})) : { stop: () => {} };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = process.hrtime.bigint();
    const admin = /^\/admin\/functions\/([^/?]+)\/?(\?.*)?$/i.exec(req.url ?? "");
    const work =
      admin && req.method === "POST"
        ? asOperator(req, res, () => runTimerNow(res, timers, decodeName(admin[1]), options))
        : req.url === "/admin/storage-requests" && req.method === "GET"
          ? asOperator(req, res, () => send(res, "GET", { status: 200, jsonBody: { count: storageCallCount() } }))
          : handle(req, res, routesByMethod, maxBodyBytes, options);
    work
      .catch((error) => {
        const response = errorResponse(error, randomUUID(), {});
        if (!res.headersSent) res.writeHead(response.status ?? 500, response.headers as Record<string, string>);
        res.end(response.body as string);
      })
      .finally(() => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        options.log?.(`${req.method} ${req.url?.split("?")[0]} ${res.statusCode} ${ms.toFixed(1)}ms`);
      });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7071, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        scheduler.stop();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** For a host run as a process of its own (the benchmarks'): prints its URL, and closes it on SIGINT or SIGTERM. */
export function runAsProcess(host: LocalHost): void {
  console.log(`listening ${host.url}`);
  const stop = () => host.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** The admin endpoints are for operators only, checked by the same authenticator as the API. */
async function asOperator(req: http.IncomingMessage, res: http.ServerResponse, work: () => Promise<void>): Promise<void> {
  try {
    const { authenticator } = await getServices();
    await authenticator.authenticate(req.headers.authorization ?? null, "operator");
  } catch (error) {
    return send(res, req.method ?? "POST", errorResponse(error, randomUUID(), {}));
  }
  return work();
}

/** A timer name as the path gives it; one that is not valid %-encoding is looked up as it is (and not found). */
function decodeName(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `POST /admin/functions/{name}`: runs a timer now and answers with what it did. */
async function runTimerNow(res: http.ServerResponse, timers: TimerDefinition[], name: string, options: LocalHostOptions): Promise<void> {
  const timer = timers.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!timer) {
    const known = timers.map((candidate) => candidate.name).join(", ") || "none";
    return send(res, "POST", errorResponse(new ServiceError(404, "FunctionNotFound", `No timer function '${name}'. Timers: ${known}.`), randomUUID(), {}));
  }
  const report = await timer.run(options.log ?? (() => {}));
  return send(res, "POST", { status: 200, jsonBody: { name: timer.name, report } });
}

/**
 * Fires each timer at its next NCRONTAB occurrence, its `%SETTING%` expressions resolved as the
 * Functions host resolves them; a run still going when the next is due is skipped.
 */
function scheduleTimers(timers: TimerDefinition[], log: (line: string) => void): { stop(): void } {
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const timer of timers) {
    const schedule = timerSchedule(timer.schedule);
    let running = false;
    const fire = async () => {
      if (running || stopped) return;
      running = true;
      try {
        await timer.run(log);
      } catch (error) {
        log(`[error] ${timer.name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        running = false;
      }
    };
    const arm = () => {
      if (stopped) return;
      const delay = nextOccurrence(schedule, new Date()).getTime() - Date.now();
      // setTimeout holds at most ~24.8 days; a longer wait re-arms on the way.
      const handle = setTimeout(() => {
        handles.delete(handle);
        if (delay <= 2_147_483_647) void fire();
        arm();
      }, Math.min(delay, 2_147_483_647));
      handle.unref();
      handles.add(handle);
    };
    if (timer.runOnStartup) void fire();
    arm();
  }
  return {
    stop() {
      stopped = true;
      for (const handle of handles) clearTimeout(handle);
    },
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  routesByMethod: Map<string, CompiledRoute[]>,
  maxBodyBytes: number,
  options: LocalHostOptions,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const scheme = options.tls ? "https" : "http";
  let url: URL | undefined;
  try {
    url = new URL(req.url ?? "/", `${scheme}://${req.headers.host || "127.0.0.1"}`);
  } catch {
    url = undefined;
  }
  // A Host header (or absolute URL) that is no host name, or carries credentials (which the request
  // object refuses): a 400, as the Functions host's Kestrel answers.
  if (!url || url.username || url.password) {
    return send(res, method, errorResponse(ErrorFactory.badRequest("InvalidHostHeader", "The request's Host header or URL is not valid."), randomUUID(), {}));
  }

  let route: CompiledRoute | undefined;
  let params: Record<string, string> | undefined;
  for (const candidate of routesByMethod.get(method) ?? []) {
    params = candidate.match(url.pathname);
    if (params) {
      route = candidate;
      break;
    }
  }
  if (!route || !params) {
    const response = errorResponse(ErrorFactory.routeNotFound(url.pathname), randomUUID(), {});
    return send(res, method, response);
  }

  const body = await readBody(req, maxBodyBytes);
  if (body === "too-large") {
    const response = errorResponse(ErrorFactory.requestTooLarge(maxBodyBytes), randomUUID(), { connection: "close" });
    return send(res, method, response);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, name) => (query[name] = value));

  const request = new HttpRequest({
    method,
    url: url.toString(),
    headers,
    query,
    params,
    body: body.length > 0 ? { bytes: body } : undefined,
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: route.definition.name,
    logHandler: (level, ...args) => {
      if (level === "error" || level === "warning") options.log?.(`[${level}] ${route!.definition.name}: ${args.map(String).join(" ")}`);
    },
  });
  const result = await route.handler(request, context);
  await send(res, method, result ?? { status: 204 });
}

/**
 * Writes every response the local host sends. As the Functions worker does (`toRpcHttp`), every
 * result goes through the library's `HttpResponse` and its body is read as bytes, so the local host
 * costs what the worker does and takes no shortcut production lacks. Each carries `x-ms-request-id`,
 * as every answer of the service does: the handlers' own, or a new one for those that have none (the
 * admin endpoints).
 */
async function send(res: http.ServerResponse, method: string, result: HttpResponseInit | HttpResponse): Promise<void> {
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const payload = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  headers["content-length"] = String(payload.length);
  res.writeHead(response.status, withRequestId(headers));
  res.end(method === "HEAD" ? undefined : payload);
}

/** Header names as `Headers` gives them: lower case. */
function withRequestId(headers: Record<string, string>): Record<string, string> {
  return "x-ms-request-id" in headers ? headers : { ...headers, "x-ms-request-id": randomUUID() };
}

/** Reads the body, stopping at the limit: an oversized upload is refused without being buffered. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      resolve("too-large");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too-large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
