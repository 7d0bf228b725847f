// Deployment-admin operations on apps: the OAuth clients that send people to /sso/authorize.
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../lib/functions";
import { adminError } from "./groups";
import { logEvent } from "../signin";
import { appByClientId } from "../lib/lookups";

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;

function checkRedirectUris(uris: string[]): string[] {
  if (uris.length === 0) throw adminError("redirectUris", "at least one redirect URI is required");
  return uris.map((u, i) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw adminError(`redirectUris.${i}`, "not an absolute URL");
    }
    const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw adminError(`redirectUris.${i}`, "must be https (http only for localhost)");
    }
    if (url.hash) throw adminError(`redirectUris.${i}`, "must not contain a fragment (RFC 6749 §3.1.2)");
    return u;
  });
}

export const create = internalMutation({
  args: {
    clientId: v.string(),
    name: v.string(),
    redirectUris: v.array(v.string()),
    audience: v.optional(v.string()),
  },
  returns: v.id("apps"),
  handler: async (ctx, a) => {
    if (!CLIENT_ID.test(a.clientId)) throw adminError("clientId", "3-64 characters: letters, digits, . _ -");
    const taken = await appByClientId(ctx, a.clientId);
    if (taken) throw adminError("clientId", `"${a.clientId}" is taken`);
    const id = await ctx.db.insert("apps", {
      clientId: a.clientId,
      name: a.name,
      redirectUris: checkRedirectUris(a.redirectUris),
      // One audience per app by default, so a token minted for one app is not accepted by another.
      audience: a.audience ?? a.clientId,
      createdAt: Date.now(),
    });
    await logEvent(ctx, "app.created", undefined, { clientId: a.clientId });
    return id;
  },
});

export const update = internalMutation({
  args: {
    clientId: v.string(),
    name: v.optional(v.string()),
    redirectUris: v.optional(v.array(v.string())),
    audience: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, a) => {
    const app = await appByClientId(ctx, a.clientId);
    if (!app) throw adminError("clientId", "no such app");
    await ctx.db.patch(app._id, {
      ...(a.name !== undefined && { name: a.name }),
      ...(a.redirectUris !== undefined && { redirectUris: checkRedirectUris(a.redirectUris) }),
      ...(a.audience !== undefined && { audience: a.audience }),
    });
    return null;
  },
});

export const list = internalQuery({
  args: {},
  handler: async (ctx) => ctx.db.query("apps").take(1000),
});

export const remove = internalMutation({
  args: { clientId: v.string() },
  returns: v.null(),
  handler: async (ctx, { clientId }) => {
    const app = await appByClientId(ctx, clientId);
    if (!app) throw adminError("clientId", "no such app");
    await ctx.db.delete(app._id);
    await logEvent(ctx, "app.deleted", undefined, { clientId });
    return null;
  },
});
