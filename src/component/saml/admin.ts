// Admin operations on SAML connections (internal: the admin CLI / console and the local gateway call them).
// Config is validated where it is written: a bad field throws ConvexError({ kind: "SamlConfigError", path, … }).
import { ConvexError, v } from "convex/values";
import { internalAction, internalMutation, internalQuery, type MutationCtx } from "../lib/functions";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import { parseSamlConfig, SamlConfigError, type SamlConfig } from "../../saml/config";
import { parseIdpMetadata, MetadataError, type IdpMetadata } from "../../saml/idpMetadata";
import { configFromMetadata, refreshIdpFromMetadata } from "../../saml/connectionConfig";
import { parseCertificate, generateSelfSignedCert } from "../../saml/x509";
import { guardedFetchText, FetchGuardError } from "../../saml/netguard";
import { sealSecret } from "../lib/crypto";
import { isLocalGateway } from "../lib/env";
import { logEvent } from "../signin";
import { endpointsFor } from "./lib";
import { revokeConnectionSessions } from "../oauth/grants";
import { appByClientId } from "../lib/lookups";

const roleRulesValidator = v.array(v.object({ value: v.string(), role: v.string() }));
const keyValidator = v.object({
  use: v.union(v.literal("signing"), v.literal("encryption")),
  sealedPrivateKey: v.string(),
  certificate: v.string(),
  notAfter: v.number(),
});

export const METADATA_MAX_BYTES = 1_048_576;
export const METADATA_TIMEOUT_MS = 10_000;

export function validated(config: unknown): SamlConfig {
  try {
    return parseSamlConfig(config);
  } catch (e) {
    if (e instanceof SamlConfigError) {
      throw new ConvexError({ kind: "SamlConfigError", path: e.path, message: e.message, issues: e.issues.map((i) => ({ path: i.path, message: i.message })) });
    }
    throw e;
  }
}

/**
 * Checks that need the database: IdP-initiated login names an existing app, and its login-initiation URL is on
 * the origin of one of that app's redirect URIs (so an unsolicited response can only send people to the app).
 */
async function checkReferences(ctx: MutationCtx, config: SamlConfig) {
  const ii = config.idpInitiated;
  if (!ii.enabled || !ii.appClientId || !ii.initiateLoginUri) return;
  const app = await appByClientId(ctx, ii.appClientId!);
  const bad = (path: string, message: string) =>
    new ConvexError({ kind: "SamlConfigError", path, message: `${path}: ${message}`, issues: [{ path, message }] });
  if (!app) throw bad("idpInitiated.appClientId", "no app with this client_id");
  const origin = new URL(ii.initiateLoginUri).origin;
  if (!app.redirectUris.some((u) => new URL(u).origin === origin)) {
    throw bad("idpInitiated.initiateLoginUri", "must be on the origin of one of the app's redirect URIs");
  }
}

function metadataFailure(e: unknown): never {
  if (e instanceof MetadataError || e instanceof FetchGuardError) {
    throw new ConvexError({ kind: "SamlMetadataError", code: e.code, message: e.message });
  }
  throw e;
}

/** Fetch IdP metadata under the SSRF guard (https only, no private addresses outside the local gateway). */
export async function fetchIdpMetadata(url: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  try {
    return await guardedFetchText(url, {
      fetch: fetchImpl,
      allowLocal: isLocalGateway(),
      maxBytes: METADATA_MAX_BYTES,
      timeoutMs: METADATA_TIMEOUT_MS,
    });
  } catch (e) {
    return metadataFailure(e);
  }
}

/** Certificate history: one row per added / removed certificate, plus an event. */
export async function recordCertChanges(
  ctx: MutationCtx,
  connectionId: Id<"connections">,
  groupId: Id<"groups">,
  before: readonly string[],
  after: readonly string[],
  source: "metadata_url" | "admin",
) {
  const now = Date.now();
  const changes: { change: "added" | "removed"; sha256: string }[] = [];
  for (const [list, other, change] of [
    [after, before, "added"],
    [before, after, "removed"],
  ] as const) {
    for (const cert of list) {
      if (other.includes(cert)) continue;
      const info = await parseCertificate(cert);
      await ctx.db.insert("samlCertChanges", {
        connectionId,
        groupId,
        change,
        sha256: info.sha256,
        subjectCn: info.subjectCn ?? undefined,
        notAfter: info.notAfter,
        source,
        at: now,
      });
      changes.push({ change, sha256: info.sha256 });
    }
  }
  if (changes.length) await logEvent(ctx, "saml.certificates.changed", groupId, { connectionId, source, changes });
  return changes.length;
}

export const insertConnection = internalMutation({
  args: {
    groupId: v.id("groups"),
    name: v.string(),
    config: v.any(),
    roleRules: v.optional(roleRulesValidator),
    keys: v.array(keyValidator),
    status: v.optional(v.literal("pending")),
  },
  returns: v.id("connections"),
  handler: async (ctx, a) => {
    const config = validated(a.config);
    await checkReferences(ctx, config);
    if (!(await ctx.db.get(a.groupId))) throw new ConvexError({ kind: "SamlConfigError", path: "groupId", message: "groupId: no such group" });
    const now = Date.now();
    const connectionId = await ctx.db.insert("connections", {
      groupId: a.groupId,
      kind: "saml",
      name: a.name,
      status: a.status ?? "active",
      config,
      roleRules: a.roleRules,
      createdAt: now,
      updatedAt: now,
    });
    for (const k of a.keys) await ctx.db.insert("samlSpKeys", { connectionId, ...k, status: "active", createdAt: now });
    await recordCertChanges(ctx, connectionId, a.groupId, [], config.idp.certificates, "admin");
    await logEvent(ctx, "connection.created", a.groupId, { connectionId, kind: "saml" });
    return connectionId;
  },
});

/** Replace the config (validated) and/or role rules; records certificate changes. */
export const updateConnection = internalMutation({
  args: {
    connectionId: v.id("connections"),
    config: v.optional(v.any()),
    roleRules: v.optional(roleRulesValidator),
    name: v.optional(v.string()),
    status: v.optional(v.union(v.literal("active"), v.literal("disabled"))),
    source: v.optional(v.union(v.literal("metadata_url"), v.literal("admin"))),
  },
  handler: async (ctx, a) => {
    const c = await ctx.db.get(a.connectionId);
    if (!c || c.kind !== "saml") throw new ConvexError({ kind: "SamlConfigError", path: "connectionId", message: "no such SAML connection" });
    const patch: Record<string, unknown> = { updatedAt: Date.now() };
    if (a.config !== undefined) {
      const config = validated(a.config);
      await checkReferences(ctx, config);
      const before = (c.config?.idp?.certificates ?? []) as string[];
      await recordCertChanges(ctx, c._id, c.groupId, before, config.idp.certificates, a.source ?? "admin");
      patch.config = config;
    }
    if (a.roleRules !== undefined) patch.roleRules = a.roleRules;
    if (a.name !== undefined) patch.name = a.name;
    if (a.status !== undefined) patch.status = a.status;
    await ctx.db.patch(c._id, patch);
    if (a.status === "disabled" && c.status !== "disabled") await revokeConnectionSessions(ctx, c._id, "connection disabled");
    if (a.status !== undefined && a.status !== c.status) {
      await logEvent(ctx, a.status === "active" ? "connection.activated" : "connection.deactivated", c.groupId, { connectionId: c._id, kind: "saml" });
    }
    return null;
  },
});

async function newKey(use: "signing" | "encryption", name: string) {
  const g = await generateSelfSignedCert({ commonName: `${name} SAML SP ${use}`.slice(0, 64), now: Date.now(), validDays: 3650 });
  return { use, sealedPrivateKey: await sealSecret(g.privateKeyPem), certificate: g.certificate, notAfter: g.notAfter };
}

/**
 * Create a SAML connection from IdP metadata XML, a metadata URL, or by hand (`config` alone).
 * `config` holds the admin's choices (sp, mapping, security, idpInitiated, slo) and, by hand, the idp part.
 * Generates the SP signing and encryption keys (RSA-2048, self-signed, sealed at rest).
 */
export const createConnection = internalAction({
  args: {
    groupId: v.id("groups"),
    name: v.string(),
    idpMetadataXml: v.optional(v.string()),
    metadataUrl: v.optional(v.string()),
    idpEntityId: v.optional(v.string()),
    config: v.optional(v.any()),
    roleRules: v.optional(roleRulesValidator),
    /** "pending": created from the setup portal, usable only by its test sign-in until activated. */
    status: v.optional(v.literal("pending")),
  },
  returns: v.id("connections"),
  handler: async (ctx, a): Promise<Id<"connections">> => {
    let md: IdpMetadata | undefined;
    let xml = a.idpMetadataXml;
    if (a.metadataUrl) xml = await fetchIdpMetadata(a.metadataUrl);
    if (xml !== undefined) {
      try {
        md = parseIdpMetadata(xml, a.idpEntityId ? { entityId: a.idpEntityId } : {});
      } catch (e) {
        metadataFailure(e);
      }
    }
    const config = md ? configFromMetadata(md, a.config ?? {}, a.metadataUrl) : a.config;
    validated(config); // fail fast, before generating keys
    const keys = await Promise.all([newKey("signing", a.name), newKey("encryption", a.name)]);
    return ctx.runMutation(internal.saml.admin.insertConnection, {
      groupId: a.groupId,
      name: a.name,
      config,
      roleRules: a.roleRules,
      keys,
      ...(a.status ? { status: a.status } : {}),
    });
  },
});

/** Re-read IdP metadata (XML given, or the connection's metadata URL) into an existing connection. */
export const refreshFromMetadata = internalAction({
  args: { connectionId: v.id("connections"), idpMetadataXml: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, a) => {
    const c = await ctx.runQuery(internal.saml.cron.connectionForRefresh, { connectionId: a.connectionId });
    if (!c) throw new ConvexError({ kind: "SamlConfigError", path: "connectionId", message: "no such SAML connection" });
    const url = c.config.idp.metadataUrl as string | undefined;
    const xml = a.idpMetadataXml ?? (url ? await fetchIdpMetadata(url) : undefined);
    if (xml === undefined) throw new ConvexError({ kind: "SamlConfigError", path: "idp.metadataUrl", message: "no metadata given and no metadata URL configured" });
    let md: IdpMetadata;
    try {
      md = parseIdpMetadata(xml, { entityId: c.config.idp.entityId });
    } catch (e) {
      return metadataFailure(e);
    }
    await ctx.runMutation(internal.saml.admin.updateConnection, {
      connectionId: a.connectionId,
      config: refreshIdpFromMetadata(c.config, md),
      source: a.idpMetadataXml ? "admin" : "metadata_url",
    });
    return null;
  },
});

const rotationStep = v.union(v.literal("add_next"), v.literal("promote"), v.literal("retire"));
const keyUse = v.union(v.literal("signing"), v.literal("encryption"));
export type SpKeyRotationStep = "add_next" | "promote" | "retire";

/**
 * SP key rotation with overlap, per use (signing, encryption), in three steps:
 * - "add_next": a new key is published in the SP metadata next to the current one (an additional
 *   KeyDescriptor); an encryption key is already tried for decryption, so old and new both work.
 * - "promote": the next key becomes active (signs our messages, is the only one published); the old one becomes
 *   "previous": no longer published, but still tried for decryption while IdPs that cached it catch up.
 * - "retire": the previous key is retired and decrypts nothing any more.
 * One rotation at a time: "add_next" is refused while a next or previous key exists.
 */
export const rotateSpKeys = internalAction({
  args: { connectionId: v.id("connections"), step: rotationStep, uses: v.optional(v.array(keyUse)) },
  returns: v.null(),
  handler: async (ctx, a) => {
    const uses = a.uses ?? (["signing", "encryption"] as const);
    const keys = a.step === "add_next" ? await Promise.all(uses.map((use) => newKey(use, String(a.connectionId)))) : [];
    await ctx.runMutation(internal.saml.admin.applyKeyRotation, { connectionId: a.connectionId, step: a.step, uses: [...uses], keys });
    return null;
  },
});

/** The encryption key alone (the original CLI entry point): rotateSpKeys with uses ["encryption"]. */
export const rotateEncryptionKey = internalAction({
  args: { connectionId: v.id("connections"), step: rotationStep },
  returns: v.null(),
  handler: async (ctx, a) => {
    await ctx.runAction(internal.saml.admin.rotateSpKeys, { connectionId: a.connectionId, step: a.step, uses: ["encryption"] });
    return null;
  },
});

const rotationError = (message: string) => new ConvexError({ kind: "SamlConfigError", path: "keys", message });

export const applyKeyRotation = internalMutation({
  args: { connectionId: v.id("connections"), step: rotationStep, uses: v.array(keyUse), keys: v.array(keyValidator) },
  returns: v.null(),
  handler: async (ctx, a) => {
    const now = Date.now();
    for (const use of new Set(a.uses)) {
      const rows = await ctx.db
        .query("samlSpKeys")
        .withIndex("by_connectionId_and_use", (q) => q.eq("connectionId", a.connectionId).eq("use", use))
        .order("desc") // the live keys are the newest rows; retired ones accumulate behind them
        .take(20);
      const next = rows.find((r) => r.status === "next");
      const previous = rows.filter((r) => r.status === "previous");
      if (a.step === "add_next") {
        if (next) throw rotationError(`a next ${use} key already exists`);
        if (previous.length) throw rotationError(`retire the previous ${use} key first`);
        const key = a.keys.find((k) => k.use === use);
        if (!key) throw rotationError(`no new ${use} key given`);
        await ctx.db.insert("samlSpKeys", { connectionId: a.connectionId, ...key, status: "next", createdAt: now });
      } else if (a.step === "promote") {
        if (!next) throw rotationError(`no next ${use} key to promote`);
        for (const r of rows) if (r.status === "active") await ctx.db.patch(r._id, { status: "previous", replacedAt: now });
        await ctx.db.patch(next._id, { status: "active" });
      } else {
        if (!previous.length) throw rotationError(`no previous ${use} key to retire`);
        for (const r of previous) await ctx.db.patch(r._id, { status: "retired", retiredAt: now });
      }
    }
    return null;
  },
});

/**
 * Local gateway seeding: create (or refresh) the demo connection of `groupSlug` from IdP metadata XML.
 * Idempotent: an existing connection (by `connectionId` hint or by name in the group) is updated instead.
 */
export const seedConnection = internalAction({
  args: {
    groupSlug: v.string(),
    connectionId: v.optional(v.string()),
    name: v.string(),
    idpMetadataXml: v.string(),
    roleRules: v.optional(roleRulesValidator),
    config: v.optional(v.any()),
  },
  returns: v.id("connections"),
  handler: async (ctx, a): Promise<Id<"connections">> => {
    const found = await ctx.runQuery(internal.saml.cron.findForSeed, { groupSlug: a.groupSlug, connectionId: a.connectionId, name: a.name });
    if (!found.groupId) throw new ConvexError({ kind: "SamlConfigError", path: "groupSlug", message: `no group "${a.groupSlug}"` });
    if (found.connectionId) {
      await ctx.runAction(internal.saml.admin.refreshFromMetadata, { connectionId: found.connectionId, idpMetadataXml: a.idpMetadataXml });
      if (a.roleRules) await ctx.runMutation(internal.saml.admin.updateConnection, { connectionId: found.connectionId, roleRules: a.roleRules });
      return found.connectionId;
    }
    return ctx.runAction(internal.saml.admin.createConnection, {
      groupId: found.groupId,
      name: a.name,
      idpMetadataXml: a.idpMetadataXml,
      config: a.config ?? { mapping: { preset: "custom", email: ["email"], name: ["name"], groups: ["groups"] } },
      roleRules: a.roleRules,
    });
  },
});

/**
 * What an IT admin needs to see about one connection: the SP values to paste into the IdP, the IdP side as
 * configured, trusted certificates with their expiry, SP certificates, refresh state and certificate history.
 * Never returns a private key.
 */
export const describeConnection = internalQuery({
  args: { connectionId: v.id("connections") },
  handler: async (ctx, { connectionId }) => {
    const c = await ctx.db.get(connectionId);
    if (!c || c.kind !== "saml") return null;
    const ep = endpointsFor(c._id);
    const keys = await ctx.db
      .query("samlSpKeys")
      .withIndex("by_connectionId_and_use", (q) => q.eq("connectionId", c._id))
      .order("desc")
      .take(20);
    const idpCerts = await Promise.all(
      ((c.config?.idp?.certificates ?? []) as string[]).map(async (cert) => {
        const info = await parseCertificate(cert);
        return { sha256: info.sha256, subjectCn: info.subjectCn, notAfter: info.notAfter };
      }),
    );
    const history = await ctx.db
      .query("samlCertChanges")
      .withIndex("by_connectionId_and_sha256", (q) => q.eq("connectionId", c._id))
      .take(100);
    const metadataState = await ctx.db
      .query("samlMetadataState")
      .withIndex("by_connectionId", (q) => q.eq("connectionId", c._id))
      .unique();
    return {
      connectionId: c._id,
      groupId: c.groupId,
      name: c.name,
      status: c.status,
      sp: { entityId: ep.entityId, acsUrl: ep.acsUrl, metadataUrl: ep.metadataUrl, sloUrl: c.config?.slo?.enabled ? ep.sloUrl : null },
      config: c.config,
      roleRules: c.roleRules ?? [],
      idpCertificates: idpCerts,
      spKeys: keys.map((k) => ({ use: k.use, status: k.status, certificate: k.certificate, notAfter: k.notAfter })),
      certificateHistory: history.sort((a, b) => a.at - b.at).map(({ change, sha256, subjectCn, notAfter, source, at }) => ({ change, sha256, subjectCn, notAfter, source, at })),
      metadataRefresh: metadataState ? { lastFetchedAt: metadataState.lastFetchedAt, lastOkAt: metadataState.lastOkAt ?? null, lastError: metadataState.lastError ?? null } : null,
    };
  },
});
