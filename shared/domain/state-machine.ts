/**
 * The machinery both life cycles share: a table of named transitions, each allowed from some states
 * and leading to one state, or (`resume`) back to where a faulted subject was. The job and drive
 * modules each own one table; this module only reads it, so the rules stay in those tables.
 */
import { ErrorFactory, ServiceError } from "./errors";

export interface TransitionRule<S extends string> {
  from: readonly S[];
  /** `resume` returns a faulted subject to the state it left, or to one that state could reach. */
  to: S | "resume";
}

export interface StateMachineDescription {
  /** Error code for a transition the table does not allow, e.g. `InvalidJobStateTransition`. */
  invalidTransitionCode: string;
  /** Error code for a fault that cannot be cleared as asked, e.g. `InvalidJobState`. */
  invalidResumeCode: string;
  /** "job" / "drive". */
  noun: string;
  /**
   * States a cleared fault may not jump to unless the subject was in them before the fault: they
   * need the event that normally leads there (a drive starts copying only with TransferStarted; a
   * job that faulted can't end Completed).
   */
  resumeExcludes?: readonly string[];
  /** "a job" / "drive 'D1'": how messages name the subject. */
  subject(id?: string): string;
}

export class StateMachine<S extends string, T extends string> {
  constructor(
    readonly transitions: Readonly<Record<T, TransitionRule<S>>>,
    private readonly faultState: S,
    private readonly description: StateMachineDescription,
  ) {}

  can(from: S, transition: T): boolean {
    return this.transitions[transition].from.includes(from);
  }

  allowed(from: S): T[] {
    return (Object.keys(this.transitions) as T[]).filter((transition) => this.can(from, transition));
  }

  /**
   * The state `transition` leads to from `from`, or a 409 naming the state and what it allows.
   * Resuming needs the state before the fault; `returnTo`, when given, must be that state or one it
   * could legally move on to.
   */
  apply(from: S, transition: T, options: { id?: string; stateBeforeFault?: S; returnTo?: S } = {}): S {
    if (!this.can(from, transition)) throw this.invalidTransition(from, transition, options.id);
    const to = this.transitions[transition].to;
    if (to !== "resume") return to;
    const before = options.stateBeforeFault;
    if (!before || before === this.faultState) {
      throw ErrorFactory.conflict(
        this.description.invalidResumeCode,
        `${capitalize(this.description.subject(options.id))} has no recorded state to resume after its fault.`,
        options.id,
      );
    }
    if (options.returnTo === undefined || options.returnTo === before) return before;
    const reachable = this.reachableFrom(before);
    if (!reachable.includes(options.returnTo)) {
      throw ErrorFactory.conflict(
        this.description.invalidResumeCode,
        `${capitalize(this.description.subject(options.id))} faulted in '${before}' and can return only to ${[before, ...reachable].map((s) => `'${s}'`).join(", ")}, not '${options.returnTo}'.`,
        options.id,
      );
    }
    return options.returnTo;
  }

  private invalidTransition(from: S, transition: T, id?: string): ServiceError {
    const allowed = this.allowed(from);
    const subject = this.description.subject(id);
    return ErrorFactory.conflict(
      this.description.invalidTransitionCode,
      `'${transition}' is not allowed for ${subject} in state '${from}'. ` +
        (allowed.length ? `Allowed in '${from}': ${allowed.join(", ")}.` : `Nothing more can happen to a '${from}' ${this.description.noun}.`),
      id,
    );
  }

  /** The states one ordinary transition leads to from `state` (not the fault itself). */
  private reachableFrom(state: S): S[] {
    const excluded = this.description.resumeExcludes ?? [];
    return [...new Set(this.allowed(state).map((transition) => this.transitions[transition].to))].filter(
      (to): to is S => to !== "resume" && to !== this.faultState && !excluded.includes(to),
    );
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
