// Local gateway plug-in: the demo config's SCIM directories, seeded with their fixed (demo-only) tokens.
import { makeFunctionReference } from "convex/server";
import type { LocalPluginFactory } from "./plugins";

interface LocalScimEntry {
  groupSlug: string;
  directoryId?: string;
  name: string;
  token: string;
}

export const scimLocalPlugin: LocalPluginFactory = async ({ engine, config }) => {
  const entries = (config.scim ?? []) as unknown as LocalScimEntry[];
  if (!entries.length) return null;
  const scim: Array<{ baseUrl: string; token: string }> = [];
  for (const e of entries) {
    const r = (await engine.mutation(makeFunctionReference<"mutation">("scim/admin:seedDirectory"), {
      groupSlug: e.groupSlug,
      name: e.name,
      token: e.token,
      ...(e.directoryId ? { directoryId: e.directoryId } : {}),
    })) as { slug: string; baseUrl: string };
    scim.push({ baseUrl: r.baseUrl, token: e.token });
  }
  return { scim, banner: scim.map((s) => `  SCIM directory     ${s.baseUrl}  (Bearer ${s.token})`) };
};
