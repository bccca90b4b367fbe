/**
 * The job transition table, checked against an expectation written out by hand: every allowed
 * transition reaches the state written here, and every other (state, transition) pair is a 409.
 */
import {
  JOB_STATES,
  JOB_TRANSITIONS,
  JobState,
  JobTransition,
  transitionJob,
} from "../../shared/domain/job-state-machine";
import { thrown } from "../support/fixtures";

/** Hand-written: "transition from" -> resulting state ("resume" for clearing a fault). */
const EXPECTED: Record<string, JobState | "resume"> = {
  "markShipping from Creating": "Shipping",
  "cancelBeforeShipping from Creating": "Completed",
  "receivePackage from Shipping": "Received",
  "startTransfer from Received": "Transferring",
  "beginPackaging from Received": "Packaging",
  "beginPackaging from Transferring": "Packaging",
  "complete from Packaging": "Completed",
  "close from Shipping": "Closed",
  "close from Transferring": "Closed",
  "close from Packaging": "Closed",
  "fault from Shipping": "Faulted",
  "fault from Received": "Faulted",
  "fault from Transferring": "Faulted",
  "fault from Packaging": "Faulted",
  "clearFault from Faulted": "resume",
};

/** Hand-written: what each state allows, in table order. */
const EXPECTED_ALLOWED: Record<JobState, JobTransition[]> = {
  Creating: ["markShipping", "cancelBeforeShipping"],
  Shipping: ["receivePackage", "close", "fault"],
  Received: ["startTransfer", "beginPackaging", "fault"],
  Transferring: ["beginPackaging", "close", "fault"],
  Packaging: ["complete", "close", "fault"],
  Completed: [],
  Closed: [],
  Faulted: ["clearFault"],
};

const TRANSITIONS = Object.keys(JOB_TRANSITIONS) as JobTransition[];

const allowedCases: [string, JobTransition, JobState][] = TRANSITIONS.flatMap((name) =>
  (JOB_TRANSITIONS[name].from as readonly JobState[]).map((from): [string, JobTransition, JobState] => [`${name} from ${from}`, name, from]),
);

const forbiddenCases: [JobState, JobTransition][] = JOB_STATES.flatMap((from) =>
  TRANSITIONS.filter((name) => !(JOB_TRANSITIONS[name].from as readonly JobState[]).includes(from)).map(
    (name): [JobState, JobTransition] => [from, name],
  ),
);

describe("JOB_TRANSITIONS table", () => {
  test("allows exactly the hand-written transitions, no more and no fewer", () => {
    expect(allowedCases.map(([label]) => label).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(allowedCases.filter(([, name]) => name !== "clearFault"))("%s", (label, name, from) => {
    const expected = EXPECTED[label];
    expect(expected).toBeDefined();
    expect(transitionJob(from, name)).toBe(expected);
  });

  test("the terminal states allow nothing", () => {
    for (const terminal of ["Completed", "Closed"]) expect(forbiddenCases.filter(([from]) => from === terminal)).toHaveLength(TRANSITIONS.length);
  });

});

describe("clearFault", () => {
  test.each([["Shipping"], ["Received"], ["Transferring"], ["Packaging"]] as [JobState][])(
    "returns a job faulted in %s to %s",
    (before) => {
      // Reach Faulted through the table, then clear it.
      const faulted = transitionJob(before, "fault");
      expect(faulted).toBe("Faulted");
      expect(transitionJob(faulted, "clearFault", before)).toBe(before);
    },
  );

  test("without a recorded state before the fault is a 409 InvalidJobState", () => {
    const error = thrown(() => transitionJob("Faulted", "clearFault"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobState");
  });

  test("refuses 'Faulted' as the state to resume", () => {
    const error = thrown(() => transitionJob("Faulted", "clearFault", "Faulted"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobState");
  });

  test("is not allowed from any state but Faulted, even with a state to resume", () => {
    const error = thrown(() => transitionJob("Transferring", "clearFault", "Received"));
    expect(error.code).toBe("InvalidJobStateTransition");
  });
});

describe("forbidden transitions", () => {
  test("the forbidden list is the complement of the allowed one", () => {
    expect(forbiddenCases.length + allowedCases.length).toBe(JOB_STATES.length * TRANSITIONS.length);
    expect(forbiddenCases).toContainEqual(["Creating", "receivePackage"]);
    expect(forbiddenCases).toContainEqual(["Closed", "fault"]);
  });

  test.each(forbiddenCases)("%s -> %s is a 409 InvalidJobStateTransition", (from, name) => {
    const error = thrown(() => transitionJob(from, name, "Shipping"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(error.message).toContain(`'${name}'`);
    expect(error.message).toContain(`state '${from}'`);
    const allowed = EXPECTED_ALLOWED[from];
    if (allowed.length) {
      expect(error.message).toContain(`Allowed in '${from}': ${allowed.join(", ")}.`);
    } else {
      expect(error.message).toContain(`Nothing more can happen to a '${from}' job.`);
    }
  });

  test("Creating -> receivePackage names Creating and what it allows", () => {
    const error = thrown(() => transitionJob("Creating", "receivePackage"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(error.message).toBe(
      "'receivePackage' is not allowed for a job in state 'Creating'. Allowed in 'Creating': markShipping, cancelBeforeShipping.",
    );
  });

  test.each(TRANSITIONS.map((name) => [name]))("Completed -> %s is refused", (name) => {
    const error = thrown(() => transitionJob("Completed", name, "Packaging"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(error.message).toContain("Nothing more can happen to a 'Completed' job.");
  });

  test("Closed -> fault is refused", () => {
    const error = thrown(() => transitionJob("Closed", "fault"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(error.message).toBe("'fault' is not allowed for a job in state 'Closed'. Nothing more can happen to a 'Closed' job.");
  });

  test("Faulted -> fault is refused (a fault cannot be stacked)", () => {
    const error = thrown(() => transitionJob("Faulted", "fault"));
    expect(error.message).toContain("Allowed in 'Faulted': clearFault.");
  });
});
