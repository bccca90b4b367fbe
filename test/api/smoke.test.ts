import { API, call, startTestService, TestService } from "../support/service";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

test("operations are listed", async () => {
  const response = await call(service, "GET", `/providers/Microsoft.ImportExport/operations?${API}`);
  expect(response.status).toBe(200);
  expect(response.body.value.length).toBeGreaterThan(0);
});
