/**
 * A few DOM helpers, so the pages need no framework: `h` builds elements (text always as text, never
 * as HTML), `svg` builds SVG elements, and the formatters show dates, durations and sizes as people
 * read them.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attribute = string | number | boolean | null | undefined | ((event: Event) => void);
export type Attributes = Record<string, Attribute>;

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/** A table's header row of column headings, as every table of the portal has one. */
export function tableHead(labels: string[]): HTMLTableSectionElement {
  return h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label))));
}

/**
 * A table in its own horizontal scroll container, so a table wider than a phone's screen scrolls by
 * itself instead of the whole page. The container is a labelled region that takes focus, so keyboard
 * users can scroll it too.
 */
export function scrollingTable(attributes: Attributes, ...children: Child[]): HTMLElement {
  const table = h("table", attributes, ...children);
  const label = table.caption?.textContent ?? undefined;
  return h("div", { class: "table-scroll", role: "region", tabindex: 0, "aria-label": label }, table);
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

let uniqueCounter = 0;
/** A fresh id for label/field and aria-describedby pairs. */
export function uniqueId(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];

/** "in 13 days", "5 minutes ago". */
function relativeTime(iso: string, now = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === "second") return format.format(Math.round(delta / ms), unit);
  }
  return "";
}

/** A `<time>` with the local date, and the relative time after it. */
export function timeElement(iso: string | undefined, withRelative = false): Child {
  if (!iso) return "—";
  return h("time", { datetime: iso }, formatDate(iso), withRelative ? ` (${relativeTime(iso)})` : "");
}

/** A progress bar with its number beside it (the bar is labelled; the number is for the eye). */
export function progressBar(percent: number | undefined, label: string): HTMLElement {
  const value = Math.max(0, Math.min(100, Math.round(percent ?? 0)));
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: 100, value, "aria-label": label }, `${value}%`),
    h("span", { class: "progress-value", "aria-hidden": "true" }, `${value}%`),
  );
}

/** A state as a small coloured badge; the colour only repeats what the text says. */
export function stateBadge(state: string | undefined): HTMLElement {
  return h("span", { class: `badge state-${(state ?? "unknown").toLowerCase()}` }, state ?? "unknown");
}

/** Today as yyyy-mm-dd in local time, for date inputs. */
export function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}
