// Portal SSO set-up, the database side. A connection begun in the portal is created "pending" with a placeholder
// IdP (so that its SP values — ACS URL, entity ID, metadata, redirect URI — exist for the IdP console), then
// gets the IdP's real metadata / issuer through the existing SAML and OIDC admin code, is tested with a real
// sign-in, and is activated only after a test that ran against its current configuration succeeded.
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery, type QueryCtx } from "../lib/functions";
import type { Doc, Id } from "../_generated/dataModel";
import { parseCertificate } from "../../saml/x509";
import { guideFor } from "../../portal/idps";
import type { TestView } from "../../portal/pages";
import { gatewayOptions, siteUrl } from "../lib/env";
import { endpointsFor } from "../saml/lib";
import { logEvent } from "../signin";

const portalError = (code: string, message: string) => new ConvexError({ kind: "PortalError", code, message });

async function groupConnection(ctx: QueryCtx, groupId: Id<"groups">, raw: string) {
  const id = ctx.db.normalizeId("connections", raw);
  const c = id ? await ctx.db.get(id) : null;
  return c && c.groupId === groupId ? c : null;
}

async function setupOf(ctx: QueryCtx, connectionId: Id<"connections">) {
  return ctx.db.query("portalSetups").withIndex("by_connectionId", (q) => q.eq("connectionId", connectionId)).unique();
}

/** The latest test of a connection: pending, succeeded, or failed (a trace of this connection since it began). */
async function latestTest(ctx: QueryCtx, connectionId: Id<"connections">): Promise<TestView | undefined> {
  const t = await ctx.db
    .query("portalTests")
    .withIndex("by_connectionId_and_startedAt", (q) => q.eq("connectionId", connectionId))
    .order("desc")
    .first();
  if (!t) return undefined;
  return testView(ctx, t);
}

async function testView(ctx: QueryCtx, t: Doc<"portalTests">): Promise<TestView> {
  if (t.status === "succeeded") return { id: t._id, startedAt: t.startedAt, status: "succeeded", result: t.result };
  const trace = await ctx.db
    .query("ssoTraces")
    .withIndex("by_connectionId_and_at", (q) => q.eq("connectionId", t.connectionId).gte("at", t.startedAt))
    .order("desc")
    .first();
  if (trace) return { id: t._id, startedAt: t.startedAt, status: "failed", failure: { code: trace.code, detail: trace.detail, at: trace.at, ref: trace.ref } };
  return { id: t._id, startedAt: t.startedAt, status: "pending" };
}

export const listConnections = internalQuery({
  args: { groupId: v.id("groups") },
  handler: async (ctx, { groupId }) => {
    const rows = await ctx.db.query("connections").withIndex("by_group", (q) => q.eq("groupId", groupId)).take(50);
    return rows.map((c) => ({ id: c._id as string, name: c.name, kind: c.kind, status: c.status }));
  },
});

/** Everything the connection page shows. Never a secret: the OIDC client secret is sealed and not returned. */
export const connectionView = internalQuery({
  args: { groupId: v.id("groups"), connectionId: v.string() },
  handler: async (ctx, { groupId, connectionId }) => {
    const c = await groupConnection(ctx, groupId, connectionId);
    if (!c) return null;
    const setup = await setupOf(ctx, c._id);
    const ep = endpointsFor(c._id);
    const configured = setup ? setup.configuredAt !== undefined : true;
    const certificates =
      c.kind === "saml" && configured
        ? await Promise.all(
            ((c.config?.idp?.certificates ?? []) as string[]).map(async (pem) => {
              const info = await parseCertificate(pem);
              return { subjectCn: info.subjectCn ?? null, notAfter: info.notAfter, sha256: info.sha256 };
            }),
          )
        : [];
    const form: Record<string, string> = {};
    if (configured && c.kind === "saml" && c.config?.idp?.metadataUrl) form.metadataUrl = String(c.config.idp.metadataUrl);
    if (configured && c.kind === "oidc") {
      form.issuer = String(c.config?.issuer ?? "");
      form.clientId = String(c.config?.clientId ?? "");
    }
    const idp = setup?.idp ?? (c.kind === "saml" ? "saml" : "oidc");
    return {
      connection: { id: c._id as string, name: c.name, kind: c.kind, status: c.status },
      idp: guideFor(idp) ? idp : c.kind,
      configured,
      sp: { acsUrl: ep.acsUrl, entityId: ep.entityId, metadataUrl: ep.metadataUrl, redirectUri: `${siteUrl()}/sso/oidc/${c._id}/callback` },
      form,
      test: await latestTest(ctx, c._id),
      certificates,
      /** The SAML config the metadata refresh starts from (no secrets in it: SP keys live in samlSpKeys). */
      config: c.kind === "saml" ? c.config : null,
    };
  },
});

/** After the draft connection exists: remember which guide it follows. */
export const recordDraft = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), connectionId: v.id("connections"), idp: v.string() },
  returns: v.null(),
  handler: async (ctx, a) => {
    await ctx.db.insert("portalSetups", { groupId: a.groupId, connectionId: a.connectionId, idp: a.idp });
    await logEvent(ctx, "portal.connection.created", a.groupId, { connectionId: a.connectionId, idp: a.idp, portalSessionId: a.sessionId });
    return null;
  },
});

/** The IdP side was saved: a new test is needed before activation. */
export const recordConfigured = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), connectionId: v.id("connections") },
  returns: v.null(),
  handler: async (ctx, a) => {
    const c = await ctx.db.get(a.connectionId);
    if (!c || c.groupId !== a.groupId) throw portalError("unknown_connection", "no such connection in this group");
    const setup = await setupOf(ctx, c._id);
    const now = Date.now();
    if (setup) await ctx.db.patch(setup._id, { configuredAt: now });
    else await ctx.db.insert("portalSetups", { groupId: a.groupId, connectionId: c._id, idp: c.kind, configuredAt: now });
    await logEvent(ctx, "portal.connection.configured", a.groupId, { connectionId: c._id, portalSessionId: a.sessionId });
    return null;
  },
});

/** The Test button: a pending test row; the sign-in itself starts at /portal/sso/test/{id}/go. */
export const startTest = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), connectionId: v.string() },
  returns: v.id("portalTests"),
  handler: async (ctx, a) => {
    const c = await groupConnection(ctx, a.groupId, a.connectionId);
    if (!c) throw portalError("unknown_connection", "no such connection in this group");
    if (c.status === "disabled") throw portalError("connection_disabled", "the connection is disabled");
    const setup = await setupOf(ctx, c._id);
    if (setup && setup.configuredAt === undefined) throw portalError("not_configured", "save the IdP's details first");
    const testId = await ctx.db.insert("portalTests", {
      groupId: a.groupId,
      connectionId: c._id,
      portalSessionId: a.sessionId,
      startedAt: Date.now(),
      status: "pending",
    });
    await logEvent(ctx, "portal.connection.test_started", a.groupId, { connectionId: c._id, portalTestId: testId, portalSessionId: a.sessionId });
    return testId;
  },
});

/** The test window: a pending sign-in request bound to the test (no app, no PKCE: it ends in the portal). */
export const beginTestSignIn = internalMutation({
  args: { groupId: v.id("groups"), testId: v.string() },
  handler: async (ctx, a) => {
    const id = ctx.db.normalizeId("portalTests", a.testId);
    const test = id ? await ctx.db.get(id) : null;
    if (!test || test.groupId !== a.groupId || test.status !== "pending") return null;
    const connection = await ctx.db.get(test.connectionId);
    if (!connection || connection.status === "disabled") return null;
    const authRequestId = await ctx.db.insert("authRequests", {
      portalTestId: test._id,
      redirectUri: "",
      codeChallenge: "",
      groupId: connection.groupId,
      connectionId: connection._id,
      expiresAt: Date.now() + gatewayOptions().authRequest.ttlMs,
    });
    return { connection, authRequestId };
  },
});

export const testResult = internalQuery({
  args: { groupId: v.id("groups"), testId: v.string() },
  handler: async (ctx, a) => {
    const id = ctx.db.normalizeId("portalTests", a.testId);
    const test = id ? await ctx.db.get(id) : null;
    if (!test || test.groupId !== a.groupId) return null;
    return { connectionId: test.connectionId as string, view: await testView(ctx, test) };
  },
});

/** Activate: only after a test that ran against the current configuration succeeded. */
export const activate = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), connectionId: v.string() },
  returns: v.null(),
  handler: async (ctx, a) => {
    const c = await groupConnection(ctx, a.groupId, a.connectionId);
    if (!c) throw portalError("unknown_connection", "no such connection in this group");
    const setup = await setupOf(ctx, c._id);
    if (c.status !== "pending" || !setup) throw portalError("not_pending", "only a connection set up here and not yet active can be activated");
    if (!(setup.configuredAt && setup.testedAt && setup.testedAt >= setup.configuredAt)) {
      throw portalError("not_tested", "run a successful test sign-in with the current settings first");
    }
    await ctx.db.patch(c._id, { status: "active", updatedAt: Date.now() });
    await logEvent(ctx, "portal.connection.activated", a.groupId, { connectionId: c._id, portalSessionId: a.sessionId });
    await logEvent(ctx, "connection.activated", a.groupId, { connectionId: c._id, kind: c.kind });
    return null;
  },
});
