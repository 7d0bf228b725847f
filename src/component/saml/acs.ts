// ACS transactions. `load` reads what validation needs; `finish` is THE one mutation of a login: InResponseTo
// single use + assertion replay cache + complete-sign-in + the SLO link, all or nothing. Any refusal throws a
// ConvexError (kind SamlError / SignInError) so that nothing it did is kept; the HTTP action then records a trace.
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { completeSignIn } from "../signin";
import { mapProfile, MappingError } from "../../saml/attributes";
import { siteUrl } from "../lib/env";
import { assertionValidator, configOf, endpointsFor, samlConnectionById, samlFail, spKeys } from "./lib";

export const load = internalQuery({
  args: { connectionId: v.string(), relayState: v.optional(v.string()), inResponseTo: v.optional(v.string()) },
  handler: async (ctx, { connectionId, relayState, inResponseTo }) => {
    const connection = await samlConnectionById(ctx, connectionId);
    if (!connection) return { ok: false as const, code: "connection_unknown" };
    // "pending" (portal set-up) passes: completeSignIn lets only its test sign-in through.
    if (connection.status === "disabled") {
      return { ok: false as const, code: "connection_disabled", connectionId: connection._id, groupId: connection.groupId };
    }
    const cfg = configOf(connection);
    const now = Date.now();
    // The RelayState we issued points at exactly one pending request. Without one (the IdP dropped it), the
    // response's own InResponseTo claim is looked up by index — never a scan of the newest N, which anonymous
    // /sso/authorize calls could crowd out. The validator and the mutation still enforce the exact match.
    const pending = (row: { connectionId: string; usedAt?: number; expiresAt: number } | null) =>
      row !== null && row.connectionId === connection._id && row.usedAt === undefined && row.expiresAt > now;
    let requestIds: string[] = [];
    if (relayState) {
      const row = await ctx.db.query("samlRequests").withIndex("by_relayState", (q) => q.eq("relayState", relayState)).unique();
      if (pending(row)) requestIds = [row!.requestId];
    }
    if (requestIds.length === 0 && inResponseTo) {
      const row = await ctx.db
        .query("samlRequests")
        .withIndex("by_connectionId_and_requestId", (q) => q.eq("connectionId", connection._id).eq("requestId", inResponseTo))
        .unique();
      if (pending(row)) requestIds = [row!.requestId];
    }
    const encryptionKeys = (await spKeys(ctx, connection._id, "encryption")).map((k) => k.sealedPrivateKey);
    const ep = endpointsFor(connection._id);
    return {
      ok: true as const,
      connectionId: connection._id,
      groupId: connection.groupId,
      expected: {
        acsUrl: ep.acsUrl,
        spEntityId: ep.entityId,
        idpEntityId: cfg.idp.entityId,
        idpCertificates: [...cfg.idp.certificates],
        requestIds,
        allowIdpInitiated: cfg.idpInitiated.enabled,
        wantAssertionsSigned: !cfg.security.dangerouslyAllowResponseOnlySignature,
        allowSha1: cfg.security.dangerouslyAllowSha1,
        clockSkewSec: cfg.security.clockSkewSec,
        maxBytes: cfg.security.maxResponseBytes,
      },
      sealedDecryptionKeys: encryptionKeys,
    };
  },
});

export const finish = internalMutation({
  args: { connectionId: v.id("connections"), relayState: v.optional(v.string()), assertion: assertionValidator, signerSha256: v.optional(v.string()) },
  returns: v.object({ redirectTo: v.string() }),
  handler: async (ctx, { connectionId, relayState, assertion, signerSha256 }) => {
    const now = Date.now();
    const connection = await ctx.db.get(connectionId);
    if (!connection || connection.kind !== "saml") throw samlFail("connection_unknown", "connection vanished");
    if (connection.status === "disabled") throw samlFail("connection_disabled", "the connection is disabled");
    const cfg = configOf(connection);

    // 1. Replay cache: an assertion ID is consumed once, remembered until the validator would refuse it anyway
    //    (assertion.notOnOrAfter is already the earliest NotOnOrAfter + skew; one more skew is a margin).
    const seen = await ctx.db
      .query("samlSeenAssertions")
      .withIndex("by_connectionId_and_assertionId", (q) => q.eq("connectionId", connectionId).eq("assertionId", assertion.id))
      .first();
    if (seen) throw samlFail("replayed_assertion", `assertion ID was already consumed at ${new Date(seen.at).toISOString()}`);
    await ctx.db.insert("samlSeenAssertions", {
      connectionId,
      assertionId: assertion.id,
      expiresAt: Math.max(assertion.notOnOrAfter, now) + cfg.security.clockSkewSec * 1000,
      at: now,
    });

    // 2. Profile (fails before anything else is written if the subject attribute is missing).
    let profile;
    try {
      profile = mapProfile(assertion, cfg.mapping);
    } catch (e) {
      if (e instanceof MappingError) throw samlFail("subject_missing", e.message);
      throw e;
    }

    // Which IdP certificate signs now (the portal's certificates page). Written only when it changes; this
    // transaction is all or nothing, so a sign-in refused below records nothing.
    if (signerSha256 !== undefined && connection.idpSignedBy?.sha256 !== signerSha256) {
      await ctx.db.patch(connectionId, { idpSignedBy: { sha256: signerSha256, firstSeenAt: now } });
    }

    // 3a. Unsolicited (IdP-initiated): no request to bind to. We never mint a session from it; the browser goes
    //     to the app's login-initiation URL and the app starts a PKCE-bound SP-initiated flow (docs/saml.md).
    if (assertion.inResponseTo === null) {
      if (!cfg.idpInitiated.enabled) throw samlFail("unsolicited_response", "IdP-initiated login is off for this connection");
      if (!cfg.idpInitiated.initiateLoginUri) throw samlFail("idp_initiated_no_app", "no initiateLoginUri configured");
      const to = new URL(cfg.idpInitiated.initiateLoginUri);
      to.searchParams.set("connection", connectionId);
      to.searchParams.set("iss", siteUrl()); // OIDC Core §4 third-party-initiated login shape
      await ctx.db.insert("events", {
        type: "saml.idp_initiated",
        groupId: connection.groupId,
        data: { connectionId, subject: profile.subject },
        at: now,
      });
      return { redirectTo: to.toString() };
    }

    // 3b. SP-initiated: InResponseTo names one pending request of this connection, used once.
    const request = await ctx.db
      .query("samlRequests")
      .withIndex("by_connectionId_and_requestId", (q) => q.eq("connectionId", connectionId).eq("requestId", assertion.inResponseTo!))
      .unique();
    if (!request) throw samlFail("in_response_to_mismatch", "InResponseTo names no request of this connection");
    if (request.usedAt !== undefined) throw samlFail("request_used", "the AuthnRequest was already answered");
    if (request.expiresAt <= now) throw samlFail("request_expired", "the AuthnRequest has expired");
    if (relayState !== undefined && relayState !== request.relayState) {
      throw samlFail("relay_state_invalid", "RelayState does not belong to the answered request");
    }
    await ctx.db.patch(request._id, { usedAt: now });

    const { redirectTo, sessionId } = await completeSignIn(ctx, {
      authRequestId: request.authRequestId,
      connectionId,
      authMethod: "saml",
      profile,
    });
    if (!sessionId) return { redirectTo }; // a portal test sign-in: no session to log out of
    const session = await ctx.db.get(sessionId);
    await ctx.db.insert("samlSessions", {
      sessionId,
      connectionId,
      nameId: assertion.nameId,
      nameIdFormat: assertion.nameIdFormat ?? undefined,
      sessionIndex: assertion.sessionIndex ?? undefined,
      expiresAt: session?.expiresAt ?? now,
    });
    return { redirectTo };
  },
});
