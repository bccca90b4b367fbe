/**
 * A small stand-in for the Functions host, for machines without Core Tools. It serves the same route
 * table that `functions/` registers, matches routes as the Functions host does (case-insensitive
 * templates, catch-all last), and builds real `HttpRequest`/`InvocationContext` objects from
 * `@azure/functions`, with the caller's W3C trace context as the host passes it. What an invocation
 * logs comes through its context, as in Azure, and is written as a readable line (or the record's
 * JSON with `logFormat: "json"`): one record per request (shared/service/api/request-telemetry.ts), each
 * timer run's report, every failure with its cause.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { HttpHandler, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext, LogLevel } from "@azure/functions";
import { errorResponse } from "../shared/service/api/arm-http";
import { compileTemplate } from "../shared/service/api/route-template";
import { RouteDefinition, routes as defaultRoutes } from "../shared/service/api/routes";
import { getServices, getSettings } from "../shared/service/app/composition";
import { ErrorFactory, ServiceError } from "../shared/domain/errors";
import { runTimer, TimerDefinition } from "../shared/service/app/timers";
import { storageCallCount } from "../shared/storage/storage-pipeline";
import { LogFormat, lineLogger, Logger, LogRecord, runWithLogger, silentLogger, textLine } from "../shared/telemetry/log";
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
  /** Where log lines go (a request's record, a timer's report, failures); silent when absent. */
  log?: (line: string) => void;
  /** How records are written to `log`: lines people read (default), or one JSON object a line. */
  logFormat?: LogFormat;
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
  const host = hostLogging(options);
  const scheduler = options.scheduleTimers ? scheduleTimers(timers, host) : { stop: () => {} };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = process.hrtime.bigint();
    const admin = /^\/admin\/functions\/([^/?]+)\/?(\?.*)?$/i.exec(req.url ?? "");
    const served = { byRoute: false };
    // What the host answers itself (the admin endpoints, a request no route could take) logs with the host's logger.
    const work = runWithLogger(host.log, () =>
      admin && req.method === "POST"
        ? asOperator(req, res, () => runTimerNow(res, timers, decodeName(admin[1]), host))
        : req.url === "/admin/storage-requests" && req.method === "GET"
          ? asOperator(req, res, () => send(res, "GET", { status: 200, jsonBody: { count: storageCallCount() } }))
          : handle(req, res, routesByMethod, maxBodyBytes, options, host, served),
    );
    work
      .catch((error) =>
        runWithLogger(host.log, () => {
          const response = errorResponse(error, randomUUID(), {});
          if (!res.headersSent) res.writeHead(response.status ?? 500, response.headers as Record<string, string>);
          res.end(response.body as string);
        }),
      )
      .finally(() => {
        // A routed request's record is its invocation's (request-telemetry.ts).
        if (served.byRoute) return;
        const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
        const path = req.url?.split("?")[0];
        host.log.info(`${req.method} ${path} ${res.statusCode} ${durationMs}ms`, { event: "request", method: req.method, path, status: res.statusCode, durationMs });
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
    return text; // looked up as it is, and not found: the 404 says so
  }
}

/** `POST /admin/functions/{name}`: runs a timer now, as an invocation of its own, and answers with what it did. */
async function runTimerNow(res: http.ServerResponse, timers: TimerDefinition[], name: string, host: HostLogging): Promise<void> {
  const timer = timers.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!timer) {
    const known = timers.map((candidate) => candidate.name).join(", ") || "none";
    return send(res, "POST", errorResponse(new ServiceError(404, "FunctionNotFound", `No timer function '${name}'. Timers: ${known}.`), randomUUID(), {}));
  }
  const report = await runTimer(timer, host.invocation(timer.name));
  return send(res, "POST", { status: 200, jsonBody: { name: timer.name, report } });
}

/** The host's own logger, and the invocation contexts whose records reach the same place. */
interface HostLogging {
  log: Logger;
  invocation(functionName: string, traceContext?: { traceParent?: string; traceState?: string }): InvocationContext;
}

/**
 * As the Functions host takes an invocation's log calls, the local host takes them through the
 * invocation's context: a record (shared/telemetry/log.ts writes one JSON object) is written as a
 * line in the host's format; anything else a library logs, as a line with its level and function.
 */
function hostLogging(options: LocalHostOptions): HostLogging {
  const write = options.log;
  const format = options.logFormat ?? "text";
  const log = write ? lineLogger(write, format) : silentLogger;
  const logHandler = (functionName: string) => (level: LogLevel, ...args: unknown[]) => {
    if (!write) return;
    const record = args.length === 1 && typeof args[0] === "string" ? recordIn(args[0]) : undefined;
    if (record) write(format === "json" ? (args[0] as string) : textLine(record));
    else write(`[${level}] ${functionName}: ${args.map(String).join(" ")}`);
  };
  return {
    log,
    invocation: (functionName, traceContext) =>
      new InvocationContext({
        invocationId: randomUUID(),
        functionName,
        traceContext: traceContext?.traceParent ? { traceParent: traceContext.traceParent, traceState: traceContext.traceState, attributes: {} } : undefined,
        logHandler: logHandler(functionName),
      }),
  };
}

/** The record a log call carries, when it is one. */
function recordIn(text: string): LogRecord | undefined {
  if (!text.startsWith('{"time":')) return undefined;
  try {
    return JSON.parse(text) as LogRecord;
  } catch {
    return undefined; // not a record after all: written as it came
  }
}

/**
 * Fires each timer at its next NCRONTAB occurrence, its `%SETTING%` expressions resolved as the
 * Functions host resolves them; a run still going when the next is due is skipped.
 */
function scheduleTimers(timers: TimerDefinition[], host: HostLogging): { stop(): void } {
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const timer of timers) {
    const schedule = timerSchedule(timer.schedule);
    let running = false;
    const fire = async () => {
      if (running || stopped) return;
      running = true;
      try {
        await runTimer(timer, host.invocation(timer.name));
      } catch {
        // runTimer logged the failure with its cause; the next occurrence tries again.
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
  host: HostLogging,
  served: { byRoute: boolean },
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const scheme = options.tls ? "https" : "http";
  let url: URL | undefined;
  try {
    url = new URL(req.url ?? "/", `${scheme}://${req.headers.host || "127.0.0.1"}`);
  } catch {
    url = undefined; // answered 400 below: the caller's mistake, its request record says so
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
  const context = host.invocation(route.definition.name, { traceParent: headers.traceparent, traceState: headers.tracestate });
  served.byRoute = true;
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
