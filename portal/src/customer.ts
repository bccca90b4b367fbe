/**
 * The customer's status page: `/portal/` lists the jobs of a subscription (filtered by state and
 * type through the API's `$filter`); `/portal/jobs/{subscription}/{resourceGroup}/{job}` shows one
 * job — its state diagram and path, drives, deadlines, packages — and the actions its state allows,
 * through the same API and rules as any client. A job that is moving is refreshed on its own.
 */
import type { JobState } from "../../shared/domain/job-state-machine";
import { JOB_STATES } from "../../shared/domain/job-state-machine";
import { api, ApiError, armJobPath, JobKey, jobKeyFromId, jobPagePath, samePath, timelinePath, withApiVersion } from "./api";
import { stateDiagram } from "./diagram";
import { Attributes, byId, Child, formatBytes, formatDate, h, progressBar, replaceChildren, scrollingTable, stateBadge, tableHead, timeElement, today, uniqueId } from "./dom";
import type { JobResponse, PageResponse, TimelineResponse } from "../../shared/api/responses";
import { addressLines, announce, bindTokenForm, confirmDialog, errorBox, facts, field, FieldSpec, formValues, submitting, successBox } from "./ui";

const DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
const SUBSCRIPTION_KEY = "importExportPortal.subscription";
const query = new URLSearchParams(location.search);
/** `?poll=<ms>` changes the refresh interval (the tests use a short one). */
const POLL_MS = Math.min(60_000, Math.max(200, Number(query.get("poll")) || 5000));
/** While the job waits (for a carrier, a person) it changes once in hours or days: a minute, by default. */
const WAITING_POLL_MS = POLL_MS * 12;

/**
 * The states in which the job changes without the customer, so the page re-reads it on its own: how
 * often, and what the page says it waits for. Often only while drives are copied (or about to be),
 * where progress moves; the other states wait for a package or a person. Not listed: nothing
 * changes unless the customer acts (Creating), or ever again (Completed, Closed).
 */
const REFRESH: Partial<Record<JobState, { everyMs: number; note: (every: string) => string }>> = {
  Shipping: { everyMs: WAITING_POLL_MS, note: (every) => `Checks every ${every} until the data center receives your package.` },
  Received: { everyMs: POLL_MS, note: (every) => `Updates every ${every} until the data center starts copying your drives.` },
  Transferring: { everyMs: POLL_MS, note: (every) => `Updates every ${every} while the drives are copied.` },
  Packaging: { everyMs: WAITING_POLL_MS, note: (every) => `Checks every ${every} until your drives are shipped back.` },
  Faulted: { everyMs: WAITING_POLL_MS, note: (every) => `Checks every ${every} until the data center clears the fault.` },
};

/** "5 s", "minute", "2 min": an interval as the refresh note says it. */
function interval(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds} s`;
  return seconds === 60 ? "minute" : `${Math.round(seconds / 6) / 10} min`;
}

function rememberedSubscription(): string {
  try {
    return localStorage.getItem(SUBSCRIPTION_KEY) ?? DEFAULT_SUBSCRIPTION;
  } catch {
    return DEFAULT_SUBSCRIPTION;
  }
}

function rememberSubscription(subscription: string): void {
  try {
    localStorage.setItem(SUBSCRIPTION_KEY, subscription);
  } catch {
    // not remembered; the URL still carries it
  }
}

function routeOf(pathname: string): { kind: "job"; key: JobKey } | { kind: "list" } {
  const match = /^\/portal\/jobs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/i.exec(pathname);
  if (!match) return { kind: "list" };
  const [, subscriptionId, resourceGroup, name] = match.map((part) => decodeURIComponent(part));
  return { kind: "job", key: { subscriptionId, resourceGroup, name } };
}

// ---------------------------------------------------------------- the list of jobs

function renderList(main: HTMLElement): () => void {
  document.title = "Your jobs — Azure Import/Export";
  const subscription = query.get("subscription") ?? rememberedSubscription();
  const results = h("div", { id: "list-results" });
  const messages = h("div", { id: "list-messages" });
  const form = h(
    "form",
    { id: "list-filter", class: "filter", "aria-labelledby": "filter-heading", novalidate: true },
    h("h2", { id: "filter-heading", class: "visually-hidden" }, "Which jobs"),
    field({ name: "subscription", label: "Subscription", value: subscription, required: true }),
    field({
      name: "state",
      label: "State",
      type: "select",
      value: query.get("state") ?? "",
      options: [{ value: "", label: "Any state" }, ...JOB_STATES.map((state) => ({ value: state, label: state }))],
    }),
    field({
      name: "type",
      label: "Type",
      type: "select",
      value: query.get("type") ?? "",
      options: [
        { value: "", label: "Import and export" },
        { value: "Import", label: "Import" },
        { value: "Export", label: "Export" },
      ],
    }),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Show jobs")),
  );
  replaceChildren(
    main,
    h("h1", {}, "Your Import/Export jobs"),
    h("p", { class: "lead" }, "Follow your jobs from creation until the drives are back. Open a job to see its drives and what you can do next."),
    form,
    messages,
    results,
  );

  const load = async () => {
    const values = formValues(form);
    const sub = values.subscription ?? "";
    const filters = [values.state ? `state eq '${values.state}'` : "", values.type ? `jobType eq '${values.type}'` : ""].filter(Boolean);
    const search = new URLSearchParams({ subscription: sub, ...(values.state ? { state: values.state } : {}), ...(values.type ? { type: values.type } : {}) });
    history.replaceState(null, "", `/portal/?${search.toString()}`);
    if (sub) rememberSubscription(sub);
    results.setAttribute("aria-busy", "true");
    messages.replaceChildren();
    try {
      let path = withApiVersion(`/subscriptions/${encodeURIComponent(sub)}/providers/Microsoft.ImportExport/jobs`) + "&$top=50";
      if (filters.length > 0) path += `&$filter=${encodeURIComponent(filters.join(" and "))}`;
      const page = await api<PageResponse<JobResponse>>("customer", "GET", path);
      replaceChildren(results, jobsTable(page.value, sub, [values.state, values.type].filter(Boolean).join(", ")));
      addMoreButton(results, page.nextLink);
    } catch (error) {
      results.replaceChildren();
      announce(messages, errorBox(error, "The jobs could not be listed"), false);
    } finally {
      results.removeAttribute("aria-busy");
    }
  };

  const addMoreButton = (container: HTMLElement, nextLink: string | undefined) => {
    if (!nextLink) return;
    const button = h("button", { type: "button", class: "secondary" }, "Show more jobs");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const page = await api<PageResponse<JobResponse>>("customer", "GET", samePath(nextLink));
        const body = container.querySelector("tbody");
        for (const job of page.value) body?.append(jobRow(job));
        button.remove();
        addMoreButton(container, page.nextLink);
      } catch (error) {
        button.disabled = false;
        announce(messages, errorBox(error, "More jobs could not be listed"));
      }
    });
    container.append(h("div", { class: "buttons" }, button));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  void load();
  return () => void load();
}

function jobRow(job: JobResponse): HTMLElement {
  const key = jobKeyFromId(job.id);
  const props = job.properties;
  return h(
    "tr",
    { "data-job": job.name },
    h("th", { scope: "row" }, h("a", { href: jobPagePath(key) }, job.name)),
    h("td", {}, key.resourceGroup),
    h("td", {}, props.jobType),
    h("td", {}, stateBadge(props.state), props.cancelRequested ? h("span", { class: "note" }, " cancel requested") : ""),
    h("td", {}, job.location),
    h("td", {}, progressBar(props.percentComplete, `Progress of ${job.name}`)),
    h("td", {}, timeElement(job.systemData?.createdAt)),
  );
}

function jobsTable(jobs: JobResponse[], subscription: string, filter: string): HTMLElement {
  if (jobs.length === 0) {
    return h(
      "p",
      { class: "empty" },
      `No jobs${filter ? ` (${filter})` : ""} in subscription ${subscription}. Create one with the API: `,
      // Breakable after each '/', so the long path wraps on a phone instead of widening the page.
      h("code", {}, "PUT /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ImportExport/jobs/{name}".split("/").flatMap((part, index) => (index === 0 ? [part] : [h("wbr"), `/${part}`]))),
      " (npm start prints a ready request).",
    );
  }
  return scrollingTable(
    { class: "jobs" },
    h("caption", {}, `${jobs.length} job${jobs.length === 1 ? "" : "s"} in subscription ${subscription}${filter ? ` (${filter})` : ""}`),
    tableHead(["Job", "Resource group", "Type", "State", "Location", "Progress", "Created"]),
    h("tbody", {}, jobs.map(jobRow)),
  );
}

// ---------------------------------------------------------------- one job

/** The drives table's columns; below 54rem its rows are cards, a line per column (portal.css). */
const DRIVE_COLUMNS = ["Drive", "State", "Progress", "Bytes copied", "Copy status", "Copy log", "Logs"] as const;

class JobPage {
  private timer: number | undefined;
  private actionsKey = "";
  private lastState: string | undefined;
  private stopped = false;
  private readonly sections = {
    status: h("section", { id: "job-status", "aria-labelledby": "status-heading" }),
    deadlines: h("section", { id: "job-deadlines", "aria-labelledby": "deadlines-heading" }),
    drives: h("section", { id: "job-drives", "aria-labelledby": "drives-heading" }),
    actions: h("section", { id: "job-actions", "aria-labelledby": "actions-heading" }),
    packages: h("section", { id: "job-packages", "aria-labelledby": "packages-heading" }),
    path: h("section", { id: "job-path", "aria-labelledby": "path-heading" }),
  };
  private readonly messages = h("div", { id: "job-messages" });
  private readonly live = h("div", { class: "visually-hidden", "aria-live": "polite", id: "job-live" });

  constructor(
    private readonly main: HTMLElement,
    private readonly key: JobKey,
  ) {
    document.title = `${key.name} — Azure Import/Export`;
    replaceChildren(
      main,
      h("p", { class: "breadcrumb" }, h("a", { href: `/portal/?subscription=${encodeURIComponent(key.subscriptionId)}` }, "← All jobs")),
      h("h1", {}, `Job ${key.name}`),
      h("p", { class: "meta", id: "job-meta" }, `Resource group ${key.resourceGroup} · subscription ${key.subscriptionId}`),
      this.messages,
      this.live,
      ...Object.values(this.sections),
    );
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.timer === undefined && !this.stopped) void this.refresh();
    });
  }

  /** Reads Get Job and the timeline, redraws, and schedules the next read while the job is moving. */
  async refresh(forceActions = false): Promise<void> {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    let job: JobResponse;
    let timeline: TimelineResponse;
    try {
      [job, timeline] = await Promise.all([
        api<JobResponse>("customer", "GET", withApiVersion(armJobPath(this.key))),
        api<TimelineResponse>("customer", "GET", timelinePath(this.key)),
      ]);
    } catch (error) {
      if (this.stopped) return;
      const box = errorBox(error, "The job could not be read");
      box.dataset.load = "true";
      announce(this.messages, box, false);
      if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) this.schedule(POLL_MS);
      return;
    }
    if (this.stopped) return;
    const state = job.properties.state;
    if (this.lastState !== undefined && this.lastState !== state) this.live.textContent = `The job is now ${state}.`;
    this.lastState = state;
    // A failed read is over once a read succeeds (a refused action's message stays).
    this.messages.querySelector("[data-load]")?.remove();
    byId("job-meta").textContent =
      `${job.properties.jobType} job · ${job.location} · resource group ${this.key.resourceGroup} · subscription ${this.key.subscriptionId}`;
    this.renderStatus(job, timeline);
    this.renderDeadlines(timeline);
    this.renderDrives(job, timeline);
    this.renderPackages(job);
    this.renderPath(timeline);
    const actionsKey = JSON.stringify([timeline.actions, state, Boolean(job.properties.returnAddress)]);
    if (forceActions || actionsKey !== this.actionsKey) this.renderActions(job, timeline);
    this.actionsKey = actionsKey;
    this.schedule(REFRESH[state]?.everyMs);
  }

  private schedule(everyMs: number | undefined): void {
    if (this.stopped || document.hidden || everyMs === undefined) return;
    this.timer = window.setTimeout(() => void this.refresh(), everyMs);
  }

  private stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private renderStatus(job: JobResponse, timeline: TimelineResponse): void {
    const props = job.properties;
    const refresh = REFRESH[props.state];
    const refreshButton = h("button", { type: "button", class: "link-button", onclick: () => void this.refresh() }, "Refresh now");
    replaceChildren(
      this.sections.status,
      h("h2", { id: "status-heading" }, "Status"),
      h(
        "p",
        { class: "status-line" },
        "State: ",
        h("strong", { id: "job-state" }, stateBadge(props.state)),
        props.cancelRequested ? h("span", { class: "note", id: "cancel-note" }, " · Cancellation requested") : "",
        " · since ",
        timeElement(timeline.stateChangedAt),
      ),
      h("div", { class: "overall" }, h("span", { class: "overall-label", id: "overall-label" }, "Overall progress "), progressBar(props.percentComplete, "Overall progress of the job")),
      stateDiagram(props.state, timeline.path),
      h(
        "p",
        { class: "refresh-note" },
        refresh ? `${refresh.note(interval(refresh.everyMs))} ` : "",
        "Last read ",
        h("time", { datetime: new Date().toISOString() }, new Date().toLocaleTimeString()),
        ". ",
        refreshButton,
      ),
    );
  }

  private renderDeadlines(timeline: TimelineResponse): void {
    const items: Child[] = [];
    if (timeline.creatingExpiresAt) {
      items.push(
        h(
          "p",
          { class: "deadline", "data-deadline": "creating" },
          h("strong", {}, "Mark the job Shipping by "),
          timeElement(timeline.creatingExpiresAt, true),
          ". A job still Creating then is deleted; any change to the job restarts this clock.",
        ),
      );
    }
    if (timeline.shippingDueAt) {
      const overdue = new Date(timeline.shippingDueAt).getTime() < Date.now();
      items.push(
        h(
          "p",
          { class: `deadline${overdue ? " overdue" : ""}`, "data-deadline": "shipping" },
          h("strong", {}, overdue ? "Your package is overdue: it was expected by " : "The data center expects your package by "),
          timeElement(timeline.shippingDueAt, true),
          ". After that the job is overdue, and it is closed if the package never arrives.",
        ),
      );
    }
    if (timeline.returnAddressProblem) {
      items.push(
        h(
          "div",
          { class: "message warning", "data-deadline": "return-address" },
          h("p", {}, h("strong", {}, "The data center cannot use your return address: "), timeline.returnAddressProblem.reason),
          h("p", {}, "Reported ", timeElement(timeline.returnAddressProblem.reportedAt, true), ". Correct it under Actions so your drives can come back."),
        ),
      );
    }
    if (items.length === 0) {
      this.sections.deadlines.hidden = true;
      this.sections.deadlines.replaceChildren();
      return;
    }
    this.sections.deadlines.hidden = false;
    replaceChildren(this.sections.deadlines, h("h2", { id: "deadlines-heading" }, "Deadlines and notices"), items);
  }

  private renderDrives(job: JobResponse, timeline: TimelineResponse): void {
    const drives = job.properties.driveList ?? [];
    const copyLogs = new Map((timeline.copyLogs ?? []).map((log) => [log.driveId, log]));
    const copySummary = (driveId: string) => {
      const log = copyLogs.get(driveId);
      if (!log) return "—";
      const issues = Object.entries(log.issuesByKind).map(([kind, count]) => `${count} ${kind}`);
      const exported = job.properties.jobType === "Export";
      // An export drive holds a stretch of the job's blob list: say which, so drives read in order.
      const range = exported && log.exportRange?.next !== undefined && log.exportRange.next > log.exportRange.start ? ` (blobs ${log.exportRange.start + 1}–${log.exportRange.next} of the list)` : "";
      return h(
        "span",
        { class: "copy-summary" },
        `${log.blobsCopied} blob${log.blobsCopied === 1 ? "" : "s"} ${exported ? "exported" : "copied"}${range}`,
        issues.length ? `; ${issues.join(", ")}` : "; no errors",
      );
    };
    // Each cell names its column (data-label), which a phone shows beside it when the rows are stacked as cards.
    const cell = (column: (typeof DRIVE_COLUMNS)[number], attributes: Attributes, ...children: Child[]) => h("td", { ...attributes, "data-label": column }, ...children);
    const logLink = (uri: string | undefined, label: string, driveId: string) =>
      uri ? h("a", { href: uri, target: "_blank", rel: "noopener noreferrer", class: "log-link" }, label, h("span", { class: "visually-hidden" }, ` of drive ${driveId}`)) : "";
    replaceChildren(
      this.sections.drives,
      h("h2", { id: "drives-heading" }, "Drives"),
      drives.length === 0
        ? h("p", { class: "empty" }, job.properties.jobType === "Export" ? "No drives yet: the data center adds them when they arrive." : "This job has no drives.")
        : scrollingTable(
            { class: "drives" },
            h("caption", { class: "visually-hidden" }, "Drives of the job"),
            tableHead([...DRIVE_COLUMNS]),
            h(
              "tbody",
              {},
              drives.map((drive) =>
                h(
                  "tr",
                  { "data-drive": drive.driveId },
                  h("th", { scope: "row", class: "drive-id" }, drive.driveId),
                  cell("State", { class: "drive-state" }, stateBadge(drive.state)),
                  cell("Progress", {}, progressBar(drive.percentComplete, `Progress of drive ${drive.driveId}`)),
                  cell("Bytes copied", { class: "bytes", title: drive.bytesSucceeded === undefined ? undefined : `${drive.bytesSucceeded} bytes` }, formatBytes(drive.bytesSucceeded)),
                  cell("Copy status", {}, drive.copyStatus ?? "—"),
                  cell("Copy log", {}, copySummary(drive.driveId)),
                  cell(
                    "Logs",
                    { class: "logs" },
                    logLink(drive.errorLogUri, "Error log", drive.driveId),
                    drive.errorLogUri && drive.verboseLogUri ? " · " : "",
                    logLink(drive.verboseLogUri, "Verbose log", drive.driveId),
                    !drive.errorLogUri && !drive.verboseLogUri ? "—" : "",
                  ),
                ),
              ),
            ),
          ),
      job.properties.incompleteBlobListUri
        ? h(
            "p",
            { class: "incomplete-blobs" },
            `Not every blob fit on the drives${timeline.incompleteBlobs ? ` (${timeline.incompleteBlobs} left out)` : ""}: `,
            h("a", { href: job.properties.incompleteBlobListUri, target: "_blank", rel: "noopener noreferrer" }, "the list of blobs left out"),
            ". A follow-up export job can take it as its blob list (blobListBlobPath).",
          )
        : "",
    );
  }

  private renderPackages(job: JobResponse): void {
    const props = job.properties;
    const packageFacts = (pkg: JobResponse["properties"]["deliveryPackage"]) =>
      pkg
        ? facts([
            ["Carrier", pkg.carrierName],
            ["Tracking number", pkg.trackingNumber],
            ["Drives", pkg.driveCount === undefined ? "" : String(pkg.driveCount)],
            ["Ship date", pkg.shipDate ? formatDate(pkg.shipDate).replace(/,? \d{1,2}:\d{2}.*$/, "") : ""],
          ])
        : h("p", { class: "empty" }, "Not yet.");
    replaceChildren(
      this.sections.packages,
      h("h2", { id: "packages-heading" }, "Packages and addresses"),
      h(
        "div",
        { class: "cards" },
        h("div", { class: "card" }, h("h3", {}, "Send your drives to"), addressLines(props.shippingInformation) || h("p", {}, "—")),
        h("div", { class: "card", id: "delivery-package" }, h("h3", {}, "Your package (delivery)"), packageFacts(props.deliveryPackage)),
        h(
          "div",
          { class: "card", id: "return-address" },
          h("h3", {}, "Return address"),
          props.returnAddress ? addressLines(props.returnAddress) : h("p", { class: "empty" }, "Not given yet."),
          props.returnShipping ? h("p", {}, `Return carrier: ${props.returnShipping.carrierName}`) : "",
        ),
        h("div", { class: "card", id: "return-package" }, h("h3", {}, "Drives coming back (return package)"), packageFacts(props.returnPackage)),
      ),
    );
  }

  private renderPath(timeline: TimelineResponse): void {
    replaceChildren(
      this.sections.path,
      h("h2", { id: "path-heading" }, "History"),
      h(
        "ol",
        { class: "timeline" },
        timeline.path.map((step) =>
          h(
            "li",
            {},
            h("span", { class: "when" }, timeElement(step.at)),
            h("span", { class: "what" }, step.from ? `${step.from} → ${step.to}` : `Created (${step.to})`),
            h("span", { class: "why" }, step.reason),
          ),
        ),
      ),
    );
  }

  // ------------------------------------------------------------ actions

  private renderActions(job: JobResponse, timeline: TimelineResponse): void {
    const props = job.properties;
    const actions = timeline.actions;
    const parts: Child[] = [];
    if (actions.markShipping) parts.push(this.shipForm(job));
    if (actions.changeDeliveryPackage && props.state !== "Creating") parts.push(this.packageForm(job));
    if (actions.changeReturnAddress && props.returnAddress) parts.push(this.addressForm(job));
    const buttons: Child[] = [];
    if (actions.cancel) buttons.push(h("button", { type: "button", class: "danger", id: "cancel-job", onclick: () => void this.cancel(props.state) }, "Cancel the job…"));
    if (actions.delete) buttons.push(h("button", { type: "button", class: "danger", id: "delete-job", onclick: () => void this.delete() }, "Delete the job…"));
    if (buttons.length > 0) parts.push(h("div", { class: "action buttons" }, buttons));
    if (parts.length === 0) {
      const why =
        props.state === "Faulted"
          ? "The job is Faulted: the data center must clear the fault before anything else can change. You can still correct the return address."
          : props.state === "Completed" || props.state === "Closed"
            ? `The job is ${props.state}.`
            : `While the job is ${props.state} there is nothing for you to do: the data center is working on it.`;
      parts.push(h("p", { class: "empty" }, why));
    }
    replaceChildren(this.sections.actions, h("h2", { id: "actions-heading" }, "Actions"), parts);
  }

  private actionForm(id: string, title: string, intro: Child, fields: Child[], submitLabel: string, onSubmit: (form: HTMLFormElement) => Promise<void>): HTMLElement {
    const headingId = uniqueId(`${id}-heading`);
    const form = h("form", { id, "aria-labelledby": headingId, novalidate: true }, h("div", { class: "form-messages" }), intro, fields, h("div", { class: "buttons" }, h("button", { type: "submit" }, submitLabel)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void submitting(form, () => onSubmit(form));
    });
    return h("section", { class: "action" }, h("h3", { id: headingId }, title), form);
  }

  private async patch(properties: Record<string, unknown>, done: string): Promise<void> {
    await api("customer", "PATCH", withApiVersion(armJobPath(this.key)), { properties });
    announce(this.messages, successBox(done));
    await this.refresh(true);
  }

  private shipForm(job: JobResponse): HTMLElement {
    const props = job.properties;
    const pkg = props.deliveryPackage;
    const needsAddress = !props.returnAddress;
    return this.actionForm(
      "ship-form",
      "Ship your drives",
      h(
        "p",
        {},
        "When the package is on its way, enter its carrier and tracking number and mark the job Shipping.",
        needsAddress ? " The service also needs the address to send the drives back to." : " Drives come back to the return address below.",
      ),
      [
        h(
          "fieldset",
          {},
          h("legend", {}, "Delivery package"),
          packageFields(pkg, props.driveList?.length),
        ),
        needsAddress ? h("fieldset", {}, h("legend", {}, "Return address"), addressFields(undefined)) : "",
      ],
      "Mark as Shipping",
      async (form) => {
        const values = formValues(form);
        await this.patch(
          { deliveryPackage: packageOf(values), ...(needsAddress ? { returnAddress: addressOf(values) } : {}), state: "Shipping" },
          "The job is marked Shipping. The data center expects your package.",
        );
      },
    );
  }

  private packageForm(job: JobResponse): HTMLElement {
    return this.actionForm(
      "package-form",
      "Correct the delivery package",
      h("p", {}, "Until the package arrives, you can correct its carrier or tracking number."),
      packageFields(job.properties.deliveryPackage, job.properties.driveList?.length),
      "Save the package",
      async (form) => this.patch({ deliveryPackage: packageOf(formValues(form)) }, "The delivery package is saved."),
    );
  }

  private addressForm(job: JobResponse): HTMLElement {
    return this.actionForm(
      "address-form",
      "Correct the return address",
      h("p", {}, "Until the drives are packed to come back, you can correct where they go."),
      addressFields(job.properties.returnAddress),
      "Save the return address",
      async (form) => this.patch({ returnAddress: addressOf(formValues(form)) }, "The return address is saved."),
    );
  }

  private async cancel(state: JobState): Promise<void> {
    const body =
      state === "Creating"
        ? "Nothing has shipped, so the job ends at once (Completed). This cannot be undone."
        : "Cancelling is best effort: drives not yet copied are skipped, and all drives are shipped back to you. A cancellation cannot be withdrawn.";
    if (!(await confirmDialog({ title: `Cancel job ${this.key.name}?`, body, confirm: "Cancel the job", cancel: "Keep the job" }))) return;
    try {
      await this.patch({ cancelRequested: true }, "Cancellation requested.");
    } catch (error) {
      announce(this.messages, errorBox(error, "The job could not be cancelled"));
      void this.refresh(); // the job may have moved on: show where it is now
    }
  }

  private async delete(): Promise<void> {
    const ok = await confirmDialog({
      title: `Delete job ${this.key.name}?`,
      body: "The job, its BitLocker keys and its logs are deleted. This cannot be undone.",
      confirm: "Delete the job",
      cancel: "Keep the job",
    });
    if (!ok) return;
    try {
      await api("customer", "DELETE", withApiVersion(armJobPath(this.key)));
    } catch (error) {
      announce(this.messages, errorBox(error, "The job could not be deleted"));
      void this.refresh(); // the job may have moved on: show where it is now
      return;
    }
    this.stop();
    const message = successBox(`Job ${this.key.name} was deleted. `, h("a", { href: `/portal/?subscription=${encodeURIComponent(this.key.subscriptionId)}` }, "Back to your jobs"));
    replaceChildren(this.main, h("h1", {}, `Job ${this.key.name}`), message);
    message.focus();
  }
}

function packageFields(pkg: JobResponse["properties"]["deliveryPackage"], drives: number | undefined): HTMLElement[] {
  const target = (name: string) => `properties.deliveryPackage.${name}`;
  const specs: FieldSpec[] = [
    { name: "carrierName", label: "Carrier", required: true, value: pkg?.carrierName, target: target("carrierName"), hint: "For example FedEx, UPS or DHL." },
    { name: "trackingNumber", label: "Tracking number", required: true, value: pkg?.trackingNumber, target: target("trackingNumber") },
    { name: "driveCount", label: "Number of drives", type: "number", required: false, min: 0, max: 10, value: pkg?.driveCount ?? drives, target: target("driveCount") },
    { name: "shipDate", label: "Ship date", type: "date", required: false, value: pkg?.shipDate?.slice(0, 10) ?? today(), target: target("shipDate") },
  ];
  return specs.map(field);
}

function addressFields(address: JobResponse["properties"]["returnAddress"]): HTMLElement[] {
  const target = (name: string) => `properties.returnAddress.${name}`;
  const specs: FieldSpec[] = [
    { name: "recipientName", label: "Recipient", required: true, autocomplete: "name" },
    { name: "streetAddress1", label: "Street address", required: true, autocomplete: "address-line1" },
    { name: "streetAddress2", label: "Street address, line 2", required: false, autocomplete: "address-line2" },
    { name: "city", label: "City", required: true, autocomplete: "address-level2" },
    { name: "stateOrProvince", label: "State or province", required: false, autocomplete: "address-level1" },
    { name: "postalCode", label: "Postal code", required: true, autocomplete: "postal-code" },
    { name: "countryOrRegion", label: "Country or region", required: true, autocomplete: "country-name" },
    { name: "phone", label: "Phone", type: "tel", required: true, autocomplete: "tel" },
    { name: "email", label: "Email", type: "email", required: true, autocomplete: "email", hint: "Notices about the job go here." },
  ];
  return specs.map((spec) => field({ ...spec, value: address?.[spec.name as keyof NonNullable<typeof address>], target: target(spec.name) }));
}

/** A number field as a number; anything else is sent as typed, for the API to name. */
function numberOf(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function packageOf(values: Record<string, string>): Record<string, unknown> {
  return { carrierName: values.carrierName, trackingNumber: values.trackingNumber, driveCount: numberOf(values.driveCount), shipDate: values.shipDate };
}

function addressOf(values: Record<string, string>): Record<string, unknown> {
  const names = ["recipientName", "streetAddress1", "streetAddress2", "city", "stateOrProvince", "postalCode", "countryOrRegion", "phone", "email"];
  return Object.fromEntries(names.filter((name) => values[name] !== undefined).map((name) => [name, values[name]]));
}

// ---------------------------------------------------------------- start

function start(): void {
  const main = byId("main");
  const route = routeOf(location.pathname);
  if (route.kind === "job") {
    const page = new JobPage(main, route.key);
    bindTokenForm("customer", () => void page.refresh(true));
    void page.refresh(true);
  } else {
    const reload = renderList(main);
    bindTokenForm("customer", reload);
  }
}

start();
