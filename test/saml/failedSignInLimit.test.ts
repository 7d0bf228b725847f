// Issue 9 item 8: signIn.maxFailedAttemptsPerHour caps failed sign-ins per IdP subject (connection + NameID):
// once reached, that subject's next verified response gets a 429 page (no trace, nothing written).
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { Id } from "../../src/component/_generated/dataModel";
import { newGateway, snapshot, type TestGateway } from "../helpers";
import { postAcs, setupSaml, startLogin, testIdp } from "./samlFlow";

let t: TestGateway;
let connectionId: Id<"connections">;
const idp = testIdp();
const ADA = { email: "ada@acme.example", name: "Ada Lovelace", groups: ["admins"] };

beforeEach(async () => {
  vi.stubEnv("GATEWAY_OPTIONS", JSON.stringify({ signIn: { maxFailedAttemptsPerHour: 2 } }));
  t = newGateway();
  ({ connectionId } = await setupSaml(t));
});
afterEach(() => vi.unstubAllEnvs());

async function attempt(user = ADA) {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user });
  return postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
}

it("two failures for one subject, then 429; another subject of the same IdP is unaffected", async () => {
  expect((await attempt()).status).toBe(302);
  await t.run(async (ctx) => ctx.db.patch((await ctx.db.query("memberships").first())!._id, { status: "inactive" }));
  expect((await attempt()).status).toBe(400);
  expect((await attempt()).status).toBe(400);
  const before = await snapshot(t);
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA });
  const afterStart = await snapshot(t);
  const limited = await postAcs(t, connectionId, { SAMLResponse: samlResponse, RelayState: s.relayState });
  expect(limited.status).toBe(429);
  expect(limited.headers.get("retry-after")).toBeTruthy();
  expect(await snapshot(t)).toEqual(afterStart);
  expect(before).not.toEqual(afterStart); // (the start itself wrote its pending request)
  expect((await attempt({ email: "bob@acme.example", name: "Bob", groups: [] })).status).toBe(302);
});
