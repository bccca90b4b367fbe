/**
 * What both pages share: the header's token form, messages (errors as the API words them), labelled
 * form fields whose errors come from the API's per-field details, and a submit helper.
 */
import { ApiError, Audience, setToken, tokenFor } from "./api";
import { byId, Child, h, uniqueId } from "./dom";

/** Fills the header's token field and calls `onChange` when the user sets another token. */
export function bindTokenForm(audience: Audience, onChange: () => void): void {
  const form = byId<HTMLFormElement>("token-form");
  const input = byId<HTMLInputElement>("token-input");
  const status = byId("token-status");
  input.value = tokenFor(audience);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim() || (audience === "operator" ? "dev-operator" : "dev");
    input.value = token;
    setToken(audience, token);
    status.textContent = "Token saved.";
    window.setTimeout(() => (status.textContent = ""), 4000);
    onChange();
  });
}

/** The API's error as a message box: its code and message, and one line per bad field. */
export function errorBox(error: unknown, heading = "The request failed"): HTMLElement {
  const box = h("div", { class: "message error", role: "alert", tabindex: "-1" });
  if (error instanceof ApiError) {
    box.append(
      h("p", {}, h("strong", {}, `${heading}: `), error.message, " ", h("span", { class: "code" }, `(${error.status ? `${error.status} ` : ""}${error.code})`)),
      // One detail that the message already says is not repeated.
      error.details.length > 1 || (error.details.length === 1 && !error.message.includes(error.details[0].message))
        ? h(
            "ul",
            {},
            error.details.map((detail) => h("li", {}, detail.message, detail.target ? h("span", { class: "code" }, ` (${detail.target})`) : "")),
          )
        : "",
    );
  } else {
    box.append(h("p", {}, h("strong", {}, `${heading}: `), error instanceof Error ? error.message : String(error)));
  }
  return box;
}

export function successBox(...children: Child[]): HTMLElement {
  return h("div", { class: "message success", role: "status", tabindex: "-1" }, ...children);
}

/** Puts a message in a container and moves focus to it, so keyboard and screen-reader users get it. */
export function announce(container: HTMLElement, message: HTMLElement, focus = true): void {
  container.replaceChildren(message);
  if (focus) message.focus();
}

export interface FieldSpec {
  name: string;
  label: string;
  type?: "text" | "number" | "date" | "email" | "tel" | "textarea" | "select";
  /** Marked "(required)" when true, "(optional)" when false, neither when left out (filters). */
  required?: boolean;
  value?: string | number;
  options?: { value: string; label: string }[];
  hint?: string;
  /** The property path the API names in an error's `target` for this field. */
  target?: string;
  autocomplete?: string;
  min?: number;
  max?: number;
}

/**
 * A labelled field. Required fields are marked, but the form is not validated by the browser: the
 * API checks it, so the page shows exactly the API's rules and messages.
 */
export function field(spec: FieldSpec): HTMLElement {
  const id = uniqueId(`field-${spec.name}`);
  const hintId = spec.hint ? `${id}-hint` : undefined;
  const common = {
    id,
    name: spec.name,
    "data-target": spec.target,
    "aria-required": spec.required ? "true" : undefined,
    "aria-describedby": hintId,
    autocomplete: spec.autocomplete ?? "off",
  };
  let control: HTMLElement;
  if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: 3 }, spec.value === undefined ? "" : String(spec.value));
  } else if (spec.type === "select") {
    control = h(
      "select",
      common,
      (spec.options ?? []).map((option) => h("option", { value: option.value, selected: String(spec.value ?? "") === option.value }, option.label)),
    );
  } else {
    control = h("input", {
      ...common,
      type: spec.type ?? "text",
      value: spec.value === undefined ? undefined : String(spec.value),
      min: spec.min,
      max: spec.max,
      inputmode: spec.type === "number" ? "numeric" : undefined,
    });
  }
  return h(
    "div",
    { class: "field" },
    h(
      "label",
      { for: id },
      spec.label,
      spec.required === true ? h("span", { class: "required" }, " (required)") : spec.required === false ? h("span", { class: "optional" }, " (optional)") : "",
    ),
    control,
    spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : "",
  );
}

/** The form's fields by name, trimmed; empty ones left out (the API then says what is missing). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    if (text !== "") values[name] = text;
  }
  return values;
}

function clearFieldErrors(form: HTMLFormElement): void {
  for (const element of form.querySelectorAll(".field-error")) element.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const hint = control.getAttribute("aria-describedby")?.split(" ").filter((id) => !id.endsWith("-error")).join(" ");
    if (hint) control.setAttribute("aria-describedby", hint);
    else control.removeAttribute("aria-describedby");
  }
}

/** Marks each field the API named in an error detail (by its `target`) with that detail's message. */
function showFieldErrors(form: HTMLFormElement, error: ApiError): void {
  const details = error.details.length > 0 ? error.details : error.target ? [{ code: error.code, target: error.target, message: error.message }] : [];
  for (const detail of details) {
    if (!detail.target) continue;
    const control = [...form.querySelectorAll<HTMLElement>("[data-target]")].find((candidate) => candidate.dataset.target === detail.target);
    if (!control) continue;
    const errorId = `${control.id}-error`;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), errorId].filter(Boolean).join(" "));
    control.parentElement?.append(h("p", { class: "field-error", id: errorId }, detail.message));
  }
}

/**
 * Runs a form's request with its button disabled; on failure shows the API's answer at the top of
 * the form (focused) and beside each field it names.
 */
export async function submitting(form: HTMLFormElement, work: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll<HTMLButtonElement>("button")];
  const messages = form.querySelector<HTMLElement>(".form-messages") ?? form.insertBefore(h("div", { class: "form-messages" }), form.firstChild);
  clearFieldErrors(form);
  messages.replaceChildren();
  buttons.forEach((button) => (button.disabled = true));
  form.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError) showFieldErrors(form, error);
    announce(messages, errorBox(error));
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    form.removeAttribute("aria-busy");
  }
}

/** A modal confirmation (native `<dialog>`: focus is kept inside and returned after). */
export function confirmDialog(options: { title: string; body: string; confirm: string; cancel: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uniqueId("dialog-title");
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": titleId },
      h("h2", { id: titleId }, options.title),
      h("p", {}, options.body),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", class: "danger", onclick: () => dialog.close("confirm") }, options.confirm),
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close("cancel"), autofocus: true }, options.cancel),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A definition list from label/value pairs, skipping empty values. */
export function facts(pairs: [string, Child][]): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "").map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
}

/** What an address card shows, of a return address or the data center's shipping address. */
type AddressFields = Partial<
  Record<"recipientName" | "streetAddress1" | "streetAddress2" | "city" | "stateOrProvince" | "postalCode" | "countryOrRegion" | "phone" | "email" | "additionalInformation", string>
>;

export function addressLines(address: AddressFields | undefined): Child {
  if (!address) return "";
  const cityLine = [address.city, address.stateOrProvince, address.postalCode].filter(Boolean).join(", ");
  const lines = [address.recipientName, address.streetAddress1, address.streetAddress2, cityLine, address.countryOrRegion, address.phone, address.email, address.additionalInformation].filter(
    (line): line is string => Boolean(line),
  );
  return h("address", {}, lines.map((line, index) => [index > 0 ? h("br") : "", line]));
}
