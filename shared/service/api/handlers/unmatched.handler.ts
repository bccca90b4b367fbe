/**
 * The catch-all route: a 405 naming the allowed methods when the path is known, else a 404, both in
 * the ARM error shape (the Functions host would otherwise answer with an empty 404). A browser
 * opening the site's root is sent to the portal instead; API clients still get the 404.
 */
import { ErrorFactory } from "../../../domain/errors";
import { armHandler, RouteHandler } from "../arm-http";
import { compileTemplate } from "../route-template";

/** The routes served, as the route table gives them (it hands them in: the table loads this module). */
export function unmatchedHandler(served: readonly { route: string; methods: readonly string[] }[]): RouteHandler {
  const compiledApiRoutes = served.map((route) => ({ route, template: compileTemplate(route.route) }));
  return armHandler(
    async (request) => {
      const path = request.url.pathname;
      if (path === "/" && isPageRequest(request.http.method, request.http.headers.get("accept"))) {
        return { status: 302, headers: { location: "/portal/" } };
      }
      const allowed = compiledApiRoutes.filter(({ template }) => template.match(path)).flatMap(({ route }) => route.methods);
      if (allowed.length > 0) throw ErrorFactory.methodNotAllowed(request.http.method, allowed);
      throw ErrorFactory.routeNotFound(path);
    },
    { apiVersion: false, audience: "anyone" },
  );
}

/** A browser navigating asks for HTML first; ARM clients and curl ask for JSON or anything. */
function isPageRequest(method: string, accept: string | null): boolean {
  return (method === "GET" || method === "HEAD") && /(^|,)\s*text\/html/i.test(accept ?? "");
}
