/** The route table: what the Functions host gates with a function key, and what it leaves open. */
import { routes } from "../../shared/service/api/routes";

test("every API route needs a function key in Azure; only the portal's pages and the catch-all are anonymous", () => {
  const anonymous = routes.filter((route) => (route.authLevel ?? "function") === "anonymous").map((route) => route.name);
  expect(anonymous.sort()).toEqual(["Portal_Assets", "Portal_Root", "Unmatched"]);
  expect(routes.find((route) => route.name === "Jobs_Get")?.authLevel ?? "function").toBe("function");
});

test("function names are unique, as the Functions host requires", () => {
  const names = routes.map((route) => route.name);
  expect(new Set(names).size).toBe(names.length);
});
