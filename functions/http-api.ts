/**
 * Registers every route of the shared route table as an HTTP function. The route table, not this
 * file, decides what is served, so the local host and the Functions host serve the same API.
 */
import { app } from "@azure/functions";
import { routes } from "../shared/service/api/routes";

/**
 * The services, from the composition root, which is loaded on the first request (so registering
 * the functions loads no storage client or validation library).
 */
function services() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../shared/service/app/composition") as typeof import("../shared/service/app/composition")).getServices();
}

for (const route of routes) {
  app.http(route.name, {
    methods: route.methods,
    route: route.route,
    authLevel: route.authLevel ?? "function",
    handler: route.handler(services),
  });
}
