// Issue 9 item 9: a valid response posted without RelayState must find its pending AuthnRequest by InResponseTo
// (an index lookup), however many newer pending requests anonymous /sso/authorize calls have piled up.
import { beforeEach, expect, it } from "vitest";
import type { Id } from "../../src/component/_generated/dataModel";
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

it("the InResponseTo claim is read by a linear scan: a 3 MB deeply nested body costs milliseconds", async () => {
  const { claimedInResponseTo } = await import("../../src/saml/inResponseTo");
  const deep = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_req1">${"<a>".repeat(400_000)}</samlp:Response>`;
  const b64 = btoa(deep);
  const t0 = performance.now();
  expect(claimedInResponseTo(b64, 4 * 1024 * 1024)).toBe("_req1");
  expect(performance.now() - t0).toBeLessThan(2000);
  const confirmed = `<?xml version="1.0"?><Response ID="_r"><Assertion><Subject><SubjectConfirmation><SubjectConfirmationData Recipient="x" InResponseTo='_req2'/></SubjectConfirmation></Subject></Assertion></Response>`;
  expect(claimedInResponseTo(btoa(confirmed), 1 << 20)).toBe("_req2");
  expect(claimedInResponseTo("not base64!", 1 << 20)).toBeUndefined();
});
