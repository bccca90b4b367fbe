/** Loads the data-center catalog from the JSON file operators edit (`data/locations.json` by default). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { projectRoot } from "../config/project-root";
import { DataCenterLocation, LocationCatalog } from "../domain/locations";

const locationSchema = z.object({
  id: z.string().regex(/^[a-z0-9]{2,64}$/, "must be a lowercase ARM location name such as 'westus'"),
  name: z.string().min(1).max(128),
  recipientName: z.string().min(1),
  streetAddress1: z.string().min(1),
  streetAddress2: z.string().optional(),
  city: z.string().min(1),
  stateOrProvince: z.string().optional(),
  postalCode: z.string().min(1),
  countryOrRegion: z.string().min(1),
  phone: z.string().min(1),
  additionalShippingInformation: z.string().optional(),
  supportedCarriers: z.array(z.string().min(1)).min(1),
  alternateLocations: z.array(z.string()).default([]),
});

const fileSchema = z.object({ locations: z.array(locationSchema).min(1) });

export function loadLocationCatalog(file?: string): LocationCatalog {
  const resolved = path.resolve(projectRoot(), file ?? "data/locations.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolved, "utf8"));
  } catch (error) {
    throw new Error(`LOCATIONS_FILE: cannot read '${resolved}': ${(error as Error).message}`, { cause: error });
  }
  const result = fileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ");
    throw new Error(`LOCATIONS_FILE: '${resolved}' is invalid: ${problems}`);
  }
  return new LocationCatalog(result.data.locations as DataCenterLocation[]);
}
