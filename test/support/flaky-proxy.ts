/**
 * A proxy in front of the test service that misbehaves on cue, as a slow or restarting service
 * does: it can answer late, answer 503, or forward a request and then cut the connection before the
 * answer (the service applied it; the caller never hears). `rule` decides for each request.
 */
import { createServer, IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  method: string;
  url: string;
  body: string;
}

export type ProxyAction = "pass" | "dropAnswer" | { delayMs: number } | { status: number };

export interface FlakyProxy {
  url: string;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

export async function startFlakyProxy(target: string, rule: (request: ProxiedRequest) => ProxyAction): Promise<FlakyProxy> {
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request);
    const proxied = { method: request.method ?? "GET", url: request.url ?? "/", body };
    const action = rule(proxied);
    if (typeof action === "object" && "status" in action) {
      response.writeHead(action.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "ServiceUnavailable", message: "restarting" } }));
      return;
    }
    if (typeof action === "object") await new Promise((resolve) => setTimeout(resolve, action.delayMs));
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    let answer: Response;
    try {
      answer = await fetch(`${target}${proxied.url}`, { method: proxied.method, headers, body: body === "" ? undefined : body });
    } catch {
      response.socket?.destroy();
      return;
    }
    const text = await answer.text();
    if (action === "dropAnswer" || response.destroyed) {
      response.socket?.destroy();
      return;
    }
    response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
