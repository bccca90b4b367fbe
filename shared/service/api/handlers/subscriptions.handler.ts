/**
 * ARM's subscription lifecycle notification, as the ARM RPC defines it: ARM tells the provider a
 * subscription's state and tenant. Only ARM (a caller with the operator role) may send it; the
 * answer is 200 with the request as sent, as the RPC asks.
 */
import { armHandler } from "../arm-http";
import { SUBSCRIPTION_LIFECYCLE_API_VERSIONS, subscriptionNotificationBody, subscriptionParams, toSubscriptionNotification } from "../schemas";

export const subscriptionNotification = armHandler(
  async (request) => {
    const { subscriptionId } = request.params(subscriptionParams);
    const body = await request.body(subscriptionNotificationBody);
    await request.services.subscriptions.notify(subscriptionId, toSubscriptionNotification(body));
    return { status: 200, body };
  },
  { audience: "operator", apiVersions: SUBSCRIPTION_LIFECYCLE_API_VERSIONS },
);
