/**
 * The data centers drives ship to. A job's `location` must name one of them, by its ARM name
 * (`westus`) or display name (`West US`), ignoring case and spaces; its address becomes the job's
 * `shippingInformation`.
 */
import { normalizeLocation, ShippingInformation } from "./job";

export interface DataCenterLocation {
  id: string;
  name: string;
  recipientName: string;
  streetAddress1: string;
  streetAddress2?: string;
  city: string;
  stateOrProvince?: string;
  postalCode: string;
  countryOrRegion: string;
  phone: string;
  additionalShippingInformation?: string;
  supportedCarriers: string[];
  alternateLocations: string[];
}

export class LocationCatalog {
  private readonly byKey = new Map<string, DataCenterLocation>();

  constructor(readonly locations: readonly DataCenterLocation[]) {
    for (const location of locations) {
      this.byKey.set(normalizeLocation(location.id), location);
      this.byKey.set(normalizeLocation(location.name), location);
    }
  }

  find(nameOrId: string): DataCenterLocation | undefined {
    return this.byKey.get(normalizeLocation(nameOrId));
  }
}

export function shippingInformationOf(location: DataCenterLocation): ShippingInformation {
  return {
    recipientName: location.recipientName,
    streetAddress1: location.streetAddress1,
    streetAddress2: location.streetAddress2 ?? "",
    city: location.city,
    stateOrProvince: location.stateOrProvince,
    postalCode: location.postalCode,
    countryOrRegion: location.countryOrRegion,
    phone: location.phone,
    additionalInformation: location.additionalShippingInformation ?? "",
  };
}
