/**
 * Customer strings that name keys: drive ids and tag names such as `__proto__`, `constructor` and
 * `hasOwnProperty` are ordinary names. Regression (issue 11, item 3): a drive named `__proto__` lost
 * its BitLocker key (201 on create, then `listBitLockerKeys` answered `[]`) and a `__proto__` tag was
 * silently dropped, because both were put on plain objects.
 */
import { API, BITLOCKER_KEY, driveSpec, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";

const NAMES = ["__proto__", "constructor", "hasOwnProperty"];
const KEYS = new Map([
  ["__proto__", "111111-111111-111111-111111-111111-111111-111111-111111"],
  ["constructor", "222222-222222-222222-222222-222222-222222-222222-222222"],
  ["hasOwnProperty", "333333-333333-333333-333333-333333-333333-333333-333333"],
]);
const RG = "proto-rg";

let service: TestService;
beforeAll(async () => {
  service = await startTestService(uniqueStorageNames());
});
afterAll(() => service.close());

/** `{ name: value }` for each name, built as JSON so `__proto__` is an own key, as a client sends it. */
function objectOf(entries: [string, string][]): string {
  return `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(",")}}`;
}

function bodyText(sub: string, tags: [string, string][]): string {
  const body = importJobBody(sub, { properties: { driveList: NAMES.map((name) => driveSpec(name, { bitLockerKey: KEYS.get(name) })) } });
  return JSON.stringify({ ...body, tags: "TAGS" }).replace('"TAGS"', objectOf(tags));
}

test("drives named __proto__, constructor and hasOwnProperty keep their BitLocker keys", async () => {
  const sub = newSubscriptionId();
  const created = await api(service, "PUT", jobUrl(sub, RG, "proto-drives"), bodyText(sub, []));
  expect(created.status).toBe(201);
  expect(created.body.properties.driveList.map((drive: { driveId: string }) => drive.driveId)).toEqual(NAMES);

  const keys = await api(service, "POST", jobUrl(sub, RG, "proto-drives", "/listBitLockerKeys"));
  expect(keys.status).toBe(200);
  expect(new Map(keys.body.value.map((entry: { driveId: string; bitLockerKey: string }) => [entry.driveId, entry.bitLockerKey]))).toEqual(KEYS);

  // A read-modify-write keeps them: the drives sent back without keys keep their stored ones.
  const resent = JSON.parse(bodyText(sub, []));
  resent.properties.driveList = resent.properties.driveList.map(({ bitLockerKey: _key, ...drive }: { bitLockerKey: string }) => drive);
  expect((await api(service, "PUT", jobUrl(sub, RG, "proto-drives"), resent)).status).toBe(200);
  const after = await api(service, "POST", jobUrl(sub, RG, "proto-drives", "/listBitLockerKeys"));
  expect(after.body.value).toHaveLength(3);
  expect(after.body.value.map((entry: { bitLockerKey: string }) => entry.bitLockerKey).sort()).toEqual([...KEYS.values()].sort());
  expect(JSON.stringify(after.body)).not.toContain(BITLOCKER_KEY);
});

test("tags named __proto__, constructor and hasOwnProperty round-trip through create, get, update and list", async () => {
  const sub = newSubscriptionId();
  const tags: [string, string][] = [
    ["__proto__", "polluted?"],
    ["constructor", "c"],
    ["hasOwnProperty", "h"],
  ];
  const created = await api(service, "PUT", jobUrl(sub, RG, "proto-tags"), bodyText(sub, tags));
  expect(created.status).toBe(201);
  const expected = Object.fromEntries(tags);
  expect(Object.entries(created.body.tags)).toEqual(Object.entries(expected));

  const read = await api(service, "GET", jobUrl(sub, RG, "proto-tags"));
  expect(Object.entries(read.body.tags)).toEqual(Object.entries(expected));

  const patched = await api(service, "PATCH", jobUrl(sub, RG, "proto-tags"), `{"tags":${objectOf([["__proto__", "changed"]])}}`);
  expect(patched.status).toBe(200);
  expect(Object.entries(patched.body.tags)).toEqual([["__proto__", "changed"]]);

  const listed = await api(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`);
  expect(Object.entries(listed.body.value[0].tags)).toEqual([["__proto__", "changed"]]);
  // Nothing leaked onto objects' prototype in the service process.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test("a bad tag is still refused with the tag named in the target", async () => {
  const sub = newSubscriptionId();
  const response = await api(service, "PUT", jobUrl(sub, RG, "bad-tags"), bodyText(sub, [["__proto__", "x".repeat(300)]]));
  expectArmError(response, 400, "InvalidRequestContent");
  expect(response.body.error.details[0].target).toBe("tags.__proto__");
});

test.each(["constructor", "__proto__", "hasOwnProperty", "toString"])("$filter on '%s' is 400 InvalidFilter, not a property of a lookup table", async (field) => {
  const sub = newSubscriptionId();
  const response = await api(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$filter=${encodeURIComponent(`${field} eq 'Creating'`)}`);
  expectArmError(response, 400, "InvalidFilter");
});
