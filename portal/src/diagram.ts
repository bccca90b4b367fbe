/**
 * The job state diagram, drawn from the service's own transition table (`job-state-machine.ts`): every
 * job state, the current one highlighted, the states and transitions the job went through marked.
 * A fault and its clearing share one dashed line (the job goes back where it was). Two layouts of
 * the same drawing: a wide one, and a tall one for a phone's width, where the wide one's text would
 * shrink past reading; the page switches between them when the screen changes width.
 */
import { JOB_STATES, JOB_TRANSITIONS, JobState } from "../../shared/domain/job-state-machine";
import { h, svg } from "./dom";

const BOX = { width: 116, height: 38 };

interface Layout {
  name: "wide" | "tall";
  viewBox: string;
  position: Record<JobState, { x: number; y: number }>;
  /** Edges drawn as curves, to pass around the boxes between their ends: the control point. */
  curves: Record<string, { x: number; y: number }>;
}

const WIDE: Layout = {
  name: "wide",
  viewBox: "0 0 790 300",
  position: {
    Creating: { x: 70, y: 140 },
    Shipping: { x: 200, y: 140 },
    Received: { x: 330, y: 140 },
    Transferring: { x: 460, y: 140 },
    Packaging: { x: 590, y: 140 },
    Completed: { x: 720, y: 140 },
    Closed: { x: 525, y: 40 },
    Faulted: { x: 395, y: 240 },
  },
  curves: {
    "Creating->Completed": { x: 395, y: 400 },
    "Received->Packaging": { x: 460, y: 62 },
  },
};

/** The main path down the middle, Faulted on the left, Closed on the right. */
const TALL: Layout = {
  name: "tall",
  viewBox: "0 0 390 450",
  position: {
    Creating: { x: 195, y: 30 },
    Shipping: { x: 195, y: 100 },
    Received: { x: 195, y: 170 },
    Transferring: { x: 195, y: 240 },
    Packaging: { x: 195, y: 310 },
    Completed: { x: 195, y: 410 },
    Closed: { x: 320, y: 360 },
    Faulted: { x: 62, y: 205 },
  },
  curves: {
    "Creating->Completed": { x: 480, y: 120 },
    "Received->Packaging": { x: 110, y: 240 },
    "Shipping->Closed": { x: 330, y: 110 },
    "Transferring->Closed": { x: 320, y: 250 },
  },
};

/** Below this width the tall layout is drawn (the wide one's text would be under 11 px). */
const TALL_MEDIA = "(max-width: 40rem)";

interface Edge {
  from: JobState;
  to: JobState;
  /** A fault edge stands for the fault and for its clearing, back to the state it left. */
  fault: boolean;
}

function edges(): Edge[] {
  const list: Edge[] = [];
  for (const rule of Object.values(JOB_TRANSITIONS)) {
    if (rule.to === "resume") continue;
    for (const from of rule.from) list.push({ from, to: rule.to, fault: rule.to === "Faulted" });
  }
  return list;
}

/** Where the line from a box's centre towards `toward` leaves the box. */
function boxEdgePoint(center: { x: number; y: number }, toward: { x: number; y: number }): { x: number; y: number } {
  const dx = toward.x - center.x;
  const dy = toward.y - center.y;
  if (dx === 0 && dy === 0) return center;
  const scale = Math.min(dx === 0 ? Infinity : BOX.width / 2 / Math.abs(dx), dy === 0 ? Infinity : BOX.height / 2 / Math.abs(dy));
  return { x: center.x + dx * scale, y: center.y + dy * scale };
}

function edgePath(layout: Layout, edge: Edge): string {
  const a = layout.position[edge.from];
  const b = layout.position[edge.to];
  const control = layout.curves[`${edge.from}->${edge.to}`];
  if (control) {
    const start = boxEdgePoint(a, control);
    const end = boxEdgePoint(b, control);
    return `M${start.x},${start.y} Q${control.x},${control.y} ${end.x},${end.y}`;
  }
  const start = boxEdgePoint(a, b);
  const end = boxEdgePoint(b, a);
  return `M${start.x},${start.y} L${end.x},${end.y}`;
}

export interface DiagramStep {
  from: string | null;
  to: string;
}

/** The states in the order the job went through them, from its path of state changes. */
function statesVisited(path: DiagramStep[]): string[] {
  const states: string[] = [];
  for (const step of path) {
    if (step.from && states.length === 0) states.push(step.from);
    states.push(step.to);
  }
  return states;
}

export function stateDiagram(current: JobState, path: DiagramStep[]): HTMLElement {
  const media = typeof matchMedia === "function" ? matchMedia(TALL_MEDIA) : undefined;
  const draw = () => drawing(media?.matches ? TALL : WIDE, current, path);
  const frame = h("div", { class: "diagram-scroll" }, draw());
  const figure = h(
    "figure",
    { class: "diagram" },
    frame,
    h(
      "figcaption",
      {},
      h("span", { class: "legend legend-current" }, "current state"),
      h("span", { class: "legend legend-visited" }, "✓ passed through"),
      h("span", { class: "legend legend-plain" }, "not reached"),
      h("span", { class: "legend legend-fault" }, "dashed: a fault, and back when it is cleared"),
    ),
  );
  // A phone turned sideways (or a window resized) gets the other layout; a replaced diagram stops listening.
  const relayout = () => {
    if (!figure.isConnected) media?.removeEventListener("change", relayout);
    else frame.replaceChildren(draw());
  };
  media?.addEventListener("change", relayout);
  return figure;
}

function drawing(layout: Layout, current: JobState, path: DiagramStep[]): SVGSVGElement {
  const visited = new Set(statesVisited(path));
  visited.add(current);
  const taken = new Set<string>();
  for (const step of path) {
    if (!step.from) continue;
    taken.add(`${step.from}->${step.to}`);
    // A cleared fault went back along the fault's line.
    if (step.from === "Faulted") taken.add(`${step.to}->Faulted`);
  }
  const order = statesVisited(path);
  const description = `Current state: ${current}. Path so far: ${order.length > 0 ? order.join(" → ") : current}.`;

  return svg(
    "svg",
    {
      class: `state-diagram layout-${layout.name}`,
      viewBox: layout.viewBox,
      role: "img",
      "aria-labelledby": "state-diagram-title state-diagram-desc",
      "data-current": current,
      "data-layout": layout.name,
    },
    svg("title", { id: "state-diagram-title" }, "Job state diagram"),
    svg("desc", { id: "state-diagram-desc" }, description),
    svg(
      "defs",
      {},
      ...["plain", "taken"].map((kind) =>
        svg(
          "marker",
          { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
          svg("path", { d: "M0,0 L10,5 L0,10 z", class: `arrow-head ${kind}` }),
        ),
      ),
    ),
    ...edges().map((edge) => {
      const isTaken = taken.has(`${edge.from}->${edge.to}`);
      const kind = isTaken ? "taken" : "plain";
      return svg("path", {
        d: edgePath(layout, edge),
        class: `edge${isTaken ? " taken" : ""}${edge.fault ? " fault" : ""}`,
        "data-edge": `${edge.from}->${edge.to}`,
        "marker-end": `url(#arrow-${kind})`,
        "marker-start": edge.fault ? `url(#arrow-${kind})` : undefined,
      });
    }),
    ...JOB_STATES.map((state) => {
      const { x, y } = layout.position[state];
      const isCurrent = state === current;
      const wasVisited = visited.has(state);
      const label = isCurrent ? state : wasVisited ? `✓ ${state}` : state;
      return svg(
        "g",
        {
          class: `node${isCurrent ? " current" : wasVisited ? " visited" : ""}`,
          "data-state": state,
          "data-visited": wasVisited ? "true" : "false",
          "aria-current": isCurrent ? "step" : undefined,
        },
        svg("rect", { x: x - BOX.width / 2, y: y - BOX.height / 2, width: BOX.width, height: BOX.height, rx: 8 }),
        svg("text", { x, y: y + 5, "text-anchor": "middle" }, label),
        isCurrent ? svg("text", { x: layout.name === "tall" ? x + BOX.width / 2 + 6 : x, y: layout.name === "tall" ? y + 4 : y + BOX.height / 2 + 15, "text-anchor": layout.name === "tall" ? "start" : "middle", class: "now" }, "now") : undefined,
      );
    }),
  );
}
