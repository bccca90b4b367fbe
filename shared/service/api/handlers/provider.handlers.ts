/** Handlers of the provider-level operations: locations and the operation list. */
import { ErrorFactory } from "../../../domain/errors";
import { armHandler } from "../arm-http";
import { PROVIDER_OPERATIONS, toLocationResponse } from "../responses";
import { locationParams } from "../schemas";

export const listLocations = armHandler(async (request) => ({
  status: 200,
  body: { value: request.services.locations.locations.map(toLocationResponse) },
}));

export const getLocation = armHandler(async (request) => {
  const { locationName } = request.params(locationParams);
  const location = request.services.locations.find(locationName);
  if (!location) throw ErrorFactory.locationNotFound(locationName);
  return { status: 200, body: toLocationResponse(location) };
});

export const listOperations = armHandler(async () => ({ status: 200, body: { value: PROVIDER_OPERATIONS } }));
