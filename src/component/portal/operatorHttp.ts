// The operator page's HTTP surface (/portal/operator/*), dispatched from ./http.ts. Each request: operator
// session (its own cookie, scoped to /portal/operator) → CSRF (every POST) → one operation → page or redirect.
import { ConvexError } from "convex/values";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { ActionCtx } from "../lib/functions";
import { timingSafeEqual } from "../lib/crypto";
import { siteUrl } from "../lib/env";
import { clearedCookie, OPERATOR_COOKIE, readCookie, sessionCookie } from "../../portal/cookies";
import { openOperatorLinkPage, operatorEndedPage, operatorLinkProblem, operatorMessagePage as messagePage, operatorPage, type OperatorPageData } from "../../portal/operatorPage";
import type { Form } from "./http";
import type { OperatorSession } from "./operator";
import { page, redirect } from "./respond";
import { ALL_INTENTS } from "./links";

const HOME = "/portal/operator/";

function linkProblem(reason: string): Response {
  const p = operatorLinkProblem(reason);
  return page(p.html, p.status);
}

async function operatorSession(ctx: ActionCtx, request: Request): Promise<OperatorSession | null> {
  const cookie = readCookie(request.headers.get("cookie"), OPERATOR_COOKIE.name);
  return cookie ? ctx.runQuery(internal.portal.operator.current, { cookie }) : null;
}

async function overviewPage(ctx: ActionCtx, s: OperatorSession, extra: Partial<OperatorPageData> = {}, status = 200): Promise<Response> {
  const groups = await ctx.runQuery(internal.portal.links.overview, {});
  return page(operatorPage({ groups, csrf: s.csrf, expiresAt: s.expiresAt, ...extra }), status);
}

export async function operatorGet(ctx: ActionCtx, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/portal/operator/link") {
    const token = url.searchParams.get("t") ?? "";
    const link = await ctx.runQuery(internal.portal.operator.inspectLink, { token });
    return link.ok ? page(openOperatorLinkPage(token)) : linkProblem(link.reason);
  }
  const s = await operatorSession(ctx, request);
  if (!s) return page(operatorEndedPage(), 401);
  if (url.pathname === HOME || url.pathname === "/portal/operator") {
    return overviewPage(ctx, s, url.searchParams.has("revoked") ? { notice: "The setup link was withdrawn; the portal sessions it opened are closed." } : {});
  }
  return page(messagePage("Not found", "There is nothing at this address."), 404);
}

export async function operatorPost(ctx: ActionCtx, request: Request, form: Form): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/portal/operator/link") {
    const r = await ctx.runMutation(internal.portal.operator.redeem, { token: form.get("token") ?? "" });
    if (!r.ok) return linkProblem(r.reason);
    return redirect(HOME, { "set-cookie": sessionCookie(r.cookie, { siteUrl: siteUrl(), maxAgeSec: r.maxAgeSec, ...OPERATOR_COOKIE }) });
  }
  const s = await operatorSession(ctx, request);
  if (!s) return page(operatorEndedPage(), 401);
  if (!timingSafeEqual(form.get("csrf") ?? "", s.csrf)) {
    return page(messagePage("Not allowed", "This form has expired or did not come from the operator page. Reload the page and try again."), 403);
  }
  if (path === "/portal/operator/logout") {
    await ctx.runMutation(internal.portal.operator.logout, { sessionId: s.sessionId });
    return page(messagePage("Signed out", "You left the operator page."), 200, { "set-cookie": clearedCookie(siteUrl(), OPERATOR_COOKIE) });
  }
  if (path === "/portal/operator/links") return createSetupLink(ctx, s, form);
  const m = /^\/portal\/operator\/links\/([^/]+)\/revoke$/.exec(path);
  if (m) return revokeSetupLink(ctx, s, m[1]!);
  return page(messagePage("Not found", "There is nothing at this address."), 404);
}

async function createSetupLink(ctx: ActionCtx, s: OperatorSession, form: Form): Promise<Response> {
  const groups = await ctx.runQuery(internal.portal.links.overview, {});
  const group = groups.find((g) => g.groupId === form.get("groupId"));
  if (!group) return page(messagePage("Unknown group", "Reload the operator page and try again."), 404);
  const intents = ALL_INTENTS.filter((i) => form.get(`intent_${i}`) !== undefined);
  const days = Number(form.get("days") ?? "7");
  try {
    const link = await ctx.runMutation(internal.portal.links.create, {
      group: group.group,
      intents,
      expiresInDays: days,
      createdBy: `operator${s.createdBy ? ` (${s.createdBy})` : ""}`,
    });
    await ctx.runMutation(internal.portal.operator.audit, { sessionId: s.sessionId, type: "operator.setup_link.created", groupId: group.groupId, data: { linkId: link.linkId } });
    return overviewPage(ctx, s, { minted: { groupId: group.groupId, url: link.url, expiresAt: link.expiresAt } });
  } catch (e) {
    const data = e instanceof ConvexError ? (e.data as { kind?: string; message?: string }) : null;
    if (data?.kind === "PortalLinkError") {
      const message = intents.length === 0 ? "Choose at least one thing the IT admin may set up." : `Not created: ${data.message}.`;
      return overviewPage(ctx, s, { error: { groupId: group.groupId, message } }, 400);
    }
    throw e;
  }
}

async function revokeSetupLink(ctx: ActionCtx, s: OperatorSession, linkId: string): Promise<Response> {
  const groups = await ctx.runQuery(internal.portal.links.overview, {});
  const owner = groups.find((g) => g.links.some((l) => l.linkId === linkId));
  if (!owner) return page(messagePage("Not found", "No such setup link."), 404);
  await ctx.runMutation(internal.portal.links.revoke, { linkId: linkId as Id<"portalLinks"> });
  await ctx.runMutation(internal.portal.operator.audit, { sessionId: s.sessionId, type: "operator.setup_link.revoked", groupId: owner.groupId, data: { linkId } });
  return redirect(`${HOME}?revoked=1`);
}
