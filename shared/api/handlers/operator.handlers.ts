/**
 * Handlers of the operator API (data-center staff). Same pipeline and error shape as the ARM API,
 * without api-version: it is this service's own surface, not ARM's.
 */
import { JobKey } from "../../domain/job";
import { armHandler, ArmRequest } from "../arm-http";
import { arrivalBody, arrivalEventBody, arrivalsQuery, attachArrivalBody, attachArrivalParams, claimBody, driveParams, historyQuery, operatorEventBody, operatorJobsQuery } from "../operator-schemas";
import { toArrivalResponse, toOperatorJobResponse } from "../responses";
import { checkSkipToken, jobKeyOf, jobsSkipToken, pageBody, pageLimits, parseJobsSkipToken } from "./jobs.handlers";

const OPERATOR = { apiVersion: false, audience: "operator" as const };

function operatorActor(request: ArmRequest) {
  return { ...request.actor, role: "operator" as const };
}

export const postJobEvent = armHandler(async (request) => {
  const key = jobKeyOf(request);
  const event = await request.body(operatorEventBody);
  const result = await request.services.operator.recordEvent(key, event, operatorActor(request));
  if (!result.job) return { status: 202, body: { arrival: toArrivalResponse(result.arrival!) } };
  return { status: 200, body: toOperatorJobResponse(result.job, await request.services.blobUrls([result.job]), result.stopTransfer) };
}, OPERATOR);

export const getOperatorJob = armHandler(async (request) => {
  const job = await request.services.operator.get(jobKeyOf(request));
  return { status: 200, body: toOperatorJobResponse(job, await request.services.blobUrls([job])) };
}, OPERATOR);

/** A drive's BitLocker key, for the copy agent unlocking it (a POST, like listBitLockerKeys: never cached). */
export const getDriveKey = armHandler(async (request) => {
  const { driveId } = request.params(driveParams);
  return { status: 200, body: await request.services.operator.driveKey(jobKeyOf(request), driveId) };
}, OPERATOR);

/** The copy agent's re-check of the job's storage account, before it touches the account. */
export const checkLinkedAccess = armHandler(async (request) => {
  return { status: 200, body: await request.services.operator.checkLinkedAccess(jobKeyOf(request)) };
}, OPERATOR);

/** A copy agent claims a drive before it touches it; 409 DriveClaimed names the holder and the expiry. */
export const claimDrive = armHandler(async (request) => {
  const { driveId } = request.params(driveParams);
  const body = await request.body(claimBody);
  const { job, claim } = await request.services.operator.claimDrive(jobKeyOf(request), driveId, { agentId: body.agentId, leaseMs: body.leaseDuration.ms, replaces: body.replaces });
  const drive = job.drives.find((candidate) => candidate.claim === claim)!;
  return { status: 200, body: { driveId: drive.driveId, agentId: claim.agentId, claimedAt: claim.claimedAt, expiresAt: claim.expiresAt, leaseDuration: body.leaseDuration.text } };
}, OPERATOR);

/** An operator breaks a drive's claim: its agent stops at its next report, and another may claim the drive. */
export const breakDriveClaim = armHandler(async (request) => {
  const { driveId } = request.params(driveParams);
  const job = await request.services.operator.breakDriveClaim(jobKeyOf(request), driveId);
  return { status: 200, body: toOperatorJobResponse(job, await request.services.blobUrls([job])) };
}, OPERATOR);

export const getJobHistory = armHandler(async (request) => {
  const query = request.query(historyQuery);
  const page = await request.services.operator.history(jobKeyOf(request), query.$skiptoken ?? 0, query.$top ?? 1000);
  return { status: 200, body: pageBody(page.entries, request.publicUrl, page.next?.toString()) };
}, OPERATOR);

export const listOperatorJobs = armHandler(async (request) => {
  const query = request.query(operatorJobsQuery);
  const from = query.$skiptoken !== undefined ? parseJobsSkipToken(query.$skiptoken) : undefined;
  const view = query.view ?? (query.state ? undefined : "attention");
  const page = await request.services.operator.listJobs({ view, states: query.state }, pageLimits(request, query.$top), from);
  const sign = await request.services.blobUrls(page.jobs);
  return { status: 200, body: pageBody(page.jobs.map((job) => toOperatorJobResponse(job, sign)), request.publicUrl, page.next && jobsSkipToken(page.next)) };
}, OPERATOR);

export const listArrivals = armHandler(async (request) => {
  const query = request.query(arrivalsQuery);
  const token = query.$skiptoken !== undefined ? checkSkipToken(query.$skiptoken) : undefined;
  const page = await request.services.operator.listArrivals(query.status, query.$top ?? 100, token);
  return { status: 200, body: pageBody(page.arrivals.map(toArrivalResponse), request.publicUrl, page.continuationToken) };
}, OPERATOR);

export const recordArrival = armHandler(async (request) => {
  const body = await request.body(arrivalBody);
  const jobKey: JobKey | undefined =
    body.subscriptionId && body.resourceGroupName && body.jobName
      ? { subscriptionId: body.subscriptionId, resourceGroup: body.resourceGroupName, name: body.jobName }
      : undefined;
  const result = await request.services.operator.receivePackage(
    { carrierName: body.carrierName, trackingNumber: body.trackingNumber, driveIds: body.driveIds, jobKey },
    operatorActor(request),
  );
  if (result.job) return { status: 200, body: toOperatorJobResponse(result.job, await request.services.blobUrls([result.job])) };
  return { status: 201, body: toArrivalResponse(result.arrival!) };
}, OPERATOR);

export const postArrivalEvent = armHandler(async (request) => {
  const { arrivalId } = request.params(attachArrivalParams);
  const event = await request.body(arrivalEventBody);
  const arrival = await request.services.operator.recordArrivalEvent(arrivalId, event, operatorActor(request));
  return { status: 200, body: toArrivalResponse(arrival) };
}, OPERATOR);

export const attachArrival = armHandler(async (request) => {
  const { arrivalId } = request.params(attachArrivalParams);
  const body = await request.body(attachArrivalBody);
  const key = { subscriptionId: body.subscriptionId, resourceGroup: body.resourceGroupName, name: body.jobName };
  const result = await request.services.operator.attachArrival(arrivalId, key, operatorActor(request));
  return { status: 200, body: toOperatorJobResponse(result.job!, await request.services.blobUrls([result.job!])) };
}, OPERATOR);
