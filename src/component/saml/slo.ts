// SLO transactions. Revoking is real: sessions.revokedAt is set and the session's refresh tokens are deleted
// (revokeSession), so the app can no longer refresh; the short-lived JWT it holds expires on its own.
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import type { Doc } from "../_generated/dataModel";
import { revokeSession } from "../oauth/grants";
import { logEvent } from "../signin";
import { newSamlId } from "../../saml/encoding";
import { configOf, endpointsFor, samlConnectionById, samlFail, spKeys } from "./lib";
import type { SamlConfig } from "../../saml/config";

const LOGOUT_TTL_MS = 10 * 60_000;

/** Where our logout messages go: the IdP's HTTP-Redirect SLO endpoint, else its HTTP-POST one. */
function idpSloEndpoint(cfg: SamlConfig): { binding: "redirect" | "post"; url: string } | null {
  const s = cfg.idp.sloUrls;
  if (s?.redirect) return { binding: "redirect", url: s.redirect };
  if (s?.post) return { binding: "post", url: s.post };
  return null;
}

/** What the HTTP action needs to check an inbound logout message and to answer it. */
export const loadForSlo = internalQuery({
  args: { connectionId: v.string() },
  handler: async (ctx, { connectionId }) => {
    const connection = await samlConnectionById(ctx, connectionId);
    if (!connection) return null;
    const cfg = configOf(connection);
    const signing = (await spKeys(ctx, connection._id, "signing")).find((k) => k.status === "active");
    const ep = endpointsFor(connection._id);
    return {
      connectionId: connection._id,
      groupId: connection.groupId,
      enabled: cfg.slo.enabled && connection.status === "active",
      idpEntityId: cfg.idp.entityId,
      idpCertificates: [...cfg.idp.certificates],
      idpSlo: idpSloEndpoint(cfg),
      signingCertificate: signing?.certificate ?? null,
      allowSha1: cfg.security.dangerouslyAllowSha1,
      clockSkewSec: cfg.security.clockSkewSec,
      spEntityId: ep.entityId,
      sloUrl: ep.sloUrl,
      sealedSigningKey: signing?.sealedPrivateKey ?? null,
    };
  },
});

/** IdP-initiated: revoke every gateway session that came from this NameID (and SessionIndex, when given). */
export const revokeByNameId = internalMutation({
  args: { connectionId: v.id("connections"), nameId: v.string(), sessionIndexes: v.array(v.string()) },
  returns: v.number(),
  handler: async (ctx, { connectionId, nameId, sessionIndexes }) => {
    const links = await ctx.db
      .query("samlSessions")
      .withIndex("by_connectionId_and_nameId", (q) => q.eq("connectionId", connectionId).eq("nameId", nameId))
      .take(200);
    let revoked = 0;
    for (const link of links) {
      if (sessionIndexes.length && (!link.sessionIndex || !sessionIndexes.includes(link.sessionIndex))) continue;
      const session = await ctx.db.get(link.sessionId);
      if (session && session.revokedAt === undefined) {
        await revokeSession(ctx, session, "saml_slo_idp");
        revoked++;
      }
      await ctx.db.delete(link._id);
    }
    const connection = await ctx.db.get(connectionId);
    await logEvent(ctx, "saml.slo.idp", connection?.groupId, { connectionId, revoked });
    return revoked;
  },
});

/**
 * SP-initiated: the app proves the session with its refresh token. The session is revoked here, before the
 * browser even reaches the IdP; the LogoutRequest only asks the IdP to end its own session too.
 */
export const startLogout = internalMutation({
  args: { connectionId: v.string(), refreshTokenHash: v.string(), returnTo: v.optional(v.string()) },
  handler: async (ctx, { connectionId, refreshTokenHash, returnTo }) => {
    const connection = await samlConnectionById(ctx, connectionId);
    if (!connection) throw samlFail("connection_unknown", "no such SAML connection");
    const token = await ctx.db.query("refreshTokens").withIndex("by_hash", (q) => q.eq("hash", refreshTokenHash)).unique();
    const session: Doc<"sessions"> | null = token ? await ctx.db.get(token.sessionId) : null;
    if (!session || session.connectionId !== connection._id) {
      throw samlFail("slo_malformed", "the refresh token does not belong to a session of this connection");
    }
    let safeReturn: string | undefined;
    if (returnTo) {
      const app = await ctx.db.get(session.appId);
      const origin = (() => {
        try {
          return new URL(returnTo).origin;
        } catch {
          return null;
        }
      })();
      if (origin && app?.redirectUris.some((u) => new URL(u).origin === origin)) safeReturn = returnTo;
    }
    const link = await ctx.db.query("samlSessions").withIndex("by_sessionId", (q) => q.eq("sessionId", session._id)).first();
    await revokeSession(ctx, session, "saml_slo_sp");
    const cfg = configOf(connection);
    const signing = (await spKeys(ctx, connection._id, "signing")).find((k) => k.status === "active");
    const idpSlo = idpSloEndpoint(cfg);
    if (!cfg.slo.enabled || !idpSlo || !link || !signing) {
      if (link) await ctx.db.delete(link._id);
      return { kind: "local" as const, returnTo: safeReturn ?? null };
    }
    const requestId = newSamlId();
    await ctx.db.insert("samlLogoutRequests", {
      connectionId: connection._id,
      requestId,
      returnTo: safeReturn,
      expiresAt: Date.now() + LOGOUT_TTL_MS,
    });
    await ctx.db.delete(link._id);
    return {
      kind: "idp" as const,
      requestId,
      destination: idpSlo.url,
      binding: idpSlo.binding,
      issuer: endpointsFor(connection._id).entityId,
      nameId: link.nameId,
      nameIdFormat: link.nameIdFormat ?? null,
      sessionIndex: link.sessionIndex ?? null,
      sealedSigningKey: signing.sealedPrivateKey,
      signingCertificate: signing.certificate,
    };
  },
});

/** The IdP's LogoutResponse to our request: consume the pending row, return where to send the browser. */
export const finishLogout = internalMutation({
  args: { connectionId: v.id("connections"), inResponseTo: v.string() },
  returns: v.union(v.object({ returnTo: v.union(v.string(), v.null()) }), v.null()),
  handler: async (ctx, { connectionId, inResponseTo }) => {
    const row = await ctx.db
      .query("samlLogoutRequests")
      .withIndex("by_connectionId_and_requestId", (q) => q.eq("connectionId", connectionId).eq("requestId", inResponseTo))
      .unique();
    if (!row || row.expiresAt <= Date.now()) return null;
    await ctx.db.delete(row._id);
    return { returnTo: row.returnTo ?? null };
  },
});
