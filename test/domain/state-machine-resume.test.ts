/**
 * Resuming after a fault (`clearFault` with an optional `returnTo`), for the generic StateMachine and
 * the job and drive machines built on it: `returnTo` must be the state before the fault or a state
 * one ordinary transition leads to from it, never the fault state itself.
 */
import { DRIVE_STATES, DriveState, transitionDrive } from "../../shared/domain/drive-state-machine";
import { JOB_STATES, JobState, transitionJob } from "../../shared/domain/job-state-machine";
import { StateMachine } from "../../shared/domain/state-machine";
import { thrown } from "../support/fixtures";

/**
 * Hand-written: for each state a job can fault in, where clearing the fault may take it. Never
 * Completed (a job that faulted ends Closed) nor Transferring (a drive must start copying) unless
 * the job was already there.
 */
const JOB_RETURNS: Partial<Record<JobState, JobState[]>> = {
  Shipping: ["Shipping", "Received", "Closed"],
  Received: ["Received", "Packaging"],
  Transferring: ["Transferring", "Packaging", "Closed"],
  Packaging: ["Packaging", "Closed"],
};

/** Hand-written: the same for drives; never Transferring without TransferStarted. */
const DRIVE_RETURNS: Partial<Record<DriveState, DriveState[]>> = {
  Received: ["Received", "ShippedBack"],
  Transferring: ["Transferring", "Completed", "CompletedMoreInfo"],
};

describe("job machine: clearFault with returnTo", () => {
  const cases = (Object.keys(JOB_RETURNS) as JobState[]).flatMap((before) => JOB_STATES.map((returnTo) => [before, returnTo] as [JobState, JobState]));
  const allowed = cases.filter(([before, returnTo]) => JOB_RETURNS[before]!.includes(returnTo));
  const refused = cases.filter(([before, returnTo]) => !JOB_RETURNS[before]!.includes(returnTo));

  test("the faultable states are exactly those listed", () => {
    const faultable = JOB_STATES.filter((state) => {
      try {
        return transitionJob(state, "fault") === "Faulted";
      } catch {
        return false;
      }
    });
    expect(faultable).toEqual(Object.keys(JOB_RETURNS));
    expect([allowed.length, refused.length]).toEqual([10, 22]);
  });

  test.each(allowed)("faulted in %s may return to %s", (before, returnTo) => {
    expect(transitionJob("Faulted", "clearFault", before, returnTo)).toBe(returnTo);
  });

  test.each(refused)("faulted in %s may not return to %s (409 InvalidJobState)", (before, returnTo) => {
    const error = thrown(() => transitionJob("Faulted", "clearFault", before, returnTo));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidJobState");
    expect(error.target).toBeUndefined();
    const options = JOB_RETURNS[before]!.map((state) => `'${state}'`).join(", ");
    expect(error.message).toBe(`A job faulted in '${before}' and can return only to ${options}, not '${returnTo}'.`);
  });

  test.each(Object.keys(JOB_RETURNS).map((state) => [state as JobState]))("without returnTo a job faulted in %s returns there", (before) => {
    expect(transitionJob("Faulted", "clearFault", before)).toBe(before);
  });

  test("only one step ahead: Received cannot skip to Completed or Closed", () => {
    expect(thrown(() => transitionJob("Faulted", "clearFault", "Received", "Completed")).code).toBe("InvalidJobState");
    expect(thrown(() => transitionJob("Faulted", "clearFault", "Received", "Closed")).code).toBe("InvalidJobState");
  });

  test("returnTo does not help without a recorded state before the fault", () => {
    const error = thrown(() => transitionJob("Faulted", "clearFault", undefined, "Received"));
    expect(error.code).toBe("InvalidJobState");
    expect(error.message).toBe("A job has no recorded state to resume after its fault.");
  });

  test("returnTo on a job that is not Faulted is the ordinary 409 InvalidJobStateTransition", () => {
    const error = thrown(() => transitionJob("Transferring", "clearFault", "Transferring", "Packaging"));
    expect(error.code).toBe("InvalidJobStateTransition");
    expect(error.message).toContain("'clearFault' is not allowed for a job in state 'Transferring'");
  });
});

describe("drive machine: clearFault with returnTo", () => {
  const cases = (Object.keys(DRIVE_RETURNS) as DriveState[]).flatMap((before) =>
    DRIVE_STATES.map((returnTo) => [before, returnTo] as [DriveState, DriveState]),
  );
  const allowed = cases.filter(([before, returnTo]) => DRIVE_RETURNS[before]!.includes(returnTo));
  const refused = cases.filter(([before, returnTo]) => !DRIVE_RETURNS[before]!.includes(returnTo));

  test("the faultable states are exactly those listed", () => {
    const faultable = DRIVE_STATES.filter((state) => {
      try {
        return transitionDrive("D1", state, "fault") === "Faulted";
      } catch {
        return false;
      }
    });
    expect(faultable).toEqual(Object.keys(DRIVE_RETURNS));
    expect([allowed.length, refused.length]).toEqual([5, 13]);
  });

  test.each(allowed)("faulted in %s may return to %s", (before, returnTo) => {
    expect(transitionDrive("D1", "Faulted", "clearFault", before, returnTo)).toBe(returnTo);
  });

  test.each(refused)("faulted in %s may not return to %s (409 InvalidDriveState, target the drive)", (before, returnTo) => {
    const error = thrown(() => transitionDrive("DRV-7", "Faulted", "clearFault", before, returnTo));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveState");
    expect(error.target).toBe("DRV-7");
    const options = DRIVE_RETURNS[before]!.map((state) => `'${state}'`).join(", ");
    expect(error.message).toBe(`Drive 'DRV-7' faulted in '${before}' and can return only to ${options}, not '${returnTo}'.`);
  });

  test("faulted while Transferring: CompletedMoreInfo allowed, ShippedBack refused", () => {
    expect(transitionDrive("D1", "Faulted", "clearFault", "Transferring", "CompletedMoreInfo")).toBe("CompletedMoreInfo");
    expect(thrown(() => transitionDrive("D1", "Faulted", "clearFault", "Transferring", "ShippedBack")).code).toBe("InvalidDriveState");
  });

  test("returnTo does not help without a recorded state before the fault", () => {
    const error = thrown(() => transitionDrive("D1", "Faulted", "clearFault", undefined, "Received"));
    expect(error.code).toBe("InvalidDriveState");
    expect(error.target).toBe("D1");
    expect(error.message).toBe("Drive 'D1' has no recorded state to resume after its fault.");
  });
});

describe("the generic StateMachine", () => {
  type S = "A" | "B" | "C" | "F";
  type T = "toB" | "toC" | "back" | "fail" | "recover";
  const machine = new StateMachine<S, T>(
    {
      toB: { from: ["A"], to: "B" },
      toC: { from: ["B"], to: "C" },
      back: { from: ["B"], to: "A" },
      fail: { from: ["A", "B"], to: "F" },
      recover: { from: ["F"], to: "resume" },
    },
    "F",
    { invalidTransitionCode: "BadMove", invalidResumeCode: "BadResume", noun: "widget", subject: (id) => (id ? `widget '${id}'` : "a widget") },
  );

  test("resumes the state before the fault, or the same state named explicitly", () => {
    expect(machine.apply("F", "recover", { stateBeforeFault: "B" })).toBe("B");
    expect(machine.apply("F", "recover", { stateBeforeFault: "B", returnTo: "B" })).toBe("B");
  });

  test("returnTo may be any state one transition leads to, including a step back", () => {
    expect(machine.apply("F", "recover", { stateBeforeFault: "B", returnTo: "C" })).toBe("C");
    expect(machine.apply("F", "recover", { stateBeforeFault: "B", returnTo: "A" })).toBe("A");
  });

  test("two steps ahead is refused, listing the states in transition-table order", () => {
    const error = thrown(() => machine.apply("F", "recover", { id: "w1", stateBeforeFault: "A", returnTo: "C" }));
    expect(error.status).toBe(409);
    expect(error.code).toBe("BadResume");
    expect(error.target).toBe("w1");
    expect(error.message).toBe("Widget 'w1' faulted in 'A' and can return only to 'A', 'B', not 'C'.");
  });

  test("the fault state is never a state to return to", () => {
    const error = thrown(() => machine.apply("F", "recover", { stateBeforeFault: "A", returnTo: "F" }));
    expect(error.code).toBe("BadResume");
    expect(error.message).toBe("A widget faulted in 'A' and can return only to 'A', 'B', not 'F'.");
  });

  test("a fault state recorded as the state before the fault cannot be resumed", () => {
    const error = thrown(() => machine.apply("F", "recover", { stateBeforeFault: "F", returnTo: "A" }));
    expect(error.code).toBe("BadResume");
    expect(error.message).toBe("A widget has no recorded state to resume after its fault.");
  });

  test("resume is checked only after the transition itself is allowed", () => {
    const error = thrown(() => machine.apply("A", "recover", { stateBeforeFault: "A", returnTo: "B" }));
    expect(error.code).toBe("BadMove");
    expect(error.message).toBe("'recover' is not allowed for a widget in state 'A'. Allowed in 'A': toB, fail.");
  });

  test("a state with nothing left to do says so", () => {
    const error = thrown(() => machine.apply("C", "toB"));
    expect(error.code).toBe("BadMove");
    expect(error.message).toBe("'toB' is not allowed for a widget in state 'C'. Nothing more can happen to a 'C' widget.");
  });
});
