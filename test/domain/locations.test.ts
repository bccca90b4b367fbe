/**
 * The data-center catalog: the shipped data/locations.json, lookups by ARM name or display name, and
 * a clear start-up error for a broken file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataCenterLocation, LocationCatalog, shippingInformationOf } from "../../shared/domain/locations";
import { projectRoot } from "../../shared/config/project-root";
import { loadLocationCatalog } from "../../shared/storage/locations.file";
import { WEST_US_SHIPPING } from "../support/fixtures";

const WEST_US: DataCenterLocation = {
  id: "westus",
  name: "West US",
  ...WEST_US_SHIPPING,
  supportedCarriers: ["FedEx"],
  alternateLocations: [],
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "locations-test-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function writeTmp(name: string, content: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content, "utf8");
  return file;
}

function loadError(file: string): Error {
  try {
    loadLocationCatalog(file);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error(`expected '${file}' to be refused`);
}

describe("loadLocationCatalog with data/locations.json", () => {
  const catalog = loadLocationCatalog();

  test("loads the shipped catalog", () => {
    expect(catalog.locations.length).toBeGreaterThanOrEqual(3);
    expect(catalog.locations.map((location) => location.id)).toEqual(expect.arrayContaining(["westus", "eastus", "westus2"]));
  });

  test("the project root is the folder holding package.json", () => {
    expect(path.basename(projectRoot())).toBe(path.basename(path.resolve(__dirname, "../..")));
    expect(loadLocationCatalog("data/locations.json").locations).toHaveLength(catalog.locations.length);
  });

  test("finds a location by id", () => {
    const location = catalog.find("westus");
    expect(location?.id).toBe("westus");
    expect(location?.name).toBe("West US");
    expect(location?.city).toBe("Santa Clara");
  });

  test.each([["West US"], ["west us"], ["WESTUS"], ["  West   US "], ["wEsT uS"]])("finds westus by %j", (text) => {
    expect(catalog.find(text)?.id).toBe("westus");
  });

  test("West US 2 is not West US", () => {
    expect(catalog.find("West US 2")?.id).toBe("westus2");
    expect(catalog.find("westus2")?.name).toBe("West US 2");
  });

  test.each([["mars"], ["west"], ["westus3x"], [""], ["West-US"]])("an unknown location %j gives undefined", (text) => {
    expect(catalog.find(text)).toBeUndefined();
  });

  test("every entry is found by its own id and name, and no two entries share a key", () => {
    const keys = new Map<string, string>();
    for (const location of catalog.locations) {
      expect(catalog.find(location.id)).toBe(location);
      expect(catalog.find(location.name)).toBe(location);
      for (const key of new Set([location.id, location.name.replace(/\s+/g, "").toLowerCase()])) {
        expect([key, keys.get(key)]).toEqual([key, undefined]);
        keys.set(key, location.id);
      }
    }
  });

  test("every entry has a carrier and a phone number", () => {
    for (const location of catalog.locations) {
      expect(location.supportedCarriers.length).toBeGreaterThan(0);
      expect(location.phone).not.toBe("");
    }
  });
});

describe("LocationCatalog", () => {
  test("works on locations given in code", () => {
    const catalog = new LocationCatalog([WEST_US]);
    expect(catalog.find("West US")).toBe(WEST_US);
    expect(catalog.find("eastus")).toBeUndefined();
  });

  test("shippingInformationOf copies the address and fills empty optional lines", () => {
    expect(shippingInformationOf(WEST_US)).toEqual({
      recipientName: "Microsoft Azure Import/Export Service",
      streetAddress1: "2045 Lafayette Street",
      streetAddress2: "",
      city: "Santa Clara",
      stateOrProvince: "CA",
      postalCode: "95050",
      countryOrRegion: "USA",
      phone: "408 352 7600",
      additionalInformation: "",
    });
  });
});

describe("a broken locations file", () => {
  test("a file that is not JSON gives an error naming LOCATIONS_FILE and the path", () => {
    const file = writeTmp("broken.json", "{ \"locations\": [ ");
    const error = loadError(file);
    expect(error.message).toMatch(/^LOCATIONS_FILE: cannot read /);
    expect(error.message).toContain(file);
  });

  test("a missing file gives an error naming LOCATIONS_FILE", () => {
    const file = path.join(tmp, "does-not-exist.json");
    const error = loadError(file);
    expect(error.message).toContain("LOCATIONS_FILE");
    expect(error.message).toContain(file);
  });

  test("a location that breaks the schema is named in the error", () => {
    const bad = { ...WEST_US, id: "West US", supportedCarriers: [] };
    const file = writeTmp("invalid.json", JSON.stringify({ locations: [WEST_US, bad] }));
    const error = loadError(file);
    expect(error.message).toMatch(/^LOCATIONS_FILE: /);
    expect(error.message).toContain("is invalid");
    expect(error.message).toContain("locations.1.id");
    expect(error.message).toContain("locations.1.supportedCarriers");
  });

  test("an empty catalog is refused", () => {
    const error = loadError(writeTmp("empty.json", JSON.stringify({ locations: [] })));
    expect(error.message).toContain("LOCATIONS_FILE");
    expect(error.message).toContain("locations");
  });

  test("a valid file in another folder loads, with alternateLocations defaulted", () => {
    const { alternateLocations: _omitted, ...withoutAlternates } = WEST_US;
    const file = writeTmp("valid.json", JSON.stringify({ locations: [withoutAlternates] }));
    const catalog = loadLocationCatalog(file);
    expect(catalog.find("West US")?.alternateLocations).toEqual([]);
  });
});
