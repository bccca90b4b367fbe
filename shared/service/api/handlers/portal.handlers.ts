/**
 * The portal: the customer status page and the operator console, served by the function app itself.
 * The pages are static files (built into `dist/portal/` by `npm run build`, see `scripts/build-portal.js`)
 * and need no authentication; they call the API with the bearer token the user gives them. The one
 * API of the portal's own, the job's timeline, is a customer operation like Get Job.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { HttpResponseInit } from "@azure/functions";
import { ServiceError } from "../../../domain/errors";
import { projectRoot } from "../../../config/project-root";
import { armHandler, errorResponse, RouteHandler } from "../arm-http";
import { jobKeyOf } from "./jobs.handlers";

/** Where the built pages are: `dist/portal/` under the project root (the app's folder in Azure). */
function portalDirectory(): string {
  return path.join(projectRoot(), "dist", "portal");
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml; charset=utf-8",
};

/** The pages load only their own files and talk only to this app. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * The file a portal path serves: the pages' own paths (`/portal/`, `/portal/jobs/{sub}/{rg}/{job}`,
 * `/portal/operator[/...]`) serve their page, and a flat file name serves that file. Nothing else,
 * so no path can reach outside the folder.
 */
function portalFileFor(subpath: string): string | undefined {
  const trimmed = subpath.replace(/^\/+|\/+$/g, "");
  if (trimmed === "" || /^jobs(\/|$)/i.test(trimmed)) return "index.html";
  if (/^operator(\/|$)/i.test(trimmed)) return "operator.html";
  // The built files have short names; a longer one can't be among them (and past the file system's
  // limit of 255 bytes it would fail with ENAMETOOLONG rather than "not found").
  if (trimmed.length <= MAX_FILE_NAME && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(html|js|css|map|svg)$/.test(trimmed)) return trimmed;
  return undefined;
}

const MAX_FILE_NAME = 128;
/** A file name the file system can't open as asked is a file that is not there. */
const NOT_THERE = new Set(["ENOENT", "ENAMETOOLONG", "ENOTDIR", "EISDIR"]);

/** The static pages need none of the services. */
export const portalAssets: RouteHandler = () => async (request): Promise<HttpResponseInit> => {
  const requestId = randomUUID();
  const headers = { "x-ms-request-id": requestId };
  try {
    const url = new URL(request.url);
    // `/portal` → `/portal/`, so the pages' relative links and the address bar agree.
    if (/^\/portal$/i.test(url.pathname)) return { status: 302, headers: { ...headers, location: `/portal/${url.search}` } };
    const file = portalFileFor(request.params.path ?? "");
    if (!file) throw new ServiceError(404, "NotFound", `No portal page or file is served at '${url.pathname}'.`);
    let body: string;
    try {
      body = await readFile(path.join(portalDirectory(), file), "utf8");
    } catch (error) {
      if (!NOT_THERE.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
      const built = await readFile(path.join(portalDirectory(), "index.html"), "utf8").then(
        () => true,
        () => false,
      );
      throw built
        ? new ServiceError(404, "NotFound", `No portal page or file is served at '${url.pathname}'.`)
        : new ServiceError(404, "PortalNotBuilt", "The portal's pages are not built: run `npm run build` (npm start does).");
    }
    const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
    return { status: 200, headers: { ...headers, "content-type": type, ...PAGE_HEADERS }, body };
  } catch (error) {
    return errorResponse(error, requestId, headers);
  }
};

/**
 * `GET /portal/api/subscriptions/{sub}/resourceGroups/{rg}/jobs/{job}/timeline`: the deadlines and the
 * path of states that Get Job's ARM shape has no place for. The caller's tenant only, as Get Job.
 */
export const getJobTimeline = armHandler(
  async (request) => {
    const timeline = await request.services.jobs.timeline(jobKeyOf(request), request.tenantId);
    return { status: 200, body: timeline };
  },
  { apiVersion: false },
);
