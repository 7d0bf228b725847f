// OIDC parts of issue 9: the Google hosted-domain check, Entra groups overage read from Microsoft Graph
// (an in-process Graph stub on 127.0.0.1) or failing closed, and a token-endpoint timeout traced as such.
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { internal } from "../../src/component/_generated/api";
import {
  baseClaims,
  expectOnlyTrace,
  fakeCallback,
  fakeLogin,
  setupWithFakeOp,
  signIdToken,
  startLoopbackServer,
  type FakeHarness,
  type LoopbackServer,
} from "./harness";

let h: FakeHarness | undefined;
let graph: LoopbackServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await h?.close();
  await graph?.close();
  h = undefined;
  graph = undefined;
});

function answerWith(x: FakeHarness, extra: Record<string, unknown>, drop: string[] = []) {
  x.op.tokenResponse = async ({ nonce }) => {
    const claims: Record<string, unknown> = { ...baseClaims(x.op, nonce), ...extra };
    for (const k of drop) delete claims[k];
    return { body: { access_token: "graph-access-token", token_type: "Bearer", id_token: await signIdToken(claims, x.op.key) } };
  };
}

describe("Google Workspace hosted domain (preset google)", () => {
  const google = { preset: "google", authorizationParams: { hd: "acme.example" } };

  it("accepts an ID token whose hd is the configured domain", async () => {
    h = await setupWithFakeOp({ config: google });
    answerWith(h, { hd: "acme.example" });
    expect((await fakeCallback(h, await fakeLogin(h))).status).toBe(302);
  });

  it.each([
    ["another hd", { hd: "gmail-like.example" }, []],
    ["no hd (a consumer Google account)", {}, ["hd"]],
  ])("refuses %s: hosted_domain_mismatch, only the trace is written", async (_n, extra, drop) => {
    h = await setupWithFakeOp({ config: google });
    answerWith(h, extra, drop as string[]);
    const cb = await fakeLogin(h);
    await expectOnlyTrace(h.t, "hosted_domain_mismatch", () => fakeCallback(h!, cb));
  });

  it("a google connection without authorizationParams.hd is refused when written", async () => {
    h = await setupWithFakeOp();
    await expect(
      h.t.action(internal.oidc.admin.saveConnection, {
        groupId: h.groupId,
        name: "Google",
        config: { preset: "google", issuer: h.op.issuer, clientId: "c", clientSecret: "s" },
      }),
    ).rejects.toThrow(/authorizationParams\.hd/);
  });
});

const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
const overageClaims = {
  tid: TENANT,
  _claim_names: { groups: "src1" },
  // Entra's legacy endpoint in the token is never called: the gateway asks its configured Graph base.
  _claim_sources: { src1: { endpoint: "https://graph.windows.net/x/users/y/getMemberObjects" } },
};

/** Graph stub: /v1.0/me/transitiveMemberOf in pages of two, only for the right bearer token. */
async function startGraph(groupIds: string[], opts: { status?: number } = {}) {
  const s = await startLoopbackServer();
  s.fallback = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", s.origin);
    if (url.pathname !== "/graph/v1.0/me/transitiveMemberOf/microsoft.graph.group") return void res.writeHead(404).end();
    if (req.headers.authorization !== "Bearer graph-access-token") return void res.writeHead(401).end();
    if (opts.status) return void res.writeHead(opts.status).end();
    const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
    const page = groupIds.slice(skip, skip + 2).map((id) => ({ id, displayName: `Group ${id}` }));
    const next = skip + 2 < groupIds.length ? `${s.origin}/graph/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id&$skiptoken=${skip + 2}` : undefined;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ value: page, ...(next ? { "@odata.nextLink": next } : {}) }));
  };
  return s;
}

async function entraWithGraph(onFailure?: "refuse" | "default_role") {
  graph ??= await startGraph(["g-1", "g-2", "g-3", "g-admins", "g-5"]);
  const base = `${graph.origin}/graph`;
  h = await setupWithFakeOp({
    config: { preset: "entra", tenantId: TENANT, groupsOverage: { graphBaseUrl: base, ...(onFailure ? { onFailure } : {}) } },
    roleRules: [{ value: "g-admins", role: "admin" }],
  });
  return h;
}

describe("Entra groups overage → Microsoft Graph", () => {
  it("reads every page of the person's groups from Graph with the access token; roles follow", async () => {
    const x = await entraWithGraph();
    answerWith(x, overageClaims, ["groups"]);
    expect((await fakeCallback(x, await fakeLogin(x))).status).toBe(302);
    const m = await x.t.run(async (ctx) => ctx.db.query("memberships").first());
    expect(m!.roles).toEqual(["admin"]);
    expect(graph!.hits.filter((p) => p.endsWith("microsoft.graph.group"))).toHaveLength(3); // 5 groups, pages of 2
  });

  it("Graph unavailable, policy refuse (default): the login is refused, earlier roles are not reused", async () => {
    const x = await entraWithGraph();
    answerWith(x, { tid: TENANT, groups: ["g-admins"] });
    expect((await fakeCallback(x, await fakeLogin(x))).status).toBe(302);
    await graph!.close();
    graph = await startGraph([], { status: 503 });
    await x.t.run(async (ctx) => {
      const c = (await ctx.db.get(x.connectionId))!;
      await ctx.db.patch(c._id, { config: { ...c.config, groupsOverage: { graphBaseUrl: `${graph!.origin}/graph` } } });
    });
    answerWith(x, overageClaims, ["groups"]);
    const cb = await fakeLogin(x);
    await expectOnlyTrace(x.t, "groups_overage_unresolved", () => fakeCallback(x, cb));
  });

  it('Graph unavailable, policy "default_role": signs in with the default role, not the earlier admin role', async () => {
    const x = await entraWithGraph("default_role");
    answerWith(x, { tid: TENANT, groups: ["g-admins"] });
    expect((await fakeCallback(x, await fakeLogin(x))).status).toBe(302);
    expect((await x.t.run(async (ctx) => ctx.db.query("memberships").first()))!.roles).toEqual(["admin"]);
    await graph!.close();
    graph = await startGraph([], { status: 503 });
    await x.t.run(async (ctx) => {
      const c = (await ctx.db.get(x.connectionId))!;
      await ctx.db.patch(c._id, { config: { ...c.config, groupsOverage: { graphBaseUrl: `${graph!.origin}/graph`, onFailure: "default_role" } } });
    });
    answerWith(x, overageClaims, ["groups"]);
    expect((await fakeCallback(x, await fakeLogin(x))).status).toBe(302);
    expect((await x.t.run(async (ctx) => ctx.db.query("memberships").first()))!.roles).toEqual(["member"]);
    const events = await x.t.run(async (ctx) => ctx.db.query("events").collect());
    expect(events.filter((e) => e.type === "oidc.groups_not_delivered")).toHaveLength(1);
  });

  it("a nextLink leaving the configured Graph base is not followed (the token is not sent elsewhere)", async () => {
    const s = await startLoopbackServer();
    graph = s;
    let leaked = false;
    s.overrides.push((req, res) => {
      if (!req.url?.startsWith("/elsewhere")) return false;
      leaked = true;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: [] }));
      return true;
    });
    s.fallback = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ value: [{ id: "g-1" }], "@odata.nextLink": `${s.origin}/elsewhere/next` }));
    };
    const x = await entraWithGraph();
    answerWith(x, overageClaims, ["groups"]);
    const cb = await fakeLogin(x);
    await expectOnlyTrace(x.t, "groups_overage_unresolved", () => fakeCallback(x, cb));
    expect(leaked).toBe(false);
  });
});

describe("token endpoint timeout", () => {
  it("is traced as idp_timeout (not fetch_refused)", async () => {
    vi.stubEnv("GATEWAY_OIDC_TIMEOUT_MS", "1000");
    h = await setupWithFakeOp();
    const x = h;
    x.op.net.overrides.push((req) => req.url === "/fake/token" /* never answered */);
    const cb = await fakeLogin(x);
    await expectOnlyTrace(x.t, "idp_timeout", () => fakeCallback(x, cb));
  });
});
