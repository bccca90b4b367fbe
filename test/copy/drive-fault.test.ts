/**
 * How a copy that lost its claim ends when the service cannot say who holds the drive now: still
 * `Refused` (the refusal stands), and the failed lookup is logged with its cause, not swallowed
 * (issue 22 §1: every caught failure logged with its cause; regression: `.catch(() => undefined)`).
 */
import { CopyHalted } from "../../shared/datacenter-agent/agent-claim";
import { endFailedCopy } from "../../shared/datacenter-agent/drive-fault";
import { OperatorApiError, OperatorClient, OperatorJob } from "../../shared/datacenter-agent/operator-client";
import { recordingLogger } from "../support/logs";

test("a claim lost mid-copy whose holder can't be read: Refused without a holder, the lookup's failure logged with its cause", async () => {
  const { log, records } = recordingLogger();
  const lookupFailure = new OperatorApiError(503, "StorageUnavailable", "The service's storage is temporarily unavailable.");
  const operator = { getJob: () => Promise.reject(lookupFailure) } as unknown as OperatorClient;
  const refusal = new OperatorApiError(409, "DriveNotClaimed", "Drive D1 is not claimed by agent 'vm/1-a'.");
  const job = { subscriptionId: "sub", resourceGroup: "rg", jobName: "job" };

  const result = await endFailedCopy({ job, operator, drivePath: "/nowhere", log }, {} as OperatorJob, "D1", new CopyHalted(refusal));

  expect(result).toEqual({ outcome: "Refused", reason: refusal.message, claim: undefined });
  const warned = records.find((record) => record.level === "warn");
  expect(warned).toMatchObject({ driveId: "D1", error: { name: "OperatorApiError", code: "StorageUnavailable", status: 503 } });
  expect(warned?.message).toContain("D1");
});
