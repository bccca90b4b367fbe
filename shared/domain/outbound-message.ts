/**
 * A message for people about a job: a notice or a change of state (see `messages.ts`, which builds
 * them). A shape of its own, importing nothing, so the job can hold the messages it still owes (its
 * outbox) without the job and the messages importing each other.
 */
export interface OutboundMessage {
  id: string;
  type: "notice" | "stateChanged";
  audience: "customer" | "operators";
  kind: string;
  message: string;
  at: string;
  job: { subscriptionId: string; resourceGroup: string; name: string };
  /** The customer's contact, from the job's return address. */
  contactEmail?: string;
  driveId?: string;
  from?: string | null;
  to?: string;
}
