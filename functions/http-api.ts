/**
 * Registers every route of the shared route table as an HTTP function. The route table, not this
 * file, decides what is served, so the local host and the Functions host serve the same API.
 */
import { app } from "@azure/functions";
import { routes } from "../shared/api/routes";

/**
 * The services, from the composition root, which is loaded on the first request (so registering
 * the functions loads no storage client or validation library).
 */
function services() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../shared/app/services") as typeof import("../shared/app/services")).getServices();
}

for (const route of routes) {
  app.http(route.name, {
    methods: route.methods,
    route: route.route,
    authLevel: route.authLevel ?? "function",
    handler: route.handler(services),
  });
}
