// Portal certificates, the database side: what the certificates page shows for one SAML connection of the
// session's group, and the IdP trust-list changes (add the next certificate, make one current, remove a next one),
// each one transaction that validates the config, records the certificate history and the portal audit event.
// Our own SP keys rotate through saml/admin:rotateSpKeys (the portal HTTP handler calls it, then audits).
import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery, type QueryCtx } from "../lib/functions";
import type { Id } from "../_generated/dataModel";
import { parseCertificate } from "../../saml/x509";
import { guideFor } from "../../portal/idps";
import type { IdpCertRow, SpKeyRow } from "../../portal/certificatesPage";
import { configOf, endpointsFor } from "../saml/lib";
import { recordCertChanges, validated } from "../saml/admin";
import { logEvent } from "../signin";

const certError = (code: string, message: string) => new ConvexError({ kind: "PortalCertificateError", code, message });

/** A SAML connection of this group (never another group's, whatever id the URL names). */
async function groupSamlConnection(ctx: QueryCtx, groupId: Id<"groups">, raw: string) {
  const id = ctx.db.normalizeId("connections", raw);
  const c = id ? await ctx.db.get(id) : null;
  return c && c.groupId === groupId && c.kind === "saml" ? c : null;
}

export const view = internalQuery({
  args: { groupId: v.id("groups"), connectionId: v.string() },
  handler: async (ctx, { groupId, connectionId }) => {
    const c = await groupSamlConnection(ctx, groupId, connectionId);
    if (!c) return null;
    const cfg = configOf(c);
    const idpCertificates: IdpCertRow[] = await Promise.all(
      cfg.idp.certificates.map(async (cert, i) => {
        const info = await parseCertificate(cert);
        // The certificate that verified the latest sign-in (saml/acs:finish records it when it changes).
        const signing = c.idpSignedBy?.sha256 === info.sha256 ? { signingSince: c.idpSignedBy.firstSeenAt } : {};
        return { role: i === 0 ? "current" : "next", subjectCn: info.subjectCn, notAfter: info.notAfter, sha256: info.sha256, ...signing } as const;
      }),
    );
    const rows = await ctx.db
      .query("samlSpKeys")
      .withIndex("by_connectionId_and_use", (q) => q.eq("connectionId", c._id))
      .order("desc")
      .take(20);
    const keys: SpKeyRow[] = [];
    for (const k of rows) {
      if (k.status === "retired") continue;
      const info = await parseCertificate(k.certificate);
      keys.push({ use: k.use, status: k.status, subjectCn: info.subjectCn, notAfter: k.notAfter, sha256: info.sha256, createdAt: k.createdAt, replacedAt: k.replacedAt });
    }
    const setup = await ctx.db.query("portalSetups").withIndex("by_connectionId", (q) => q.eq("connectionId", c._id)).unique();
    // The IdP's name in the page's sentences; the generic "Other SAML 2.0 IdP" guide reads better as "your IdP".
    const guide = setup && setup.idp !== "saml" ? guideFor(setup.idp) : undefined;
    return {
      connection: { id: c._id as string, name: c.name, kind: c.kind, status: c.status },
      idpLabel: guide?.label ?? "your IdP",
      configured: setup ? setup.configuredAt !== undefined : true,
      idpCertificates,
      /** DER base64 of the trusted list, for the duplicate check of an upload. */
      trusted: [...cfg.idp.certificates],
      metadataUrl: cfg.idp.metadataUrl ?? null,
      sp: {
        keys,
        signs: cfg.sp.signAuthnRequests || cfg.idp.wantAuthnRequestsSigned || cfg.slo.enabled,
        encrypts: cfg.sp.encryptAssertions,
        metadataUrl: endpointsFor(c._id).metadataUrl,
      },
    };
  },
});

const idpChange = v.union(
  v.object({ op: v.literal("add"), certificate: v.string() }),
  v.object({ op: v.literal("promote"), sha256: v.string() }),
  v.object({ op: v.literal("remove"), sha256: v.string() }),
);

const AUDIT = { add: "portal.certificate.idp_added", promote: "portal.certificate.idp_promoted", remove: "portal.certificate.idp_removed" } as const;

/**
 * Change the IdP's trusted signing certificates. "add" appends the next certificate (already checked by
 * readNextCertificate in the HTTP action; the config validation here checks it again and caps the list at 4);
 * "promote" keeps only the named certificate (the IdP switched to it); "remove" drops a next certificate (never
 * the current one: a connection always trusts at least one).
 */
export const changeIdpCertificates = internalMutation({
  args: { sessionId: v.id("portalSessions"), groupId: v.id("groups"), connectionId: v.string(), change: idpChange },
  returns: v.null(),
  handler: async (ctx, a) => {
    const c = await groupSamlConnection(ctx, a.groupId, a.connectionId);
    if (!c) throw certError("unknown_connection", "no such SAML connection in this group");
    const before = [...configOf(c).idp.certificates];
    const shas = await Promise.all(before.map(async (cert) => (await parseCertificate(cert)).sha256));
    let after: string[];
    const ch = a.change;
    if (ch.op === "add") {
      if (before.length >= 4) throw certError("too_many", "Certificate: four certificates are trusted already; remove one first.");
      const added = await parseCertificate(ch.certificate);
      if (shas.includes(added.sha256)) throw certError("duplicate", "Certificate: is already trusted for this connection.");
      after = [...before, added.der];
    } else {
      const i = shas.indexOf(ch.sha256);
      if (i < 1) throw certError("unknown_certificate", "That certificate is not a next certificate of this connection; reload the page.");
      after = ch.op === "promote" ? [before[i]!] : before.filter((_, j) => j !== i);
    }
    const config = validated({ ...c.config, idp: { ...c.config.idp, certificates: after } });
    await recordCertChanges(ctx, c._id, c.groupId, before, config.idp.certificates, "admin");
    await ctx.db.patch(c._id, { config, updatedAt: Date.now() });
    const sha256 = ch.op === "add" ? (await parseCertificate(ch.certificate)).sha256 : ch.sha256;
    await logEvent(ctx, AUDIT[ch.op], c.groupId, { connectionId: c._id, sha256, portalSessionId: a.sessionId });
    return null;
  },
});
