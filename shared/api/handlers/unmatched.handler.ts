/**
 * The catch-all route: a 405 naming the allowed methods when the path is known, else a 404, both in
 * the ARM error shape (the Functions host would otherwise answer with an empty 404).
 */
import { ErrorFactory } from "../../domain/errors";
import { armHandler } from "../arm-http";
import { compileTemplate } from "../route-template";
import { apiRoutes, portalRoutes } from "../routes";

const compiledApiRoutes = [...apiRoutes, ...portalRoutes].map((route) => ({ route, template: compileTemplate(route.route) }));

export const unmatched = armHandler(
  async (request) => {
    const path = request.url.pathname;
    const allowed = compiledApiRoutes.filter(({ template }) => template.match(path)).flatMap(({ route }) => route.methods);
    if (allowed.length > 0) throw ErrorFactory.methodNotAllowed(request.http.method, allowed);
    throw ErrorFactory.routeNotFound(path);
  },
  { apiVersion: false, audience: "anyone" },
);
