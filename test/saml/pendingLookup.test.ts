// Issue 9 item 9: a valid response posted without RelayState must find its pending AuthnRequest by InResponseTo
// (an index lookup), however many newer pending requests anonymous /sso/authorize calls have piled up.
import { beforeEach, expect, it } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import { newGateway, type TestGateway } from "../helpers";
import { expectTracedFailure, postAcs, setupSaml, startLogin, testIdp } from "./samlFlow";
import { snapshot } from "../helpers";

let t: TestGateway;
let connectionId: Id<"connections">;
const idp = testIdp();
const ADA = { email: "ada@acme.example", name: "Ada Lovelace", groups: ["admins"] };

beforeEach(async () => {
  t = newGateway();
  ({ connectionId } = await setupSaml(t));
});

async function pileUpPending(n: number) {
  await t.run(async (ctx) => {
    const first = (await ctx.db.query("samlRequests").first())!;
    for (let i = 0; i < n; i++) {
      await ctx.db.insert("samlRequests", { ...first, _id: undefined, _creationTime: undefined, requestId: `_newer${i}`, relayState: `r${i}`, expiresAt: first.expiresAt + 1 + i } as never);
    }
  });
}

it("the oldest of 61 pending requests still answers without RelayState", async () => {
  const s = await startLogin(t, connectionId);
  await pileUpPending(60);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: s.requestId, user: ADA, signResponse: true });
  const res = await postAcs(t, connectionId, { SAMLResponse: samlResponse });
  expect(res.status).toBe(302);
  expect(new URL(res.headers.get("location")!).searchParams.get("code")).toBeTruthy();
});

it("an InResponseTo that names no pending request is still refused (in_response_to_mismatch)", async () => {
  const s = await startLogin(t, connectionId);
  const samlResponse = await idp.respond({ acsUrl: s.acsUrl, spEntityId: s.spEntityId, inResponseTo: "_not-ours", user: ADA, signResponse: true });
  const before = await snapshot(t);
  await expectTracedFailure(t, await postAcs(t, connectionId, { SAMLResponse: samlResponse }), "in_response_to_mismatch", before);
});
