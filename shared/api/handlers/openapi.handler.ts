/**
 * `GET /operator/openapi.json`: the OpenAPI 3.1 document of the operator and portal endpoints,
 * generated from the route table and the zod schemas (`../openapi.ts`). It needs no token: it
 * describes the surface, and holds no data.
 */
import { armHandler } from "../arm-http";
import { openApiDocument } from "../openapi";

export const getOpenApiDocument = armHandler(async () => ({ status: 200, body: openApiDocument() }), { apiVersion: false, audience: "anyone" });
