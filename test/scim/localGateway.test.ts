// A SCIM client pointed at the local gateway with the printed base URL and token, over real HTTP:
// provision, update, deactivate and delete a user and a group; the directory survives a restart.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalGateway, type LocalGateway } from "../../local/gateway";

const dataDir = mkdtempSync(join(tmpdir(), "gw-scim-"));
let gw: LocalGateway;
beforeAll(async () => {
  gw = await startLocalGateway({ port: 0, dataDir, quiet: true });
});
afterAll(async () => gw?.close());

function client() {
  const { baseUrl, token } = gw.scim[0]!;
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

describe("SCIM against the local gateway", () => {
  test("the demo directory provisions, updates, deactivates and deletes; survives a restart", async () => {
    expect(gw.scim[0]!.baseUrl).toBe(`${gw.url}/scim/v2/demo`);
    let scim = client();
    const created = await scim("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "Barbara@demo.example",
      name: { givenName: "Barbara", familyName: "Liskov" },
      emails: [{ value: "barbara@demo.example", type: "work", primary: true }],
      active: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const group = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Engineering", members: [{ value: id }] });
    expect(group.status).toBe(201);

    const port = Number(new URL(gw.url).port);
    await gw.close();
    gw = await startLocalGateway({ port, dataDir, quiet: true });
    scim = client();

    const found = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "barbara@DEMO.example"')}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, userName: "Barbara@demo.example" }] });
    expect((await scim("GET", `/Users/${id}`)).body.groups).toMatchObject([{ value: group.body.id, display: "Engineering" }]);
    const off = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(off.body.active).toBe(false);
    expect((await scim("DELETE", `/Groups/${group.body.id}`)).status).toBe(204);
    expect((await scim("DELETE", `/Users/${id}`)).status).toBe(204);
    const gone = await scim("GET", `/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404" });
    const anon = await fetch(`${gw.scim[0]!.baseUrl}/Users`);
    expect(anon.status).toBe(401);
  });
});
