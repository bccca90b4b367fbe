/** Locations_List, Locations_Get and Operations_List. */
import { API, startTestService, TestService } from "../support/service";
import { ARM_OPERATIONS } from "../support/fixtures";
import { api, expectArmError } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const LOCATIONS = "/providers/Microsoft.ImportExport/locations";

describe("Locations_List", () => {
  test("every data center, in the Location shape", async () => {
    const response = await api(service, "GET", `${LOCATIONS}?${API}`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(["value"]);
    const ids = response.body.value.map((location: { id: string }) => location.id);
    expect(ids).toEqual(expect.arrayContaining([`${LOCATIONS}/westus`, `${LOCATIONS}/eastus`, `${LOCATIONS}/northeurope`]));
    for (const location of response.body.value) {
      expect(location.type).toBe("Microsoft.ImportExport/locations");
      expect(typeof location.name).toBe("string");
      expect(location.properties).toEqual(
        expect.objectContaining({
          recipientName: expect.any(String),
          streetAddress1: expect.any(String),
          city: expect.any(String),
          postalCode: expect.any(String),
          countryOrRegion: expect.any(String),
          phone: expect.any(String),
          supportedCarriers: expect.any(Array),
          alternateLocations: expect.any(Array),
        }),
      );
      for (const alternate of location.properties.alternateLocations) expect(alternate).toMatch(/^\/providers\/Microsoft\.ImportExport\/locations\/[a-z0-9]+$/);
    }
  });

  test("without api-version → 400 MissingApiVersionParameter", async () => {
    expectArmError(await api(service, "GET", LOCATIONS), 400, "MissingApiVersionParameter");
  });
});

describe("Locations_Get", () => {
  test("by id 'westus'", async () => {
    const response = await api(service, "GET", `${LOCATIONS}/westus?${API}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: `${LOCATIONS}/westus`,
      name: "West US",
      type: "Microsoft.ImportExport/locations",
      properties: { city: "Santa Clara", stateOrProvince: "CA", supportedCarriers: expect.arrayContaining(["FedEx"]) },
    });
  });

  test.each(["West%20US", "WESTUS", "west%20us"])("by %p (display name, any case)", async (name) => {
    const response = await api(service, "GET", `${LOCATIONS}/${name}?${API}`);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(`${LOCATIONS}/westus`);
  });

  test("an unknown location → 404 ResourceNotFound", async () => {
    const response = await api(service, "GET", `${LOCATIONS}/atlantis?${API}`);
    expectArmError(response, 404, "ResourceNotFound", { message: /atlantis/ });
  });

  test("a name over 128 characters → 400", async () => {
    const response = await api(service, "GET", `${LOCATIONS}/${"x".repeat(129)}?${API}`);
    expectArmError(response, 400, "InvalidResourceName", { target: "locationName" });
  });
});

describe("Operations_List", () => {
  test("lists the provider's operations with display information", async () => {
    const response = await api(service, "GET", `/providers/Microsoft.ImportExport/operations?${API}`);
    expect(response.status).toBe(200);
    const names = response.body.value.map((operation: { name: string }) => operation.name);
    expect(names).toEqual(
      expect.arrayContaining(ARM_OPERATIONS),
    );
    for (const operation of response.body.value) {
      expect(operation.display).toEqual({
        provider: "Microsoft Import/Export",
        resource: expect.any(String),
        operation: expect.any(String),
        description: expect.any(String),
      });
    }
  });

  test("provider paths are case-insensitive", async () => {
    const response = await api(service, "GET", `/PROVIDERS/microsoft.importexport/Operations?${API}`);
    expect(response.status).toBe(200);
    expect(response.body.value.length).toBeGreaterThan(0);
  });

  test("an unsupported api-version → 400 InvalidApiVersionParameter", async () => {
    const response = await api(service, "GET", "/providers/Microsoft.ImportExport/operations?api-version=2016-11-01");
    expectArmError(response, 400, "InvalidApiVersionParameter", { target: "api-version", message: /2016-11-01/ });
  });
});
