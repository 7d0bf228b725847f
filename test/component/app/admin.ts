import { internalActionGeneric } from "convex/server";
import { gateway } from "./gateway";

/** The app's own (internal) admin entry: the gateway's typed admin methods, ids as plain strings. */
export const bootstrap = internalActionGeneric({
  args: {},
  handler: async (ctx) => {
    const groupId: string = await gateway.createGroup(ctx, { slug: "globex", name: "Globex", domains: ["globex.example"], policy: { defaultRole: "member" } });
    const appId: string = await gateway.createApp(ctx, { clientId: "globex-app", name: "Globex", redirectUris: ["https://globex.example/cb"] });
    const directory = await gateway.createScimDirectory(ctx, { groupId, name: "Okta" });
    const groups = await gateway.listGroups(ctx, {});
    const setup = await gateway.createSetupLink(ctx, { group: "globex", intents: ["sso", "domains"], createdBy: "settings page" });
    const requests = await gateway.scimRequestLog(ctx, { directoryId: directory.directoryId });
    return { groupId, appId, baseUrl: directory.baseUrl, slugs: groups.map((g) => g.slug), setupUrl: setup.url, setupIntents: setup.intents, requests };
  },
});
