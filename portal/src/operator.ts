/**
 * The operator console (`/portal/operator`, a job at `/portal/operator/jobs/{sub}/{rg}/{job}`): the
 * queues of jobs that need the data center (the operator API's views and states), unmatched arrivals,
 * and on a job its history as a timeline and one form per operator event its state allows
 * (`operator.allowedEvents`), each posted to the operator API as it is. Operator tokens only.
 */
import { DRIVE_STATES } from "../../shared/domain/drive-state-machine";
import { JOB_STATES } from "../../shared/domain/job-state-machine";
import { formatBytes } from "../../shared/domain/byte-count";
import { api, ApiError, JobKey, jobKeyFromId, jobPagePath, operatorJobPath, operatorPagePath } from "./api";
import { byId, Child, h, progressBar, replaceChildren, scrollingTable, stateBadge, tableHead, timeElement, today, uniqueId } from "./dom";
import type { ArrivalResponse, HistoryEntryResponse, OperatorJobResponse, PageResponse } from "../../shared/service/api/responses";
import { announce, bindTokenForm, errorBox, facts, field, FieldSpec, formValues, submitting, successBox } from "./ui";

const QUEUES: { value: string; label: string }[] = [
  { value: "view:attention", label: "Needs attention: every active job" },
  { value: "state:Shipping", label: "Packages on their way (Shipping)" },
  { value: "state:Received", label: "Packages received, copy to start (Received)" },
  { value: "state:Transferring", label: "Transfers running (Transferring)" },
  { value: "state:Packaging", label: "To ship back (Packaging)" },
  { value: "view:faulted", label: "Faulted jobs and drives" },
  { value: "view:overdue", label: "Overdue shipments" },
  { value: "view:returnAddress", label: "Return address problems" },
];

const query = new URLSearchParams(location.search);
let authProblemShown = false;

// ---------------------------------------------------------------- authorization

/** A 401 or 403 means the token is not an operator's: one clear message, instead of one per list. */
function isAuthProblem(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

function showAuthProblem(error: ApiError): void {
  if (authProblemShown) return;
  authProblemShown = true;
  const box = h(
    "div",
    { class: "message error", role: "alert", tabindex: "-1", id: "auth-problem" },
    h("h2", {}, error.status === 403 ? "This console is for operators" : "The service did not accept the token"),
    h(
      "p",
      {},
      error.status === 403
        ? "The token in use is not an operator's, so the operator API refused it: "
        : "The token in use could not be verified: ",
      error.message,
      " ",
      h("span", { class: "code" }, `(${error.status} ${error.code})`),
    ),
    h("p", {}, "Enter an operator token in the header above (in dev mode: ", h("code", {}, "dev-operator"), ") and press Use token."),
  );
  announce(byId("op-messages"), box, false);
}

function clearAuthProblem(): void {
  authProblemShown = false;
  byId("op-messages").replaceChildren();
}

/** Shows a failure where it happened, or the one authorization message. */
function failure(container: HTMLElement, error: unknown, heading: string): void {
  if (isAuthProblem(error)) {
    showAuthProblem(error);
    container.replaceChildren(h("p", { class: "empty" }, "Needs an operator token."));
  } else {
    announce(container, errorBox(error, heading), false);
  }
}

// ---------------------------------------------------------------- the queues

const queueSection = h("section", { id: "queue", "aria-labelledby": "queue-heading" });
const queueResults = h("div", { id: "queue-results" });
const arrivalsSection = h("section", { id: "arrivals", "aria-labelledby": "arrivals-heading" });
const arrivalsResults = h("div", { id: "arrivals-results" });
const jobSection = h("section", { id: "op-job", "aria-labelledby": "op-job-heading" });
const jobPanel = h("div", { id: "op-job-panel" });

function renderQueueSection(): void {
  const form = h(
    "form",
    { id: "queue-form", class: "filter", "aria-label": "Choose a queue", novalidate: true },
    field({ name: "queue", label: "Queue", type: "select", value: query.get("queue") ?? "view:attention", options: QUEUES }),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Show")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void loadQueue();
  });
  replaceChildren(queueSection, h("h2", { id: "queue-heading" }, "Jobs that need the data center"), form, queueResults);
}

async function loadQueue(): Promise<void> {
  const form = byId<HTMLFormElement>("queue-form");
  const choice = formValues(form).queue ?? "view:attention";
  const [kind, value] = choice.split(":");
  const search = kind === "state" ? `state=${encodeURIComponent(value)}` : `view=${encodeURIComponent(value)}`;
  queueResults.setAttribute("aria-busy", "true");
  try {
    const page = await api<PageResponse<OperatorJobResponse>>("operator", "GET", `/operator/jobs?${search}&$top=50`);
    const label = QUEUES.find((queue) => queue.value === choice)?.label ?? choice;
    replaceChildren(queueResults, queueTable(page.value, label));
    if (page.nextLink) queueResults.append(h("p", { class: "note" }, "More jobs are in this queue than are shown (the first 50)."));
  } catch (error) {
    failure(queueResults, error, "The queue could not be read");
  } finally {
    queueResults.removeAttribute("aria-busy");
  }
}

function flagsOf(job: OperatorJobResponse): string[] {
  const flags: string[] = [];
  if (job.properties.cancelRequested) flags.push("cancel requested");
  if (job.operator.returnAddressProblem) flags.push("return address problem");
  if (job.operator.hadFault) flags.push("had a fault");
  if (job.operator.shippingDueAt && job.properties.state === "Shipping" && new Date(job.operator.shippingDueAt).getTime() < Date.now()) flags.push("overdue");
  if (job.operator.extraDrives.length > 0) flags.push(`${job.operator.extraDrives.length} extra drive(s)`);
  if ((job.properties.driveList ?? []).some((drive) => drive.state === "Faulted")) flags.push("faulted drive");
  return flags;
}

function queueTable(jobs: OperatorJobResponse[], label: string): HTMLElement {
  if (jobs.length === 0) return h("p", { class: "empty" }, `No jobs in this queue (${label}).`);
  return scrollingTable(
    { class: "jobs" },
    h("caption", {}, `${jobs.length} job${jobs.length === 1 ? "" : "s"}: ${label}`),
    tableHead(["Job", "Subscription", "Resource group", "State", "Progress", "Flags", "Next events"]),
    h(
      "tbody",
      {},
      jobs.map((job) => {
        const key = jobKeyFromId(job.id);
        return h(
          "tr",
          { "data-job": job.name },
          h("th", { scope: "row" }, jobLink(key)),
          h("td", { class: "code" }, key.subscriptionId),
          h("td", {}, key.resourceGroup),
          h("td", {}, stateBadge(job.properties.state)),
          h("td", {}, progressBar(job.properties.percentComplete, `Progress of ${job.name}`)),
          h("td", {}, flagsOf(job).join(", ") || "—"),
          h("td", { class: "events" }, job.operator.allowedEvents.join(", ") || "—"),
        );
      }),
    ),
  );
}

function jobLink(key: JobKey): HTMLElement {
  return h(
    "a",
    {
      href: operatorPagePath(key),
      onclick: (event: Event) => {
        event.preventDefault();
        history.pushState(null, "", operatorPagePath(key));
        void openJob(key, true);
      },
    },
    key.name,
  );
}

// ---------------------------------------------------------------- arrivals

function renderArrivalsSection(): void {
  replaceChildren(
    arrivalsSection,
    h("h2", { id: "arrivals-heading" }, "Unmatched arrivals"),
    h("p", { class: "lead" }, "Packages that came for no job, or for a job that was not Shipping. Attach one to its job once that job is Shipping."),
    arrivalsResults,
  );
}

async function loadArrivals(): Promise<void> {
  arrivalsResults.setAttribute("aria-busy", "true");
  try {
    const page = await api<PageResponse<ArrivalResponse>>("operator", "GET", "/operator/arrivals?status=Unmatched&$top=50");
    replaceChildren(arrivalsResults, arrivalsTable(page.value));
  } catch (error) {
    failure(arrivalsResults, error, "The arrivals could not be read");
  } finally {
    arrivalsResults.removeAttribute("aria-busy");
  }
}

function arrivalsTable(arrivals: ArrivalResponse[]): HTMLElement {
  if (arrivals.length === 0) return h("p", { class: "empty" }, "No unmatched arrivals.");
  return scrollingTable(
    { class: "arrivals" },
    h("caption", { class: "visually-hidden" }, "Unmatched arrivals"),
    tableHead(["Arrived", "Carrier and tracking", "Drives", "Label names", "Why unmatched", "Attach"]),
    h(
      "tbody",
      {},
      arrivals.map((arrival) =>
        h(
          "tr",
          { "data-arrival": arrival.id },
          h("td", {}, timeElement(arrival.arrivedAt)),
          h("td", {}, `${arrival.carrierName} ${arrival.trackingNumber}`),
          h("td", {}, arrival.driveIds.join(", ")),
          h("td", {}, arrival.job ? `${arrival.job.resourceGroupName}/${arrival.job.jobName}` : "—"),
          h("td", {}, arrival.reason),
          h("td", {}, attachForm(arrival)),
        ),
      ),
    ),
  );
}

function attachForm(arrival: ArrivalResponse): HTMLElement {
  const form = h(
    "form",
    { novalidate: true, "aria-label": `Attach arrival ${arrival.trackingNumber} to a job` },
    h("div", { class: "form-messages" }),
    field({ name: "subscriptionId", label: "Subscription", value: arrival.job?.subscriptionId, required: true, target: "subscriptionId" }),
    field({ name: "resourceGroupName", label: "Resource group", value: arrival.job?.resourceGroupName, required: true, target: "resourceGroupName" }),
    field({ name: "jobName", label: "Job", value: arrival.job?.jobName, required: true, target: "jobName" }),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Attach")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submitting(form, async () => {
      const values = formValues(form);
      const job = await api<OperatorJobResponse>("operator", "POST", `/operator/arrivals/${encodeURIComponent(arrival.id)}/attach`, values);
      const key = jobKeyFromId(job.id);
      history.pushState(null, "", operatorPagePath(key));
      await openJob(key, true, `Arrival attached: job ${key.name} is now ${job.properties.state}.`);
      void loadArrivals();
    });
  });
  return h("details", {}, h("summary", {}, "Attach to a job"), form);
}

// ---------------------------------------------------------------- one job

function renderJobSection(key: JobKey | undefined): void {
  const form = h(
    "form",
    { id: "open-job-form", class: "filter", "aria-label": "Open a job", novalidate: true },
    field({ name: "subscriptionId", label: "Subscription", value: key?.subscriptionId }),
    field({ name: "resourceGroup", label: "Resource group", value: key?.resourceGroup }),
    field({ name: "name", label: "Job", value: key?.name }),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Open")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(form);
    const opened = { subscriptionId: values.subscriptionId ?? "", resourceGroup: values.resourceGroup ?? "", name: values.name ?? "" };
    history.pushState(null, "", operatorPagePath(opened));
    void openJob(opened, true);
  });
  replaceChildren(jobSection, h("h2", { id: "op-job-heading" }, "Job"), form, jobPanel);
}

async function openJob(key: JobKey, focus: boolean, message?: string): Promise<void> {
  for (const [name, value] of [
    ["subscriptionId", key.subscriptionId],
    ["resourceGroup", key.resourceGroup],
    ["name", key.name],
  ]) {
    const input = byId<HTMLFormElement>("open-job-form").elements.namedItem(name) as HTMLInputElement | null;
    if (input) input.value = value;
  }
  jobPanel.setAttribute("aria-busy", "true");
  try {
    const [job, history] = await Promise.all([
      api<OperatorJobResponse>("operator", "GET", operatorJobPath(key)),
      api<PageResponse<HistoryEntryResponse>>("operator", "GET", `${operatorJobPath(key)}/history`),
    ]);
    renderJob(key, job, history.value, message ? successBox(message) : undefined);
    if (focus) byId("op-job-title").focus();
  } catch (error) {
    failure(jobPanel, error, `Job ${key.name} could not be read`);
  } finally {
    jobPanel.removeAttribute("aria-busy");
  }
}

function renderJob(key: JobKey, job: OperatorJobResponse, history: HistoryEntryResponse[], message?: HTMLElement): void {
  const props = job.properties;
  const op = job.operator;
  const messages = h("div", { id: "op-job-messages" });
  if (message) messages.append(message);
  const drives = props.driveList ?? [];
  // Counts the panel's renders, so a test (or a script) can tell a fresh panel from the last one.
  jobPanel.dataset.renders = String(Number(jobPanel.dataset.renders ?? "0") + 1);
  replaceChildren(
    jobPanel,
    h("h3", { id: "op-job-title", tabindex: "-1", class: "job-title" }, `${props.jobType} job ${job.name}`),
    h(
      "p",
      { class: "meta" },
      `${job.location} · resource group ${key.resourceGroup} · subscription ${key.subscriptionId} · `,
      h("a", { href: jobPagePath(key) }, "customer's view"),
    ),
    messages,
    h(
      "p",
      { class: "status-line" },
      "State: ",
      h("strong", { id: "op-job-state" }, stateBadge(props.state)),
      " since ",
      timeElement(op.stateChangedAt),
      props.cancelRequested ? h("span", { class: "note" }, " · cancellation requested") : "",
      op.stateBeforeFault ? h("span", { class: "note" }, ` · faulted while ${op.stateBeforeFault}`) : "",
    ),
    h("div", { class: "overall" }, h("span", { class: "overall-label" }, "Overall progress "), progressBar(props.percentComplete, `Overall progress of ${job.name}`)),
    facts([
      ["Package expected by", op.shippingDueAt ? timeElement(op.shippingDueAt, true) : ""],
      ["Deleted if still Creating", op.creatingExpiresAt ? timeElement(op.creatingExpiresAt, true) : ""],
      ["Return address problem", op.returnAddressProblem ? `${op.returnAddressProblem.reason} (reported ${new Date(op.returnAddressProblem.reportedAt).toLocaleString()})` : ""],
      ["Had a fault", op.hadFault ? "yes: the job ends Closed" : ""],
      ["Delivery package", props.deliveryPackage ? `${props.deliveryPackage.carrierName} ${props.deliveryPackage.trackingNumber}` : ""],
      ["Return package", props.returnPackage ? `${props.returnPackage.carrierName} ${props.returnPackage.trackingNumber}` : ""],
      ["Extra drives (return with the package)", op.extraDrives.map((drive) => drive.driveId).join(", ")],
      ["Skipped drives (job cancelled)", op.skippedDrives.join(", ")],
    ]),
    drives.length === 0
      ? h("p", { class: "empty" }, "No drives yet.")
      : scrollingTable(
          { class: "drives" },
          h("caption", {}, "Drives"),
          tableHead(["Drive", "State", "Progress", "Bytes copied", "Copy status"]),
          h(
            "tbody",
            {},
            drives.map((drive) =>
              h(
                "tr",
                { "data-drive": drive.driveId },
                h("th", { scope: "row" }, drive.driveId),
                h("td", { class: "drive-state" }, stateBadge(drive.state)),
                h("td", {}, progressBar(drive.percentComplete, `Progress of drive ${drive.driveId}`)),
                h("td", {}, drive.bytesSucceeded === undefined ? "—" : formatBytes(drive.bytesSucceeded)),
                h("td", {}, drive.copyStatus ?? "—"),
              ),
            ),
          ),
        ),
    h("h4", {}, "Record an event"),
    op.allowedEvents.length === 0
      ? h("p", { class: "empty", id: "no-events" }, `No operator event is possible while the job is ${props.state}.`)
      : h(
          "div",
          { class: "event-forms" },
          op.allowedEvents.map((type) => eventForm(key, job, type)),
        ),
    h("h4", {}, "History"),
    historyTimeline(history),
  );
}

function historyTimeline(history: HistoryEntryResponse[]): HTMLElement {
  return h(
    "ol",
    { class: "timeline", id: "op-history" },
    history.map((entry) =>
      h(
        "li",
        { "data-subject": entry.driveId ?? "job" },
        h("span", { class: "when" }, timeElement(entry.at)),
        h("span", { class: "what" }, entry.driveId ? `Drive ${entry.driveId}: ` : "Job: ", entry.from ? `${entry.from} → ${entry.to}` : `created (${entry.to})`),
        h("span", { class: "who" }, `${entry.role} (${entry.by})`),
        h("span", { class: "why" }, entry.reason),
      ),
    ),
  );
}

// ---------------------------------------------------------------- event forms

type EventField = FieldSpec & { kind?: "int" | "list" | "lines" };

interface EventForm {
  title: string;
  fields: EventField[];
}

function driveChoice(job: OperatorJobResponse, states: string[], label = "Drive"): EventField {
  const drives = job.properties.driveList ?? [];
  const fitting = drives.filter((drive) => states.includes(drive.state));
  const choices = (fitting.length > 0 ? fitting : drives).map((drive) => ({ value: drive.driveId, label: `${drive.driveId} (${drive.state})` }));
  return { name: "driveId", label, type: "select", required: true, options: choices, target: "driveId" };
}

const reasonField: EventField = { name: "reason", label: "Reason", required: true, type: "textarea", target: "reason" };

function eventFormOf(type: string, job: OperatorJobResponse): EventForm {
  const props = job.properties;
  const drives = props.driveList ?? [];
  const text = (name: string, label: string, required: boolean, value?: string): EventField => ({ name, label, required, value, target: name });
  const int = (name: string, label: string, required: boolean, value?: number): EventField => ({ name, label, required, value, type: "number", min: 0, kind: "int", target: name });
  const lines = (name: string, label: string): EventField => ({ name, label, type: "textarea", required: false, kind: "lines", target: name, hint: "One line per log entry." });
  switch (type) {
    case "PackageReceived":
      return {
        title: "Package received",
        fields: [
          text("carrierName", "Carrier", true, props.deliveryPackage?.carrierName),
          text("trackingNumber", "Tracking number", true, props.deliveryPackage?.trackingNumber),
          {
            ...text("driveIds", "Drives in the package", true, drives.map((drive) => drive.driveId).join(", ")),
            kind: "list",
            hint: "Drive ids separated by commas. The job's drives not listed become NeverReceived; unknown ids are kept as extra drives.",
          },
        ],
      };
    case "DriveReceived":
      return { title: "A missing drive arrived", fields: [driveChoice(job, ["NeverReceived", "Specified"]), text("carrierName", "Carrier", false), text("trackingNumber", "Tracking number", false)] };
    case "TransferStarted":
      return { title: "Copy started on a drive", fields: [driveChoice(job, ["Received"]), { ...int("totalBytes", "Drive size in bytes", false), hint: "Shown with the drive's bytes copied; the job's progress is the mean of its drives' percents." }] };
    case "TransferProgress":
      return {
        title: "Copy progress",
        fields: [
          driveChoice(job, ["Transferring"]),
          int("bytesSucceeded", "Bytes copied", true),
          { ...int("percentComplete", "Percent complete", true), max: 100 },
          int("totalBytes", "Drive size in bytes", false),
          text("copyStatus", "Copy status", false),
          lines("errorLog", "Error log lines"),
          lines("verboseLog", "Verbose log lines"),
        ],
      };
    case "TransferFinished":
      return {
        title: "Copy finished on a drive",
        fields: [
          driveChoice(job, ["Transferring"]),
          {
            name: "outcome",
            label: "Outcome",
            type: "select",
            required: true,
            target: "outcome",
            options: [
              { value: "Completed", label: "Completed: no errors" },
              { value: "CompletedMoreInfo", label: "CompletedMoreInfo: errors or warnings in the logs" },
            ],
          },
          int("bytesSucceeded", "Bytes copied", false),
          text("copyStatus", "Copy status", false),
          lines("errorLog", "Error log lines"),
          lines("verboseLog", "Verbose log lines"),
        ],
      };
    case "ShippedBack":
      return {
        title: "Drives shipped back",
        fields: [
          text("carrierName", "Carrier", true, props.returnShipping?.carrierName ?? props.deliveryPackage?.carrierName),
          text("trackingNumber", "Tracking number", true),
          int("driveCount", "Number of drives", true, drives.length + job.operator.extraDrives.length),
          { ...text("shipDate", "Ship date", true, today()), type: "date" },
        ],
      };
    case "ReturnAddressProblem":
      return { title: "Report a return address problem", fields: [reasonField] };
    case "FaultJob":
      return { title: "Fault the job", fields: [reasonField] };
    case "ClearJobFault":
      return {
        title: "Clear the job's fault",
        fields: [
          reasonField,
          {
            name: "returnTo",
            label: "Return to",
            required: false,
            type: "select",
            target: "returnTo",
            options: [{ value: "", label: `The state it left (${job.operator.stateBeforeFault ?? "unknown"})` }, ...JOB_STATES.map((state) => ({ value: state, label: state }))],
          },
        ],
      };
    case "FaultDrive":
      return { title: "Fault a drive", fields: [driveChoice(job, ["Received", "Transferring"]), reasonField] };
    case "ClearDriveFault":
      return {
        title: "Clear a drive's fault",
        fields: [
          driveChoice(job, ["Faulted"]),
          reasonField,
          {
            name: "returnTo",
            label: "Return to",
            required: false,
            type: "select",
            target: "returnTo",
            options: [{ value: "", label: "The state it left" }, ...DRIVE_STATES.map((state) => ({ value: state, label: state }))],
          },
        ],
      };
    case "ExtendShippingWait":
      return { title: "Wait longer for the package", fields: [{ ...int("days", "Days", true, 7), min: 1, max: 90 }, text("reason", "Reason", false)] };
    case "CloseUnresponsive":
      return { title: "Close: the package never came", fields: [reasonField] };
    case "DrivesReturned":
      return {
        title: "Drives returned after the job closed",
        fields: [text("carrierName", "Carrier", true), text("trackingNumber", "Tracking number", true), { ...text("shipDate", "Ship date", false, today()), type: "date" }],
      };
    case "DrivesDestroyed":
      return { title: "Drives destroyed securely", fields: [text("certificateReference", "Destruction certificate reference", true)] };
    default:
      return { title: type, fields: [] };
  }
}

function eventBody(type: string, fields: EventField[], values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = { type };
  for (const spec of fields) {
    const value = values[spec.name];
    if (value === undefined) continue;
    if (spec.kind === "int") {
      const number = Number(value);
      body[spec.name] = Number.isFinite(number) ? number : value;
    } else if (spec.kind === "list") {
      body[spec.name] = value.split(/[\s,;]+/).filter(Boolean);
    } else if (spec.kind === "lines") {
      body[spec.name] = value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    } else {
      body[spec.name] = value;
    }
  }
  return body;
}

function eventForm(key: JobKey, job: OperatorJobResponse, type: string): HTMLElement {
  const spec = eventFormOf(type, job);
  const headingId = uniqueId(`event-${type}`);
  const form = h(
    "form",
    { "data-event": type, "aria-labelledby": headingId, novalidate: true },
    h("div", { class: "form-messages" }),
    spec.fields.map((fieldSpec) => field(fieldSpec)),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, `Record ${type}`)),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submitting(form, async () => {
      const body = eventBody(type, spec.fields, formValues(form));
      const updated = await api<OperatorJobResponse>("operator", "POST", `${operatorJobPath(key)}/events`, body);
      const stop = updated.operator?.stopTransfer ? " Stop copying this drive: the job was cancelled." : "";
      const outcome = updated.properties ? `Recorded ${type}: the job is ${updated.properties.state}.${stop}` : `Recorded ${type} as an unmatched arrival.`;
      await openJob(key, false, outcome);
      byId("op-job-messages").querySelector<HTMLElement>(".message")?.focus();
      void loadQueue();
      void loadArrivals();
    });
  });
  return h("details", { class: "event", "data-event": type }, h("summary", { id: headingId }, h("span", { class: "event-type" }, type), ` — ${spec.title}`), form);
}

// ---------------------------------------------------------------- start

function routeKey(): JobKey | undefined {
  const match = /^\/portal\/operator\/jobs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/i.exec(location.pathname);
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, name] = match.map((part) => decodeURIComponent(part));
  return { subscriptionId, resourceGroup, name };
}

function loadAll(): void {
  clearAuthProblem();
  void loadQueue();
  void loadArrivals();
  const key = routeKey();
  if (key) void openJob(key, false);
}

function start(): void {
  document.title = "Operator console — Azure Import/Export";
  const main = byId("main");
  renderQueueSection();
  renderArrivalsSection();
  const key = routeKey();
  renderJobSection(key);
  if (!key) jobPanel.append(h("p", { class: "empty" }, "Open a job from a queue, or by its name."));
  const parts: Child[] = [
    h("h1", {}, "Operator console"),
    h("p", { class: "lead" }, "Work the queue: record what happens to each package and drive. Every form posts one event to the operator API, which checks it against the job's state."),
    h("div", { id: "op-messages" }),
    queueSection,
    jobSection,
    arrivalsSection,
  ];
  replaceChildren(main, parts);
  bindTokenForm("operator", loadAll);
  window.addEventListener("popstate", () => {
    const current = routeKey();
    if (current) void openJob(current, true);
  });
  loadAll();
}

start();
