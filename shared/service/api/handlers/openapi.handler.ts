/**
 * `GET /operator/openapi.json`: the OpenAPI 3.1 document of the operator and portal endpoints,
 * generated from the route table and the zod schemas (`../openapi.ts`). It needs no token: it
 * describes the surface, and holds no data.
 */
import { armHandler, RouteHandler } from "../arm-http";
import { DescribedRoute, openApiDocument } from "../openapi";

/** The document of the route table that registers this handler (it hands itself in). */
export function openApiDocumentHandler(routes: readonly DescribedRoute[]): RouteHandler {
  return armHandler(async () => ({ status: 200, body: openApiDocument(routes) }), { apiVersion: false, audience: "anyone" });
}
