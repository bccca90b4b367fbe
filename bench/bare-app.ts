/** The cold-start baseline: a bare @azure/functions app with one HTTP function. */
import { app } from "@azure/functions";

app.http("hello", { handler: async () => ({ body: "hello" }) });
