/**
 * The import rules of the layout, checked by `npm run lint` (so by `npm test`). The folders say which
 * product a file serves (docs/architecture.md draws the house):
 *
 *   shared/domain/, shared/formats/  the rules and the file formats: pure, they import nothing of the
 *                                    project's but each other
 *   shared/config/                   the settings: the domain and the formats only
 *   shared/telemetry/                the logging facility, traces and metrics: the domain only, so
 *                                    every layer may log
 *   shared/storage/                  adapters over storage: no product's code
 *   shared/drive-access/             a drive's files, read and written without following a link
 *   shared/service/                  the Functions app, layered api → operations → auth; app/ composes them
 *   shared/datacenter-agent/         the data-center agent (`npm run datacenter`)
 *   shared/drive-tool/               the customer's drive tool (`npm run drive`)
 *
 * The products share the layers below them and never import each other; nothing in shared/ imports a
 * host (functions/, cli/, devhost/, bench/, portal/) or a test; and no import circle, type-only
 * imports included. test/layout/rules.test.ts plants a broken import of each kind and sees it refused.
 */
const PROJECT = "^(shared|functions|cli|devhost|bench|portal|test|scripts)/";
const HOSTS = "^(functions|cli|devhost|bench|portal|test|scripts)/";

/** A rule: code under `from` imports nothing of the project's outside `allowed`. */
function onlyImports(name, from, allowed, comment) {
  return { name, comment, severity: "error", from: { path: from }, to: { path: PROJECT, pathNot: allowed } };
}

/** A rule: code under `from` imports nothing under `to`. */
function never(name, from, to, comment) {
  return { name, comment, severity: "error", from: { path: from }, to: { path: to } };
}

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "An import circle: break it by moving the shared part down a layer.", severity: "error", from: {}, to: { circular: true } },
    onlyImports("domain-and-formats-are-pure", "^shared/(domain|formats)/", "^shared/(domain|formats)/", "The domain and the file formats import nothing of the project's but each other."),
    onlyImports("config-stands-on-domain", "^shared/config/", "^shared/(config|domain|formats)/", "The settings import only the domain and the formats."),
    onlyImports("drive-access-stands-on-domain", "^shared/drive-access/", "^shared/(drive-access|domain|formats)/", "Drive access imports only the domain and the formats."),
    onlyImports("telemetry-stands-on-domain", "^shared/telemetry/", "^shared/(telemetry|domain)/", "The logging facility and OpenTelemetry import only the domain: every layer may log."),
    onlyImports("storage-imports-no-product", "^shared/storage/", "^shared/(storage|config|domain|formats|telemetry)/", "Storage adapters import no service, API or agent code."),
    never("shared-imports-no-host", "^shared/", HOSTS, "The library imports no host, tool entry or test."),
    // The three products never import each other.
    never("service-is-not-agent-or-tool", "^shared/service/", "^shared/(datacenter-agent|drive-tool|drive-access)/", "The service imports neither the agent nor the drive tool."),
    never("agent-is-not-service-or-tool", "^shared/datacenter-agent/", "^shared/(service|drive-tool)/", "The data-center agent talks to the service over its operator API, and shares no code with the drive tool but the layers below."),
    never("tool-is-not-service-or-agent", "^shared/drive-tool/", "^shared/(service|datacenter-agent)/", "The customer's drive tool imports neither the service nor the agent."),
    // Inside the service, nothing imports upward: api → operations → auth; app/ composes them all.
    never("service-api-not-up", "^shared/service/api/", "^shared/(service/app|storage)/", "Handlers are given the services by their host, and reach storage only through an operation."),
    never("service-operations-not-up", "^shared/service/operations/", "^shared/service/(api|app)/", "Operations import neither the API nor the composition root."),
    never("service-auth-not-up", "^shared/service/auth/", "^shared/service/(api|app|operations)/", "Authentication imports nothing above it."),
    // The hosts: each product's own, and only its own.
    never("datacenter-cli-is-the-agent", "^cli/datacenter\\.ts$", "^shared/(service|drive-tool)/", "`npm run datacenter` runs the agent only."),
    never("drive-cli-is-the-tool", "^cli/drive\\.ts$", "^shared/(service|datacenter-agent)/", "`npm run drive` runs the drive tool only."),
    never("cli-shared-is-neither", "^cli/(?!datacenter\\.ts$|drive\\.ts$)", "^shared/(service|datacenter-agent|drive-tool)/", "What both tools share belongs to neither."),
    never("service-hosts-serve-the-service", "^(functions|devhost)/", "^(shared/(datacenter-agent|drive-tool|drive-access)|cli/(?!args\\.ts$))", "The Functions app and its local host serve the service only (their command line is the tools' one parser, cli/args.ts)."),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    // Type-only imports are imports too: a circle of types is still a circle.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
  },
};
