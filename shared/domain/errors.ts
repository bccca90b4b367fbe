/**
 * Typed errors for the whole service. Each carries a stable `code`, the HTTP status it maps to and a
 * message that is safe to show to a caller; `errorResponse` (shared/api/arm-http.ts) turns them into
 * the ARM error shape in exactly one place. Modelled on Azurite's error factory: one static method
 * per error.
 */

export interface ErrorDetail {
  code: string;
  target?: string;
  message: string;
}

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export class ErrorFactory {
  static missingApiVersion(supported: readonly string[]): ServiceError {
    return new ServiceError(
      400,
      "MissingApiVersionParameter",
      `The api-version query parameter (?api-version=) is required for all requests. Supported api-versions are '${supported.join(", ")}'.`,
      "api-version",
    );
  }

  static invalidApiVersion(given: string, supported: readonly string[]): ServiceError {
    return new ServiceError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${given}' is invalid. The supported versions are '${supported.join(", ")}'.`,
      "api-version",
    );
  }

  static invalidRequestContent(message: string): ServiceError {
    return new ServiceError(400, "InvalidRequestContent", message);
  }

  static unsupportedMediaType(contentType: string): ServiceError {
    return new ServiceError(
      415,
      "UnsupportedMediaType",
      `The content type '${contentType}' is not supported. Send the request body as 'application/json'.`,
    );
  }

  static requestTooLarge(limitBytes: number): ServiceError {
    return new ServiceError(
      413,
      "RequestEntityTooLarge",
      `The request body is larger than the limit of ${limitBytes} bytes.`,
    );
  }

  static validation(details: ErrorDetail[]): ServiceError {
    const summary = details.length === 1 ? details[0].message : `${details.length} properties are invalid.`;
    return new ServiceError(400, "InvalidRequestContent", `The request is invalid: ${summary}`, undefined, details);
  }

  static invalidParameter(code: string, target: string, message: string): ServiceError {
    return new ServiceError(400, code, message, target);
  }

  static jobNotFound(resourceGroup: string, jobName: string): ServiceError {
    return new ServiceError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.ImportExport/jobs/${jobName}' under resource group '${resourceGroup}' was not found.`,
    );
  }

  static arrivalNotFound(arrivalId: string): ServiceError {
    return new ServiceError(404, "ResourceNotFound", `No arrival '${arrivalId}' is recorded.`);
  }

  static locationNotFound(location: string): ServiceError {
    return new ServiceError(404, "ResourceNotFound", `The location '${location}' is not an Import/Export location.`);
  }

  static routeNotFound(path: string): ServiceError {
    return new ServiceError(404, "NotFound", `No operation is served at '${path}'.`);
  }

  static methodNotAllowed(method: string, allowed: string[]): ServiceError {
    return new ServiceError(
      405,
      "MethodNotAllowed",
      `The method '${method}' is not allowed here. Allowed: ${allowed.join(", ")}.`,
      undefined,
      undefined,
      { Allow: allowed.join(", ") },
    );
  }

  static conflict(code: string, message: string, target?: string): ServiceError {
    return new ServiceError(409, code, message, target);
  }

  static badRequest(code: string, message: string, target?: string): ServiceError {
    return new ServiceError(400, code, message, target);
  }

  static concurrencyConflict(): ServiceError {
    return new ServiceError(
      409,
      "ConcurrentUpdateConflict",
      "The job was changed by another request at the same time. Read it again and retry.",
    );
  }

  /** A request's If-Match or If-None-Match does not hold for the job as it is now (RFC 9110 §13.2). */
  static preconditionFailed(header: "If-Match" | "If-None-Match", message: string): ServiceError {
    return new ServiceError(412, "PreconditionFailed", message, header);
  }

  static invalidHeaderValue(header: string, message: string): ServiceError {
    return new ServiceError(400, "InvalidHeaderValue", message, header);
  }

  static storageUnavailable(): ServiceError {
    return new ServiceError(
      503,
      "ServiceUnavailable",
      "The service's storage is temporarily unavailable. Retry after a short wait.",
      undefined,
      undefined,
      { "Retry-After": "5" },
    );
  }

  /** A subscription's bucket of reads or writes is empty (ARM's own code and message for it). */
  static subscriptionThrottled(kind: "read" | "write", subscriptionId: string, retryAfterSeconds: number): ServiceError {
    return new ServiceError(
      429,
      "SubscriptionRequestsThrottled",
      `Number of '${kind}' requests for subscription '${subscriptionId}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available.`,
      undefined,
      undefined,
      { "Retry-After": String(retryAfterSeconds) },
    );
  }

  static tooManyLists(subscriptionId: string, limit: number): ServiceError {
    return new ServiceError(
      429,
      "TooManyRequests",
      `Subscription '${subscriptionId}' already has ${limit} list request(s) running. Retry once one has been answered.`,
      undefined,
      undefined,
      { "Retry-After": "1" },
    );
  }

  static internal(requestId: string): ServiceError {
    return new ServiceError(
      500,
      "InternalServerError",
      `Something went wrong on our side. Quote request id '${requestId}' when you report it.`,
    );
  }
}
