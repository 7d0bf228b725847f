// PATCH engine unit tests (RFC 7644 §3.5.2) incl. Okta/Entra shapes. No Convex.
import { describe, expect, test } from "vitest";
import { ScimError } from "../../src/scim/errors";
import { applyPatch } from "../../src/scim/patch";
import { GROUP_TYPE, USER_TYPE } from "../../src/scim/schemas";

const P = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const base = () => ({
  userName: "bob",
  active: true,
  name: { givenName: "Bob", familyName: "Jones" },
  emails: [
    { value: "bob@home.example", type: "home" },
    { value: "bob@work.example", type: "work", primary: true },
  ],
});
const patch = (ops: unknown[], data: Record<string, unknown> = base(), rt = USER_TYPE) => applyPatch(rt, data, { schemas: [P], Operations: ops });
function err(ops: unknown, data: Record<string, unknown> = base(), rt = USER_TYPE, schemas: unknown = [P]) {
  try {
    applyPatch(rt, data, { schemas, Operations: ops });
  } catch (e) {
    if (e instanceof ScimError) return `${e.status} ${e.scimType}`;
    throw e;
  }
  return "ok";
}

describe("operations", () => {
  test("op names are case-insensitive", () => {
    expect(patch([{ op: "Replace", path: "displayName", value: "B" }]).data.displayName).toBe("B");
    expect(patch([{ op: "ADD", path: "title", value: "T" }]).data.title).toBe("T");
    expect(patch([{ op: "Remove", path: "name.givenName" }]).data.name).toEqual({ familyName: "Jones" });
  });
  test("path-less replace (Okta deactivation)", () => {
    const r = patch([{ op: "replace", value: { active: false } }]);
    expect(r.data.active).toBe(false);
    expect(r.changed).toBe(true);
  });
  test('"True"/"False" strings for booleans', () => {
    expect(patch([{ op: "Replace", path: "active", value: "False" }]).data.active).toBe(false);
    expect(patch([{ op: "replace", value: { active: "True" } }], { ...base(), active: false }).data.active).toBe(true);
  });
  test("path-less value with dotted, URN-qualified and value-path keys", () => {
    const r = patch([{ op: "Add", value: { "name.givenName": "Rob", [`${ENT}:department`]: "Ops", 'emails[type eq "work"].value': "rob@work.example", "urn:ietf:params:scim:schemas:core:2.0:User:title": "Boss" } }]);
    expect(r.data.name).toEqual({ givenName: "Rob", familyName: "Jones" });
    expect(r.data[ENT]).toEqual({ department: "Ops" });
    expect((r.data.emails as any[])[1]).toEqual({ value: "rob@work.example", type: "work", primary: true });
    expect(r.data.title).toBe("Boss");
  });
  test("extension container path with an object value", () => {
    const r = patch([{ op: "add", path: ENT, value: { employeeNumber: "7", manager: { value: "m" } } }]);
    expect(r.data[ENT]).toEqual({ employeeNumber: "7", manager: { value: "m" } });
  });
  test("value path replaces only the matching element", () => {
    const r = patch([{ op: "replace", path: 'emails[type eq "home"].value', value: "b@h" }]);
    expect(r.data.emails).toEqual([{ value: "b@h", type: "home" }, { value: "bob@work.example", type: "work", primary: true }]);
  });
  test("value path creates the element when absent (Entra)", () => {
    const r = patch([{ op: "Replace", path: 'phoneNumbers[type eq "mobile"].value', value: "+1" }]);
    expect(r.data.phoneNumbers).toEqual([{ type: "mobile", value: "+1" }]);
    const a = patch([{ op: "Add", path: 'addresses[type eq "work"].locality', value: "Paris" }]);
    expect(a.data.addresses).toEqual([{ type: "work", locality: "Paris" }]);
  });
  test("value path that cannot build an element → noTarget", () => {
    expect(err([{ op: "replace", path: 'emails[value co "zzz"].type', value: "work" }])).toBe("400 noTarget");
  });
  test("remove by value path", () => {
    const r = patch([{ op: "remove", path: 'emails[type eq "home"]' }]);
    expect(r.data.emails).toEqual([{ value: "bob@work.example", type: "work", primary: true }]);
  });
  test("add to multi-valued appends; a new primary demotes the old one", () => {
    const r = patch([{ op: "add", path: "emails", value: [{ value: "new@x", type: "other", primary: true }] }]);
    const emails = r.data.emails as any[];
    expect(emails).toHaveLength(3);
    expect(emails.filter((e) => e.primary === true)).toEqual([{ value: "new@x", type: "other", primary: true }]);
  });
  test("manager: bare id, {value}, removal", () => {
    expect(patch([{ op: "Add", path: `${ENT}:manager`, value: "m1" }]).data[ENT]).toEqual({ manager: { value: "m1" } });
    expect(patch([{ op: "Replace", path: `${ENT}:manager`, value: { value: "m2" } }]).data[ENT]).toEqual({ manager: { value: "m2" } });
    const d = { ...base(), [ENT]: { manager: { value: "m" }, department: "x" } };
    expect(patch([{ op: "Remove", path: `${ENT}:manager` }], d).data[ENT]).toEqual({ department: "x" });
    expect(patch([{ op: "Replace", path: `${ENT}:manager`, value: { value: null } }], d).data[ENT]).toEqual({ department: "x" });
  });
  test("empty Operations is invalidValue (RFC 7644 §3.5.2: one or more operations)", () => {
    expect(() => patch([])).toThrow(expect.objectContaining({ status: 400, scimType: "invalidValue" }));
  });
  test("a PATCH that sets what is already there is a no-op", () => {
    const r = patch([{ op: "replace", path: "userName", value: base().userName }]);
    expect(r.changed).toBe(false);
    expect(r.data).toEqual(base());
  });
  test("password is accepted and discarded", () => {
    expect(patch([{ op: "replace", path: "password", value: "x" }]).data.password).toBeUndefined();
  });
  test("path-less readOnly keys are ignored (Okta rename sends id)", () => {
    const r = patch([{ op: "replace", value: { id: "other", displayName: "New" } }], { displayName: "Old" }, GROUP_TYPE);
    expect(r.data).toEqual({ displayName: "New" });
  });
});

describe("group members become member operations", () => {
  const g = { displayName: "G" };
  test.each([
    [{ op: "add", path: "members", value: [{ value: "u1", $ref: null }] }, [{ kind: "add", values: ["u1"] }]],
    [{ op: "Remove", path: "members", value: [{ $ref: null, value: "u1" }] }, [{ kind: "remove", values: ["u1"] }]],
    [{ op: "remove", path: 'members[value eq "u1"]' }, [{ kind: "remove", values: ["u1"] }]],
    [{ op: "remove", path: 'members[value eq "u1" or value eq "u2"]' }, [{ kind: "remove", values: ["u1", "u2"] }]],
    [{ op: "replace", path: "members", value: [{ value: "u2" }] }, [{ kind: "replace", values: ["u2"] }]],
    [{ op: "remove", path: "members" }, [{ kind: "replace", values: [] }]],
    [{ op: "replace", value: { members: [{ value: "u3" }] } }, [{ kind: "replace", values: ["u3"] }]],
  ])("%j", (op, memberOps) => {
    expect(patch([op], g, GROUP_TYPE).memberOps).toEqual(memberOps);
  });
});

describe("bad PATCH input → typed 400, nothing applied (pure: input untouched)", () => {
  test.each([
    [[{ op: "move", path: "title", value: "x" }], "400 invalidSyntax"],
    [[{ path: "title", value: "x" }], "400 invalidSyntax"],
    [[{ op: "remove" }], "400 noTarget"],
    [[{ op: "replace", path: "nosuch", value: 1 }], "400 invalidPath"],
    [[{ op: "replace", path: "name.nosuch", value: 1 }], "400 invalidPath"],
    [[{ op: "replace", path: 'emails[type eq "work"', value: 1 }], "400 invalidPath"],
    [[{ op: "replace", path: 'emails[type zz "work"].value', value: "x" }], "400 invalidFilter"],
    [[{ op: "replace", path: 'emails[type eq "work"]x', value: "x" }], "400 invalidPath"],
    [[{ op: "replace", path: 'title[type eq "work"]', value: "x" }], "400 invalidPath"],
    [[{ op: "replace", path: "id", value: "x" }], "400 mutability"],
    [[{ op: "replace", path: "meta.created", value: "2020-01-01T00:00:00Z" }], "400 mutability"],
    [[{ op: "add", path: "groups", value: [{ value: "g" }] }], "400 mutability"],
    [[{ op: "replace", path: "active", value: "maybe" }], "400 invalidValue"],
    [[{ op: "replace", path: "userName", value: 42 }], "400 invalidValue"],
    [[{ op: "replace", path: "emails", value: "not-an-object" }], "400 invalidValue"],
    [[{ op: "remove", path: "userName" }], "400 invalidValue"],
    [[{ op: "replace", value: "x" }], "400 invalidValue"],
    [[{ op: "add", path: "title" }], "400 invalidValue"],
    [[{ op: "add", path: "members", value: [{ value: "u" }] }], "400 invalidPath"],
    [[{ op: "replace", path: 42, value: "x" }], "400 invalidPath"],
    [["not-an-object"], "400 invalidSyntax"],
    [[{ op: "replace", path: "title", value: "ok" }, { op: "replace", path: "active", value: "maybe" }], "400 invalidValue"],
  ])("%j → %s", (ops, want) => {
    const d = base();
    const before = JSON.stringify(d);
    expect(err(ops, d)).toBe(want);
    expect(JSON.stringify(d)).toBe(before);
  });
  test("missing or wrong schemas / Operations", () => {
    expect(err([], base(), USER_TYPE, ["urn:wrong"])).toBe("400 invalidSyntax");
    expect(err("nope", base())).toBe("400 invalidSyntax");
    expect(() => applyPatch(USER_TYPE, base(), [])).toThrow(ScimError);
  });
  test("member filters other than value eq → invalidFilter", () => {
    expect(err([{ op: "remove", path: 'members[display eq "x"]' }], { displayName: "G" }, GROUP_TYPE)).toBe("400 invalidFilter");
    expect(err([{ op: "add", path: 'members[value eq "x"]', value: {} }], { displayName: "G" }, GROUP_TYPE)).toBe("400 invalidPath");
    expect(err([{ op: "add", path: "members", value: [{ value: "g2", type: "Group" }] }], { displayName: "G" }, GROUP_TYPE)).toBe("400 invalidValue");
  });
});

// RFC 7644 §3.5.2 (https://www.rfc-editor.org/rfc/rfc7644#section-3.5.2) examples, verbatim operations.
describe("RFC 7644 §3.5.2 examples", () => {
  const user = () => ({
    userName: "bjensen",
    emails: [
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "babs@jensen.org", type: "home" },
    ],
    addresses: [{ type: "work", streetAddress: "100 Universal City Plaza", locality: "Hollywood", primary: true }],
  });
  test("§3.5.2.1 add without path: emails and nickname (attribute names case-insensitive)", () => {
    const r = patch([{ op: "add", value: { emails: [{ value: "babs@jensen.org", type: "home" }], nickname: "Babs" } }], user());
    expect(r.data.nickName).toBe("Babs");
    expect(r.data.emails).toHaveLength(2); // the same value is not added twice
  });
  test("§3.5.2.2 remove with a value filter", () => {
    const r = patch([{ op: "remove", path: 'emails[type eq "work" and value ew "example.com"]' }], user());
    expect(r.data.emails).toEqual([{ value: "babs@jensen.org", type: "home" }]);
  });
  test("§3.5.2.3 replace a filtered complex value, and one sub-attribute of it", () => {
    const whole = patch([{ op: "replace", path: 'addresses[type eq "work"]', value: { type: "work", streetAddress: "911 Universal City Plaza", locality: "Hollywood", region: "CA", postalCode: "91608", country: "US", formatted: "911 Universal City Plaza\nHollywood, CA 91608 US", primary: true } }], user());
    expect((whole.data.addresses as any[])[0]).toMatchObject({ streetAddress: "911 Universal City Plaza", region: "CA" });
    const sub = patch([{ op: "replace", path: 'addresses[type eq "work"].streetAddress', value: "1010 Broadway Ave" }], user());
    expect((sub.data.addresses as any[])[0]).toEqual({ type: "work", streetAddress: "1010 Broadway Ave", locality: "Hollywood", primary: true });
  });
  test("§3.5.2.3 replace without path", () => {
    const r = patch([{ op: "replace", value: { emails: [{ value: "bjensen@example.com", type: "work", primary: true }, { value: "babs@jensen.org", type: "home" }], nickname: "Babs" } }], user());
    expect(r.data.nickName).toBe("Babs");
    expect(r.data.emails).toHaveLength(2);
  });
  test("§3.5.2.1/.2/.3 group members: add, remove by filter, remove all, replace", () => {
    const g = { displayName: "Tour Guides" };
    const id1 = "2819c223-7f76-453a-919d-413861904646";
    const id2 = "902c246b-6245-4190-8e05-00816be7344a";
    expect(patch([{ op: "add", path: "members", value: [{ display: "Babs Jensen", $ref: `https://example.com/v2/Users/${id1}`, value: id1 }] }], g, GROUP_TYPE).memberOps).toEqual([{ kind: "add", values: [id1] }]);
    expect(patch([{ op: "remove", path: `members[value eq "${id1}"]` }], g, GROUP_TYPE).memberOps).toEqual([{ kind: "remove", values: [id1] }]);
    expect(patch([{ op: "remove", path: "members" }], g, GROUP_TYPE).memberOps).toEqual([{ kind: "replace", values: [] }]);
    expect(patch([{ op: "remove", path: "members" }, { op: "add", path: "members", value: [{ value: id2 }] }], g, GROUP_TYPE).memberOps).toEqual([
      { kind: "replace", values: [] },
      { kind: "add", values: [id2] },
    ]);
  });
});
