// Filter evaluator and planner unit tests (RFC 7644 §3.4.2.2). No Convex.
import { filter as libFilter, parse as libParse } from "scim2-parse-filter";
import { describe, expect, test } from "vitest";
import { ScimError } from "../../src/scim/errors";
import { evaluate, parseFilter, planFilter } from "../../src/scim/filter";
import { GROUP_TYPE, USER_TYPE } from "../../src/scim/schemas";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const alice = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  id: "u1",
  userName: "Alice@Example.com",
  externalId: "Ext-ABC",
  active: true,
  displayName: "Alice Smith",
  name: { givenName: "Alice", familyName: "Smith" },
  emails: [
    { value: "alice@home.example", type: "home", primary: false },
    { value: "alice@x.example", type: "work", primary: true },
  ],
  [ENT]: { department: "Engineering", manager: { value: "m1" } },
  meta: { created: "2024-01-01T10:00:00Z", lastModified: "2024-06-01T12:00:00+02:00" },
};
const match = (f: string, r: unknown = alice) => evaluate(parseFilter(f, USER_TYPE), r);
function code(f: string) {
  try {
    parseFilter(f, USER_TYPE);
  } catch (e) {
    return e instanceof ScimError ? `${e.status} ${e.scimType}: ${e.detail}` : "other";
  }
  return "ok";
}

describe("value paths match one and the same element", () => {
  test("cross-element: type from one email, value from another → no match", () => {
    // home email has "@home", work email has "@x": no single work email contains "@home".
    expect(match('emails[type eq "work" and value co "@home"]')).toBe(false);
    expect(match('emails[type eq "work" and value co "@x"]')).toBe(true);
    expect(match('emails[type eq "home" and primary eq true]')).toBe(false);
  });
  test("the library's own evaluator gets the cross-element case wrong (why we evaluate ourselves)", () => {
    const lib = libFilter(libParse('emails[type eq "work" and value co "@home"]'));
    expect(lib(alice)).toBe(true); // wrong: proves the bug we work around
  });
  test("sub-attribute after a value path keeps the same-element meaning", () => {
    expect(match('emails[type eq "work"].value eq "alice@home.example"')).toBe(false);
    expect(match('emails[type eq "work"].value eq "ALICE@X.EXAMPLE"')).toBe(true);
  });
});

describe("case rules", () => {
  test("attribute names are case-insensitive", () => {
    expect(match('USERNAME eq "alice@example.com"')).toBe(true);
    expect(match('Emails.Value eq "alice@x.example"')).toBe(true);
    expect(match('NAME.familyname sw "smi"')).toBe(true);
  });
  test("userName is not case-exact; externalId and id are", () => {
    expect(match('userName eq "ALICE@EXAMPLE.COM"')).toBe(true);
    expect(match('externalId eq "ext-abc"')).toBe(false);
    expect(match('externalId eq "Ext-ABC"')).toBe(true);
    expect(match('id eq "U1"')).toBe(false);
  });
  test("operators are case-insensitive", () => {
    expect(match('userName EQ "alice@example.com" AND active Eq true')).toBe(true);
  });
});

describe("operators", () => {
  test.each([
    ['displayName co "ice Sm"', true],
    ['displayName sw "alice"', true],
    ['displayName ew "SMITH"', true],
    ['displayName ne "Alice Smith"', false],
    ['title pr', false],
    ['name pr', true],
    ['emails pr', true],
    ['emails co "@x.example"', true],
    ['not (active eq false)', true],
    ['active eq false or displayName sw "Al"', true],
    ['(active eq false or displayName sw "Al") and not (userName eq "bob")', true],
    ['userName gt "alice"', true],
    ['userName lt "alice"', false],
    [`${ENT}:department eq "engineering"`, true],
    [`${ENT}:manager.value eq "m1"`, true],
    ['active eq "True"', true],
    ['title eq null', true],
  ])("%s → %s", (f, want) => expect(match(f)).toBe(want));
});

describe("dateTimes compare as instants", () => {
  test("different offsets, same instant", () => {
    expect(match('meta.lastModified eq "2024-06-01T10:00:00Z"')).toBe(true);
    expect(match('meta.lastModified gt "2024-06-01T11:00:00+01:00"')).toBe(false); // 11:00+01:00 is 10:00Z: equal
    expect(match('meta.lastModified ge "2024-06-01T11:00:00+01:00"')).toBe(true);
    expect(match('meta.lastModified gt "2024-06-01T10:59:00+01:00"')).toBe(true);
  });
  test("ordering", () => {
    expect(match('meta.created lt "2024-01-01T10:00:01Z"')).toBe(true);
    expect(match('meta.created ge "2024-01-01T10:00:00.000Z"')).toBe(true);
    expect(match('meta.created gt "2024-01-01T10:00:00Z"')).toBe(false);
  });
});

describe("Entra's unquoted values", () => {
  test("bare GUID and bare email", () => {
    expect(match("externalId eq Ext-ABC")).toBe(true);
    expect(match("userName eq alice@example.com")).toBe(true);
    expect(match("externalId eq Ext-ABC and active eq true")).toBe(true);
    expect(match("externalId eq 5e8c0b7a-1234")).toBe(false);
    // A bare email inside a larger expression is ambiguous for the tokenizer: rejected, not guessed.
    expect(code("userName eq alice@example.com and active eq true")).toMatch(/^400 invalidFilter/);
  });
  test("true/false stay booleans", () => {
    expect(match("active eq true")).toBe(true);
  });
});

describe("invalid filters → 400 invalidFilter naming the attribute", () => {
  test.each([
    ['nosuch eq "x"', /nosuch/],
    ['userName eq', /./],
    ['userName zz "x"', /./],
    ['(userName eq "x"', /./],
    ['emails[type eq "work"', /./],
    ['emails[foo eq "x"]', /foo/],
    ['active gt true', /active/],
    ['name eq "x"', /name/],
    ['meta.created gt "yesterday"', /meta.created/],
    ['password eq "x"', /password/],
    ['userName eq "a" and', /./],
    ["", /empty/],
    ['emails[value eq "a" and emails[type eq "b"]]', /./],
  ])("%s", (f, detail) => {
    const c = code(f);
    expect(c).toMatch(/^400 invalidFilter: /);
    expect(c).toMatch(detail);
  });
  test("too long", () => expect(code(`userName eq "${"a".repeat(5000)}"`)).toMatch(/^400 invalidFilter/));
});

describe("planner: index lookups", () => {
  const plan = (f: string, t = USER_TYPE) => planFilter(parseFilter(f, t), t.kind);
  test.each([
    ['userName eq "Bob"', [{ index: "userName", value: "Bob" }]],
    ['externalId eq "e1"', [{ index: "externalId", value: "e1" }]],
    ['emails.value eq "a@b"', [{ index: "emails.value", value: "a@b" }]],
    ['emails[value eq "a@b"]', [{ index: "emails.value", value: "a@b" }]],
    ['emails[type eq "work" and value eq "a@b"]', [{ index: "emails.value", value: "a@b" }]],
    ['displayName eq "X"', [{ index: "displayName", value: "X" }]],
    ['id eq "abc"', [{ index: "id", value: "abc" }]],
    ['userName eq "a" and active eq true', [{ index: "userName", value: "a" }]],
    ['active eq true and externalId eq "e"', [{ index: "externalId", value: "e" }]],
    ['userName eq "a" or userName eq "b"', [{ index: "userName", value: "a" }, { index: "userName", value: "b" }]],
  ])("%s", (f, lookups) => expect(plan(f)).toEqual({ kind: "lookup", lookups }));
  test.each(['userName co "a"', 'userName ne "a"', 'not (userName eq "a")', 'userName eq "a" or active eq true', 'title eq "x"'])(
    "%s → scan",
    (f) => expect(plan(f)).toEqual({ kind: "scan" }),
  );
  test("groups: displayName, externalId, id", () => {
    expect(plan('displayName eq "Eng"', GROUP_TYPE)).toEqual({ kind: "lookup", lookups: [{ index: "displayName", value: "Eng" }] });
    expect(plan('members.value eq "u1"', GROUP_TYPE)).toEqual({ kind: "scan" });
  });
});

// RFC 7644 §3.4.2.2 (https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.2), the example filters, verbatim.
describe("RFC 7644 §3.4.2.2 example filters parse and evaluate", () => {
  const bjensen = {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
    id: "2819c223",
    userName: "bjensen",
    userType: "Employee",
    title: "Tour Guide",
    name: { familyName: "O'Malley", givenName: "Barbara" },
    emails: [{ value: "bjensen@example.com", type: "work" }],
    ims: [{ value: "bjensen@foo.com", type: "xmpp" }],
    meta: { lastModified: "2011-05-13T04:42:34Z" },
  };
  test.each([
    ['userName eq "bjensen"', true],
    [`name.familyName co "O'Malley"`, true],
    ['userName sw "J"', false],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', false],
    ["title pr", true],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', true],
    ['title pr and userType eq "Employee"', true],
    ['title pr or userType eq "Intern"', true],
    ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', true],
    ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true],
    ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false],
    ['userType eq "Employee" and (emails.type eq "work")', true],
    ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
  ])("%s → %s", (f, want) => expect(evaluate(parseFilter(f, USER_TYPE), bjensen)).toBe(want));
});
