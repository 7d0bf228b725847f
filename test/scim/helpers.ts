// Shared setup for SCIM convex-test suites: a group, a directory and a token, and a fetch wrapper.
/// <reference types="vite/client" />
import type { TestConvex } from "convex-test";
import { vi } from "vitest";
import schema from "../../src/component/schema";
import { internal } from "../../src/component/_generated/api";
import type { Id } from "../../src/component/_generated/dataModel";

import { newGateway } from "../helpers";
export const SITE = "https://gw.example.test";
export const DEMO_TOKEN = "scim-test-token-0123456789abcdef";

export type T = TestConvex<typeof schema>;

export interface Env {
  t: T;
  groupId: Id<"groups">;
  directoryId: Id<"scimDirectories">;
  slug: string;
  token: string;
  base: string;
  /** fetch relative to the directory base ("/Users?…"), with the bearer token unless headers say otherwise. */
  scim: (path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string }) => Promise<Response>;
}

export async function setup(opts: { policy?: Record<string, unknown>; slug?: string; limits?: boolean } = {}): Promise<Env> {
  vi.stubEnv("CONVEX_SITE_URL", SITE);
  const t: T = newGateway({ transactionLimits: opts.limits === true });
  const groupId = await t.run((ctx) =>
    ctx.db.insert("groups", { slug: "acme", name: "Acme", policy: { defaultRole: "member", ...(opts.policy ?? {}) } as never, createdAt: 0 }),
  );
  const seeded = await t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", directoryId: opts.slug ?? "acme-dir", name: "Acme", token: DEMO_TOKEN });
  const dir = await t.run((ctx) => ctx.db.query("scimDirectories").withIndex("by_slug", (q) => q.eq("slug", seeded.slug)).unique());
  const slug = seeded.slug;
  const prefix = `/scim/v2/${slug}`;
  const scim: Env["scim"] = (path, init = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${DEMO_TOKEN}`, ...(init.headers ?? {}) };
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) body = JSON.stringify(init.body);
    if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = "application/scim+json";
    return t.fetch(prefix + path, { method: init.method ?? "GET", headers, ...(body !== undefined ? { body } : {}) });
  };
  return { t, groupId, directoryId: dir!._id, slug, token: DEMO_TOKEN, base: `${SITE}${prefix}`, scim };
}

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

/** Count rows of every SCIM and identity table: "nothing changed" means this snapshot is equal. */
export async function snapshot(t: T): Promise<string> {
  return t.run(async (ctx) => {
    const tables = ["scimUsers", "scimGroups", "scimGroupMembers", "scimUserEmails", "users", "memberships", "sessions", "refreshTokens"] as const;
    const out: Record<string, unknown> = {};
    for (const name of tables) {
      const rows = await ctx.db.query(name).collect();
      out[name] = rows.map((r) => ({ ...r, _creationTime: 0 }));
    }
    const dirs = await ctx.db.query("scimDirectories").collect();
    out.dirs = dirs.map((d) => ({ u: d.userCount, g: d.groupCount }));
    return JSON.stringify(out);
  });
}

export async function user(env: Env, userName: string, extra: Record<string, unknown> = {}) {
  const res = await env.scim("/Users", { method: "POST", body: { schemas: [USER_SCHEMA], userName, active: true, ...extra } });
  if (res.status !== 201) throw new Error(`create user ${userName}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}
