// Property tests (fast-check): random filters and random PATCH / POST bodies never produce a 5xx, and a
// rejected request never writes anything.
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { GROUP_SCHEMA, PATCH_OP, setup, snapshot, user, USER_SCHEMA, type Env } from "./helpers";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const attrs = ["userName", "USERNAME", "externalId", "id", "active", "displayName", "name.givenName", "emails", "emails.value", "emails.type", "meta.created", "meta.lastModified", `${ENT}:department`, `${ENT}:manager.value`, "groups.value", "title", "nosuch", "name", "password", "x509Certificates.value", "members.value"];
const ops = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "zz"];
const value = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom("true", "false", "null", "True", "42", "-1.5e3", '"2024-01-01T00:00:00Z"', "abc", "a@b.c", '"\\"', '"'),
  fc.integer().map(String),
);
const term: fc.Arbitrary<string> = fc.letrec((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(fc.constantFrom(...attrs), fc.constantFrom(...ops), value).map(([a, o, v]) => `${a} ${o} ${v}`),
    fc.constantFrom(...attrs).map((a) => `${a} pr`),
    fc.tuple(tie("t"), fc.constantFrom("and", "or", "AND"), tie("t")).map(([a, o, b]) => `${a} ${o} ${b}`),
    tie("t").map((x) => `not (${x})`),
    tie("t").map((x) => `(${x})`),
    fc.tuple(fc.constantFrom("emails", "members", "name", "addresses"), tie("t")).map(([a, x]) => `${a}[${x}]`),
  ),
})).t as fc.Arbitrary<string>;
const filterArb = fc.oneof({ arbitrary: term, weight: 5 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 1 }, { arbitrary: fc.tuple(term, fc.string({ maxLength: 5 })).map(([a, b]) => a + b), weight: 1 });

const paths = ["", "title", "active", "userName", "name.familyName", "emails", 'emails[type eq "work"].value', 'emails[type eq "work"]', "emails[value co 1]", `${ENT}:manager`, "manager", ENT, `${ENT}:department`, "members", 'members[value eq "x"]', "id", "meta.version", "groups", "nosuch", "emails[", "]", "phoneNumbers[type eq mobile].value", "displayName", "x509Certificates"];
const opArb = fc.record(
  {
    op: fc.constantFrom("add", "Add", "replace", "Replace", "remove", "REMOVE", "copy", 7 as unknown as string),
    path: fc.oneof(fc.constantFrom(...paths), fc.string({ maxLength: 20 }), fc.constant(undefined as unknown as string)),
    value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom("False", "True", { active: false }, { value: "m" }, [{ value: "x", $ref: null }], { "name.givenName": "G" })),
  },
  { requiredKeys: ["op"] },
);
// Operations a user accepts (an empty Operations array is a 400 since RFC 7644 §3.5.2 asks for one or more).
const acceptedOpArb = fc.constantFrom(
  { op: "replace", path: "title", value: "T" },
  { op: "Add", path: "manager", value: [{ $ref: null, value: "m" }] },
  { op: "replace", value: { displayName: "D" } },
);
const patchArb = fc.oneof(
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(opArb, { maxLength: 4 }) }),
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(acceptedOpArb, { minLength: 1, maxLength: 2 }) }),
  fc.jsonValue({ maxDepth: 3 }),
);

let env: Env;
let u: Record<string, any>;
let g: Record<string, any>;
beforeAll(async () => {
  env = await setup();
  u = await user(env, "prop@example.com", { emails: [{ value: "p@x", type: "work" }], [ENT]: { department: "D" } });
  g = await (await env.scim("/Groups", { method: "POST", body: { schemas: [GROUP_SCHEMA], displayName: "PG", members: [{ value: u.id }] } })).json();
});

describe("never a 5xx", () => {
  test("random filters on /Users and /Groups", async () => {
    const seen: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(filterArb, fc.boolean(), async (f, groups) => {
        const res = await env.scim(`/${groups ? "Groups" : "Users"}?filter=${encodeURIComponent(f)}`);
        expect(res.status, f).toBeLessThan(500);
        expect([200, 400]).toContain(res.status);
        seen[res.status] = (seen[res.status] ?? 0) + 1;
        const body = await res.json();
        if (res.status === 400) expect(["invalidFilter", "tooMany", "invalidValue"]).toContain(body.scimType);
      }),
      { numRuns: 250 },
    );
    // The generator must exercise both accepted and rejected filters, or the property says little.
    expect(seen[200]).toBeGreaterThan(25);
    expect(seen[400]).toBeGreaterThan(25);
  });

  test("random PATCH bodies on a user and a group: < 500, and a rejected PATCH writes nothing", async () => {
    const seen: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(patchArb, fc.boolean(), async (body, onGroup) => {
        const before = await snapshot(env.t);
        const res = await env.scim(onGroup ? `/Groups/${g.id}` : `/Users/${u.id}`, { method: "PATCH", body });
        expect(res.status, JSON.stringify(body)).toBeLessThan(500);
        seen[res.status] = (seen[res.status] ?? 0) + 1;
        if (res.status >= 400) expect(await snapshot(env.t)).toBe(before);
        if (res.status === 200 && !onGroup) {
          // Keep the fixtures alive for later runs: restore the user if a PATCH renamed/emptied it.
          await env.scim(`/Users/${u.id}`, { method: "PUT", body: { schemas: [USER_SCHEMA], userName: "prop@example.com", emails: [{ value: "p@x", type: "work" }] } });
        }
      }),
      { numRuns: 250 },
    );
    expect((seen[200] ?? 0) + (seen[204] ?? 0)).toBeGreaterThan(10);
    expect(seen[400]).toBeGreaterThan(25);
  });

  test("random POST bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ schemas: fc.constant([USER_SCHEMA]), userName: fc.jsonValue({ maxDepth: 1 }), emails: fc.jsonValue({ maxDepth: 2 }), active: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ["schemas"] })), async (body) => {
        const res = await env.scim("/Users", { method: "POST", body });
        expect(res.status, JSON.stringify(body)).toBeLessThan(500);
        if (res.status === 201) await env.scim(`/Users/${(await res.json()).id}`, { method: "DELETE" });
      }),
      { numRuns: 150 },
    );
  });

  test("random PUT and Bulk bodies", async () => {
    const bulkOp = fc.record(
      {
        method: fc.constantFrom("POST", "PUT", "PATCH", "DELETE", "GET", "post", 3 as unknown as string),
        bulkId: fc.oneof(fc.string({ maxLength: 4 }), fc.constant(undefined as unknown as string)),
        path: fc.oneof(fc.constantFrom("/Users", "/Groups", `/Users/${"x"}`, "/Users/bulkId:a", "/Bulk", "Users", "/Groups/bulkId:b"), fc.string({ maxLength: 10 })),
        data: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ schemas: [USER_SCHEMA], userName: "bulk-prop" }), fc.constant({ schemas: [PATCH_OP], Operations: [] })),
        version: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(undefined as unknown as string)),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ schemas: fc.constant(["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]), failOnErrors: fc.jsonValue({ maxDepth: 0 }), Operations: fc.array(bulkOp, { maxLength: 4 }) }, { requiredKeys: ["schemas"] })),
        fc.jsonValue({ maxDepth: 3 }),
        async (bulk, put) => {
          const b = await env.scim("/Bulk", { method: "POST", body: bulk });
          expect(b.status, JSON.stringify(bulk)).toBeLessThan(500);
          const p = await env.scim(`/Groups/${g.id}`, { method: "PUT", body: put });
          expect(p.status, JSON.stringify(put)).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});

