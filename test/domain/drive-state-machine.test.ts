/**
 * The drive transition table, checked against an expectation written out by hand.
 */
import {
  DRIVE_STATES,
  DRIVE_TRANSITIONS,
  DriveState,
  DriveTransition,
  FINISHED_DRIVE_STATES,
  transitionDrive,
} from "../../shared/domain/drive-state-machine";
import { thrown } from "../support/fixtures";

const EXPECTED: Record<string, DriveState | "resume"> = {
  "receive from Specified": "Received",
  "receive from NeverReceived": "Received",
  "markNeverReceived from Specified": "NeverReceived",
  "startTransfer from Received": "Transferring",
  "complete from Transferring": "Completed",
  "completeWithInfo from Transferring": "CompletedMoreInfo",
  "shipBack from Received": "ShippedBack",
  "shipBack from Completed": "ShippedBack",
  "shipBack from CompletedMoreInfo": "ShippedBack",
  "fault from Received": "Faulted",
  "fault from Transferring": "Faulted",
  "clearFault from Faulted": "resume",
  "destroy from Received": "Destroyed",
  "destroy from Completed": "Destroyed",
  "destroy from CompletedMoreInfo": "Destroyed",
};

const EXPECTED_ALLOWED: Record<DriveState, DriveTransition[]> = {
  Specified: ["receive", "markNeverReceived"],
  Received: ["startTransfer", "shipBack", "fault", "destroy"],
  NeverReceived: ["receive"],
  Transferring: ["complete", "completeWithInfo", "fault"],
  Completed: ["shipBack", "destroy"],
  CompletedMoreInfo: ["shipBack", "destroy"],
  ShippedBack: [],
  Faulted: ["clearFault"],
  Destroyed: [],
};

const TRANSITIONS = Object.keys(DRIVE_TRANSITIONS) as DriveTransition[];

const allowedCases: [string, DriveTransition, DriveState][] = TRANSITIONS.flatMap((name) =>
  (DRIVE_TRANSITIONS[name].from as readonly DriveState[]).map(
    (from): [string, DriveTransition, DriveState] => [`${name} from ${from}`, name, from],
  ),
);

const forbiddenCases: [DriveState, DriveTransition][] = DRIVE_STATES.flatMap((from) =>
  TRANSITIONS.filter((name) => !(DRIVE_TRANSITIONS[name].from as readonly DriveState[]).includes(from)).map(
    (name): [DriveState, DriveTransition] => [from, name],
  ),
);

describe("DRIVE_TRANSITIONS table", () => {
  test("allows exactly the hand-written transitions, no more and no fewer", () => {
    expect(allowedCases.map(([label]) => label).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(allowedCases.filter(([, name]) => name !== "clearFault"))("%s", (label, name, from) => {
    const expected = EXPECTED[label];
    expect(expected).toBeDefined();
    expect(transitionDrive("D1", from, name)).toBe(expected);
  });


  test("finished drive states are the ones that need no more work", () => {
    expect([...FINISHED_DRIVE_STATES].sort()).toEqual(["Completed", "CompletedMoreInfo", "Destroyed", "NeverReceived", "ShippedBack"]);
  });

  test("a drive can go from Specified to ShippedBack along the happy path", () => {
    let state: DriveState = "Specified";
    for (const name of ["receive", "startTransfer", "completeWithInfo", "shipBack"] as DriveTransition[]) {
      state = transitionDrive("D1", state, name);
    }
    expect(state).toBe("ShippedBack");
  });
});

describe("clearFault", () => {
  test.each([["Received"], ["Transferring"]] as [DriveState][])("returns a drive faulted in %s to %s", (before) => {
    const faulted = transitionDrive("D1", before, "fault");
    expect(faulted).toBe("Faulted");
    expect(transitionDrive("D1", faulted, "clearFault", before)).toBe(before);
  });

  test("without a recorded state is a 409 InvalidDriveState naming the drive", () => {
    const error = thrown(() => transitionDrive("DRIVE-9", "Faulted", "clearFault"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveState");
    expect(error.message).toContain("'DRIVE-9'");
  });

  test("refuses 'Faulted' as the state to resume", () => {
    const error = thrown(() => transitionDrive("D1", "Faulted", "clearFault", "Faulted"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveState");
  });
});

describe("forbidden transitions", () => {
  test("the forbidden list is the complement of the allowed one", () => {
    expect(forbiddenCases.length + allowedCases.length).toBe(DRIVE_STATES.length * TRANSITIONS.length);
  });

  test.each(forbiddenCases)("%s -> %s is a 409 InvalidDriveStateTransition", (from, name) => {
    const error = thrown(() => transitionDrive("DRV-42", from, name, "Received"));
    expect(error.status).toBe(409);
    expect(error.code).toBe("InvalidDriveStateTransition");
    expect(error.target).toBe("DRV-42");
    expect(error.message).toContain(`'${name}' is not allowed for drive 'DRV-42' in state '${from}'.`);
    const allowed = EXPECTED_ALLOWED[from];
    if (allowed.length) {
      expect(error.message).toContain(`Allowed in '${from}': ${allowed.join(", ")}.`);
    } else {
      expect(error.message).toContain(`Nothing more can happen to a '${from}' drive.`);
    }
  });

  test("Specified -> startTransfer (drive not received yet) is refused with the exact message", () => {
    const error = thrown(() => transitionDrive("D1", "Specified", "startTransfer"));
    expect(error.message).toBe(
      "'startTransfer' is not allowed for drive 'D1' in state 'Specified'. Allowed in 'Specified': receive, markNeverReceived.",
    );
  });

  test("ShippedBack -> receive is refused: nothing more can happen", () => {
    const error = thrown(() => transitionDrive("D1", "ShippedBack", "receive"));
    expect(error.status).toBe(409);
    expect(error.message).toContain("Nothing more can happen to a 'ShippedBack' drive.");
  });

  test("Transferring -> shipBack is refused: a drive is not returned mid-copy", () => {
    const error = thrown(() => transitionDrive("D1", "Transferring", "shipBack"));
    expect(error.code).toBe("InvalidDriveStateTransition");
  });
});
