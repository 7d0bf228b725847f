// The setup portal's HTTP surface (/portal/*), served by the gateway itself so it works in both deployment
// modes. Each request: session (cookie) → CSRF (every POST) → intent → one operation → page or redirect.
// Pages are rendered by src/portal/pages.ts; the operations reuse the SAML, OIDC and SCIM admin functions.
import { ConvexError } from "convex/values";
import { httpAction, type ActionCtx } from "../lib/functions";
import type { HttpRouter } from "convex/server";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import { PORTAL_CSS, PORTAL_JS } from "../../portal/assets";
import { clearedCookie, PORTAL_COOKIE, readCookie, sessionCookie } from "../../portal/cookies";
import { DohError, lookupTxt } from "../../portal/doh";
import { guideFor, type IdpGuide } from "../../portal/idps";
import * as pages from "../../portal/pages";
import { parseIdpMetadata, MetadataError } from "../../saml/idpMetadata";
import { refreshIdpFromMetadata } from "../../saml/connectionConfig";
import { generateSelfSignedCert } from "../../saml/x509";
import { timingSafeEqual, randomToken } from "../lib/crypto";
import { issuerPath, mountPage, mountPath } from "../../portal/paths";
import { dohResolverUrl, gatewayOptions, siteUrl } from "../lib/env";
import { readBodyCapped } from "../lib/http";
import { fetchIdpMetadata, METADATA_MAX_BYTES } from "../saml/admin";
import { startSamlLogin } from "../saml/start";
import { startOidcLogin } from "../oidc/start";
import type { PortalSession } from "./session";
import { page, redirect } from "./respond";
import { operatorGet, operatorPost } from "./operatorHttp";
import { certificatesGet, certificatesPost } from "./certificatesHttp";

const MAX_POST_BYTES = METADATA_MAX_BYTES + 64 * 1024;

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" } });
}

const ended = () =>
  page(pages.messagePage("Your portal session has ended", "Sessions last one hour. Ask the application's team for a new setup link."), 401);
const forbidden = (why: string) => page(pages.messagePage("Not allowed", why), 403);
export const notFound = () => page(pages.messagePage("Not found", "There is nothing at this address."), 404);

const LINK_PROBLEMS: Record<string, [string, string, number]> = {
  unknown: ["This setup link is not valid", "Check that you copied the whole link, or ask the application's team for a new one.", 404],
  used: ["This setup link was already used", "A setup link opens the portal once. Ask the application's team for a new link.", 410],
  expired: ["This setup link has expired", "Ask the application's team for a new setup link.", 410],
  revoked: ["This setup link was withdrawn", "Ask the application's team for a new setup link.", 410],
};

function linkProblem(reason: string): Response {
  const [title, message, status] = LINK_PROBLEMS[reason] ?? LINK_PROBLEMS.unknown!;
  return page(pages.messagePage(title, message), status);
}

export type Form = { get(name: string): string | undefined; file(name: string): Promise<string | null> };

/** urlencoded or multipart (metadata upload), read under a cap before any parsing. */
async function readPostForm(request: Request): Promise<Form | "malformed" | null> {
  const type = request.headers.get("content-type") ?? ""; // the multipart boundary is case-sensitive
  const text = await readBodyCapped(request, MAX_POST_BYTES);
  if (text === null) return null;
  if (type.toLowerCase().startsWith("multipart/form-data")) {
    let data: FormData;
    try {
      data = await new Request("http://portal.invalid/", { method: "POST", headers: { "content-type": type }, body: text }).formData();
    } catch {
      return "malformed";
    }
    return {
      get: (n) => {
        const v = data.get(n);
        return typeof v === "string" ? v : undefined;
      },
      file: async (n) => {
        const v = data.get(n);
        if (!v || typeof v === "string" || v.size === 0) return null;
        return v.text();
      },
    };
  }
  const params = new URLSearchParams(text);
  return { get: (n) => params.get(n) ?? undefined, file: async () => null };
}

export function chrome(s: PortalSession, current: pages.Chrome["current"]): pages.Chrome {
  return { groupName: s.groupName, intents: s.intents, csrf: s.csrf, current };
}

async function session(ctx: ActionCtx, request: Request): Promise<PortalSession | null> {
  const cookie = readCookie(request.headers.get("cookie"), PORTAL_COOKIE);
  return cookie ? ctx.runQuery(internal.portal.session.current, { cookie }) : null;
}

export function errorOf(e: unknown): { kind?: string; code?: string; path?: string; message: string } | null {
  if (e instanceof ConvexError && typeof e.data === "object" && e.data !== null) return e.data as { message: string };
  return null;
}

// ---------------------------------------------------------------------------------------------------- pages

async function connectionPage(
  ctx: ActionCtx,
  s: PortalSession,
  connectionId: string,
  extra: { errors?: Record<string, string>; form?: Record<string, string>; notice?: string } = {},
  status = 200,
): Promise<Response> {
  const view = await ctx.runQuery(internal.portal.sso.connectionView, { groupId: s.groupId, connectionId });
  if (!view) return notFound();
  const guide = guideFor(view.idp) as IdpGuide;
  return page(
    pages.connectionPage(chrome(s, "sso"), {
      connection: view.connection,
      guide,
      sp: view.sp,
      configured: view.configured,
      errors: extra.errors ?? {},
      form: { ...view.form, ...extra.form },
      notice: extra.notice,
      test: view.test,
      certificates: view.certificates,
      now: Date.now(),
      warnDays: gatewayOptions().certificates.warningDays,
    }),
    status,
  );
}

async function homePage(ctx: ActionCtx, s: PortalSession): Promise<Response> {
  const [connections, directories, domains] = await Promise.all([
    ctx.runQuery(internal.portal.sso.listConnections, { groupId: s.groupId }),
    ctx.runQuery(internal.scim.admin.listDirectories, { groupId: s.groupId }),
    ctx.runQuery(internal.portal.domains.list, { groupId: s.groupId }),
  ]);
  return page(
    pages.homePage(chrome(s, "home"), {
      connections: connections.length,
      activeConnections: connections.filter((c) => c.status === "active").length,
      directories: directories.length,
      domains: domains.length,
      verifiedDomains: domains.filter((d) => d.verified).length,
      expiresAt: s.expiresAt,
    }),
  );
}

async function scimPage(ctx: ActionCtx, s: PortalSession, minted?: { directoryId: string; token: string }): Promise<Response> {
  const dirs = await ctx.runQuery(internal.scim.admin.listDirectories, { groupId: s.groupId });
  const requests = await Promise.all(dirs.map((d) => ctx.runQuery(internal.scim.requestLog.recent, { directoryId: d.directoryId, limit: 25 })));
  return page(
    pages.scimPage(
      chrome(s, "scim"),
      dirs.map((d, i) => ({
        requests: requests[i],
        id: d.directoryId,
        name: d.name,
        baseUrl: d.baseUrl,
        users: d.users,
        groups: d.groups,
        tokens: d.tokens.map((t) => ({ id: t.tokenId, name: t.name, hint: t.hint, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt })),
      })),
      minted,
    ),
  );
}

async function domainsPage(ctx: ActionCtx, s: PortalSession, opts: { error?: string; notice?: string; form?: string } = {}, status = 200) {
  const domains = await ctx.runQuery(internal.portal.domains.list, { groupId: s.groupId });
  return page(pages.domainsPage(chrome(s, "domains"), domains, opts), status);
}

// -------------------------------------------------------------------------------------------------- actions

/** Begin a connection: created "pending" with a placeholder IdP so that our SP values exist for the console. */
async function createDraft(ctx: ActionCtx, s: PortalSession, guide: IdpGuide): Promise<Id<"connections">> {
  let connectionId: Id<"connections">;
  if (guide.kind === "saml") {
    const placeholder = await generateSelfSignedCert({ commonName: "placeholder until the IdP metadata is saved", now: Date.now(), validDays: 30 });
    connectionId = await ctx.runAction(internal.saml.admin.createConnection, {
      groupId: s.groupId,
      name: guide.label,
      status: "pending",
      config: {
        idp: { entityId: "urn:convex-sso-gateway:portal:pending", ssoUrls: { redirect: `${siteUrl()}/portal/pending-idp` }, certificates: [placeholder.certificate] },
        mapping: { preset: guide.samlPreset ?? "okta" },
      },
    });
  } else {
    const saved = await ctx.runAction(internal.oidc.admin.saveConnection, {
      groupId: s.groupId,
      name: guide.label,
      status: "pending",
      // Placeholder until the IT admin saves the real issuer; never contacted (a test needs a saved config).
      config: { preset: guide.oidcPreset ?? "generic", issuer: "https://issuer.pending.invalid", clientId: "pending", clientSecret: randomToken(16) },
    });
    connectionId = saved.connectionId;
  }
  await ctx.runMutation(internal.portal.sso.recordDraft, { sessionId: s.sessionId, groupId: s.groupId, connectionId, idp: guide.id });
  return connectionId;
}

const SAML_FIELD_BY_CODE: Record<string, string> = { metadata_dtd_refused: "metadataFile" };

/** Save the IdP side: SAML metadata (URL under the SSRF guard, or an uploaded file) or OIDC issuer + client. */
async function saveIdp(ctx: ActionCtx, s: PortalSession, connectionId: string, form: Form): Promise<Response> {
  const view = await ctx.runQuery(internal.portal.sso.connectionView, { groupId: s.groupId, connectionId });
  if (!view) return notFound();
  const id = view.connection.id as Id<"connections">;
  const guide = guideFor(view.idp) as IdpGuide;
  const fail = (errors: Record<string, string>, formValues: Record<string, string>) => connectionPage(ctx, s, connectionId, { errors, form: formValues }, 400);

  if (view.connection.kind === "saml") {
    const url = (form.get("metadataUrl") ?? "").trim();
    const file = await form.file("metadataFile");
    const field = file !== null ? "metadataFile" : "metadataUrl";
    if (file === null && !url) return fail({ metadataUrl: "Metadata URL: give the IdP's metadata URL or upload its metadata file." }, { metadataUrl: url });
    try {
      const xml = file ?? (await fetchIdpMetadata(url));
      const md = parseIdpMetadata(xml);
      const config = refreshIdpFromMetadata(view.config, md);
      const idp = { ...config.idp } as Record<string, unknown>;
      if (file === null) idp.metadataUrl = url;
      else delete idp.metadataUrl;
      await ctx.runMutation(internal.saml.admin.updateConnection, { connectionId: id, config: { ...config, idp }, source: "admin" });
    } catch (e) {
      const label = field === "metadataFile" ? "Metadata file" : "Metadata URL";
      if (e instanceof MetadataError) return fail({ [SAML_FIELD_BY_CODE[e.code] ?? field]: `${label}: ${e.message}` }, { metadataUrl: url });
      const data = errorOf(e);
      if (data?.kind === "SamlMetadataError" || data?.kind === "SamlConfigError") {
        return fail({ [SAML_FIELD_BY_CODE[data.code ?? ""] ?? field]: `${label}: ${data.message}` }, { metadataUrl: url });
      }
      throw e;
    }
  } else {
    const values = { issuer: (form.get("issuer") ?? "").trim(), clientId: (form.get("clientId") ?? "").trim() };
    const secret = form.get("clientSecret") ?? "";
    const errors: Record<string, string> = {};
    if (!values.issuer) errors.issuer = "Issuer URL is required.";
    if (!values.clientId) errors.clientId = "Client ID is required.";
    if (!secret && !view.configured) errors.clientSecret = "Client secret is required.";
    if (Object.keys(errors).length) return fail(errors, values);
    try {
      await ctx.runAction(internal.oidc.admin.saveConnection, {
        connectionId: id,
        groupId: s.groupId,
        name: view.connection.name,
        config: { preset: guide.oidcPreset ?? "generic", ...values, ...(secret ? { clientSecret: secret } : {}) },
      });
    } catch (e) {
      const data = errorOf(e);
      if (data?.kind === "ConfigError") {
        const named = ["issuer", "clientId", "clientSecret"].find((f) => data.message.startsWith(f));
        return fail({ [named ?? "issuer"]: `${named === "clientId" ? "Client ID" : named === "clientSecret" ? "Client secret" : "Issuer URL"}: ${data.message}` }, values);
      }
      throw e;
    }
  }
  await ctx.runMutation(internal.portal.sso.recordConfigured, { sessionId: s.sessionId, groupId: s.groupId, connectionId: id });
  return redirect(`/portal/sso/c/${id}?saved=1`);
}

async function verifyDomain(ctx: ActionCtx, s: PortalSession, domainId: string): Promise<Response> {
  const ch = await ctx.runQuery(internal.portal.domains.challenge, { groupId: s.groupId, domainId });
  if (!ch) return notFound();
  let found: string[];
  try {
    found = await lookupTxt(ch.record.name, { resolverUrl: dohResolverUrl(), fetch });
  } catch (e) {
    if (e instanceof DohError) return domainsPage(ctx, s, { error: `Could not check ${ch.domain}: ${e.message}. Try again in a minute.` }, 502);
    throw e;
  }
  if (!found.includes(ch.record.value)) {
    const seen = found.length ? `found ${found.length} other TXT record(s)` : "found no TXT record";
    return domainsPage(ctx, s, { error: `${ch.domain} is not verified yet: we looked up ${ch.record.name} and ${seen}. DNS changes can take a few minutes.` }, 400);
  }
  try {
    await ctx.runMutation(internal.portal.domains.markVerified, { sessionId: s.sessionId, groupId: s.groupId, domainId: domainId as Id<"domains"> });
  } catch (e) {
    const data = errorOf(e);
    if (data) return domainsPage(ctx, s, { error: data.message }, 400);
    throw e;
  }
  return domainsPage(ctx, s, { notice: `${ch.domain} is verified.` });
}

// --------------------------------------------------------------------------------------------------- routing

async function handleGet(ctx: ActionCtx, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === "/portal/assets/portal.css") return asset(PORTAL_CSS, "text/css; charset=utf-8");
  if (path === "/portal/assets/portal.js") return asset(PORTAL_JS, "text/javascript; charset=utf-8");
  if (path === "/portal/link") {
    const token = url.searchParams.get("t") ?? "";
    const link = await ctx.runQuery(internal.portal.session.inspectLink, { token });
    return link.ok ? page(pages.openLinkPage(token, link.groupName)) : linkProblem(link.reason);
  }
  if (path === "/portal/operator" || path.startsWith("/portal/operator/")) return operatorGet(ctx, request);
  const s = await session(ctx, request);
  if (!s) return ended();
  const has = (i: pages.Intent) => s.intents.includes(i);
  if (path === "/portal/" || path === "/portal") return homePage(ctx, s);
  if (path === "/portal/sso" && has("sso")) {
    return page(pages.ssoPage(chrome(s, "sso"), await ctx.runQuery(internal.portal.sso.listConnections, { groupId: s.groupId })));
  }
  let m = /^\/portal\/sso\/c\/([^/]+)\/certificates$/.exec(path);
  if (m && has("sso")) return certificatesGet(ctx, s, m[1]!, url);
  m = /^\/portal\/sso\/c\/([^/]+)$/.exec(path);
  if (m && has("sso")) {
    const notice = url.searchParams.has("saved") ? "Saved. Now run a test sign-in." : url.searchParams.has("activated") ? "Activated: people can now sign in through this connection." : undefined;
    return connectionPage(ctx, s, m[1]!, { notice });
  }
  m = /^\/portal\/sso\/test\/([^/]+)\/go$/.exec(path);
  if (m && has("sso")) {
    const begun = await ctx.runMutation(internal.portal.sso.beginTestSignIn, { groupId: s.groupId, testId: m[1]! });
    if (!begun) return page(pages.messagePage("This test is over", "Start a new test from the connection's page."), 410);
    const start = begun.connection.kind === "saml" ? startSamlLogin : startOidcLogin;
    return start(ctx, { connection: begun.connection, authRequestId: begun.authRequestId });
  }
  m = /^\/portal\/sso\/test\/([^/]+)$/.exec(path);
  if (m && has("sso")) {
    const r = await ctx.runQuery(internal.portal.sso.testResult, { groupId: s.groupId, testId: m[1]! });
    return r ? page(pages.testResultPage(chrome(s, "sso"), r.connectionId, r.view)) : notFound();
  }
  if (path === "/portal/scim" && has("scim")) return scimPage(ctx, s);
  if (path === "/portal/domains" && has("domains")) return domainsPage(ctx, s);
  if (path === "/portal/failures" && has("traces")) {
    const failures = await ctx.runQuery(internal.portal.domains.recentFailures, { groupId: s.groupId });
    return page(pages.failuresPage(chrome(s, "traces"), failures));
  }
  return notFound();
}

async function handlePost(ctx: ActionCtx, request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const form = await readPostForm(request);
  if (!form) return page(pages.messagePage("Too large", "The form is larger than 1 MiB."), 413);
  if (form === "malformed") return page(pages.messagePage("Form not readable", "The form could not be read. Reload the page and try again."), 400);
  if (path === "/portal/link") {
    const r = await ctx.runMutation(internal.portal.session.redeem, { token: form.get("token") ?? "" });
    if (!r.ok) return linkProblem(r.reason);
    return redirect("/portal/", { "set-cookie": sessionCookie(r.cookie, { siteUrl: siteUrl(), maxAgeSec: r.maxAgeSec }) });
  }
  if (path === "/portal/operator" || path.startsWith("/portal/operator/")) return operatorPost(ctx, request, form);
  const s = await session(ctx, request);
  if (!s) return ended();
  // Synchronizer token: the session's CSRF value must come back in the form (SameSite is the second layer).
  if (!timingSafeEqual(form.get("csrf") ?? "", s.csrf)) return forbidden("This form has expired or did not come from the portal. Reload the page and try again.");
  const has = (i: pages.Intent) => s.intents.includes(i);

  if (path === "/portal/logout") {
    await ctx.runMutation(internal.portal.session.logout, { sessionId: s.sessionId });
    return page(pages.messagePage("Signed out", "You left the setup portal. Your setup link cannot be used again."), 200, { "set-cookie": clearedCookie(siteUrl()) });
  }
  if (path === "/portal/sso/new" && has("sso")) {
    const guide = guideFor(form.get("idp") ?? "");
    if (!guide) return page(pages.messagePage("Unknown identity provider", "Choose one of the listed providers."), 400);
    return redirect(`/portal/sso/c/${await createDraft(ctx, s, guide)}`);
  }
  let m = /^\/portal\/sso\/c\/([^/]+)\/certificates\/(.+)$/.exec(path);
  if (m && has("sso")) return certificatesPost(ctx, s, m[1]!, m[2]!, form);
  m = /^\/portal\/sso\/c\/([^/]+)\/(idp|test|activate)$/.exec(path);
  if (m && has("sso")) {
    const [, connectionId, op] = m as unknown as [string, string, string];
    if (op === "idp") return saveIdp(ctx, s, connectionId, form);
    try {
      if (op === "test") {
        const testId = await ctx.runMutation(internal.portal.sso.startTest, { sessionId: s.sessionId, groupId: s.groupId, connectionId });
        return page(pages.continueToTestPage(`/portal/sso/test/${testId}/go`));
      }
      await ctx.runMutation(internal.portal.sso.activate, { sessionId: s.sessionId, groupId: s.groupId, connectionId });
      return redirect(`/portal/sso/c/${connectionId}?activated=1`);
    } catch (e) {
      const data = errorOf(e);
      if (data?.kind === "PortalError") {
        if (data.code === "unknown_connection") return notFound();
        return connectionPage(ctx, s, connectionId, { errors: { [op]: data.message } }, 409);
      }
      throw e;
    }
  }
  if (path === "/portal/scim/new" && has("scim")) {
    const existing = await ctx.runQuery(internal.scim.admin.listDirectories, { groupId: s.groupId });
    if (existing.length === 0) {
      const name = (form.get("name") ?? "").trim().slice(0, 100) || `${s.groupName} directory`;
      const dir = await ctx.runMutation(internal.scim.admin.createDirectory, { groupId: s.groupId, name });
      await ctx.runMutation(internal.portal.session.audit, { sessionId: s.sessionId, type: "portal.scim.directory_created", data: { directoryId: dir.directoryId } });
    }
    return redirect("/portal/scim");
  }
  m = /^\/portal\/scim\/([^/]+)\/(token|revoke)$/.exec(path);
  if (m && has("scim")) {
    const dirs = await ctx.runQuery(internal.scim.admin.listDirectories, { groupId: s.groupId });
    const dir = dirs.find((d) => d.directoryId === m![1]);
    if (!dir) return notFound();
    if (m[2] === "token") {
      const minted = await ctx.runMutation(internal.scim.admin.mintToken, { directoryId: dir.directoryId, name: "portal" });
      await ctx.runMutation(internal.portal.session.audit, { sessionId: s.sessionId, type: "portal.scim.token_minted", data: { directoryId: dir.directoryId, tokenId: minted.tokenId } });
      return scimPage(ctx, s, { directoryId: dir.directoryId, token: minted.token });
    }
    const token = dir.tokens.find((t) => t.tokenId === form.get("tokenId"));
    if (!token) return notFound();
    await ctx.runMutation(internal.scim.admin.revokeToken, { tokenId: token.tokenId });
    await ctx.runMutation(internal.portal.session.audit, { sessionId: s.sessionId, type: "portal.scim.token_revoked", data: { directoryId: dir.directoryId, tokenId: token.tokenId } });
    return redirect("/portal/scim");
  }
  if (path === "/portal/domains" && has("domains")) {
    const domain = form.get("domain") ?? "";
    try {
      await ctx.runMutation(internal.portal.domains.add, { sessionId: s.sessionId, groupId: s.groupId, domain });
    } catch (e) {
      const data = errorOf(e);
      if (data?.kind === "PortalDomainError") return domainsPage(ctx, s, { error: data.message, form: domain.slice(0, 253) }, 400);
      throw e;
    }
    return redirect("/portal/domains");
  }
  m = /^\/portal\/domains\/([^/]+)\/verify$/.exec(path);
  if (m && has("domains")) return verifyDomain(ctx, s, m[1]!);
  return notFound();
}

export function registerPortalRoutes(http: HttpRouter) {
  http.route({ path: "/portal", method: "GET", handler: httpAction(async () => redirect("/portal/")) });
  http.route({ pathPrefix: "/portal/", method: "GET", handler: httpAction(handleGet) });
  http.route({ pathPrefix: "/portal/", method: "POST", handler: httpAction(handlePost) });
}
