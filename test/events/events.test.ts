// Events through convex-test: cursor assignment, catalogue validation, the pull API over convex/http.ts,
// function-handle subscribers in the same transaction, the audit log (pagination, NDJSON, retention sweep)
// and webhook retries on a fake clock (Standard Webhooks signatures verified by the library).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { createFunctionHandle, makeFunctionReference } from "convex/server";
import { Webhook } from "standardwebhooks";
import schema from "../../convex/schema";
import { internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { logEvent } from "../../convex/signin";
import { DEFAULT_RETRY_SCHEDULE_MS, RETRY_JITTER } from "../../src/events/backoff";
import { modules as convexModules, seedGroupAndApp, signIn, snapshot } from "../helpers";
import { calls } from "./fixtures/subscriber";
import { inOrderPerGroup, type ReceivedEvent } from "./receiver";

const modules = { ...convexModules, "../convex/testSubscriber.ts": () => import("./fixtures/subscriber") };
const newGateway = () => convexTest(schema, modules);
type T = ReturnType<typeof newGateway>;

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

beforeEach(() => {
  process.env.GATEWAY_LOCAL = "1"; // receivers live on loopback, as in the local gateway
  delete process.env.GATEWAY_OPTIONS;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  delete process.env.GATEWAY_LOCAL;
  delete process.env.GATEWAY_OPTIONS;
});

async function allEvents(t: T) {
  return t.run(async (ctx) => ctx.db.query("events").withIndex("by_cursor").collect());
}

describe("recording", () => {
  test("every event gets the next cursor, a unique id and its catalogue shape, in commit order", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    await signIn(t, groupId);
    await signIn(t, groupId, { subject: "u-2", email: "grace@acme.example" });
    const events = await allEvents(t);
    expect(events.map((e) => e.type)).toEqual([
      "group.created", "domain.verified", "app.created",
      "user.created", "membership.created", "session.created",
      "user.created", "membership.created", "session.created",
    ]);
    expect(events.map((e) => e.cursor)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events[5]!.data).toMatchObject({ authMethod: "dev", sessionId: expect.any(String), userId: expect.any(String) });
    expect(events[4]!.data).not.toHaveProperty("connectionId"); // undefined optional fields are dropped
  });

  test("an unknown type or a malformed shape is refused and nothing is written", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const before = await snapshot(t);
    const cases: Array<[string, unknown]> = [
      ["user.exploded", {}],
      ["user.created", { provider: "x" }], // userId missing
      ["group.created", { slug: "a", secret: "leak" }], // unknown field (shapes are strict)
      ["session.revoked", { sessionId: 42, reason: "x" }],
    ];
    for (const [type, data] of cases) {
      await expect(t.run((ctx) => logEvent(ctx, type, groupId, data))).rejects.toMatchObject({ data: { kind: "EventCatalogueError", type } });
    }
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("emit sites", () => {
  test("SCIM provisioning raises user/membership events; deactivation once, then deletion; sessions revoked", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t, "acme");
    const token = "scim-events-token-0123456789abcdef";
    const { slug } = await t.mutation(internal.scim.admin.seedDirectory, { groupSlug: "acme", name: "Acme", token });
    const scim = (path: string, method: string, body?: unknown) =>
      t.fetch(`/scim/v2/${slug}${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const created = await (await scim("/Users", "POST", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@acme.example", active: true })).json();
    await signIn(t, groupId, { subject: "nameid-ada", email: "ada@acme.example" });
    const off = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] };
    expect((await scim(`/Users/${created.id}`, "PATCH", off)).status).toBe(200);
    expect((await scim(`/Users/${created.id}`, "PATCH", off)).status).toBe(200); // again: no second event
    expect((await scim(`/Users/${created.id}`, "DELETE")).status).toBe(204);
    const types = (await allEvents(t)).map((e) => e.type).filter((x) => !["group.created", "domain.verified", "app.created"].includes(x));
    expect(types).toEqual(["user.created", "membership.created", "session.created", "user.deactivated", "session.revoked", "user.deleted"]);
    const deactivated = (await allEvents(t)).find((e) => e.type === "user.deactivated")!;
    expect(deactivated).toMatchObject({ groupId, data: { reason: "scim_deprovisioned", membershipRemoved: false } });
  });

  test("SAML / OIDC trace writers raise signin.failed with the code and reference, never the detail", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const ref = await t.mutation(internal.traces.record, { protocol: "saml", groupId, code: "signature_invalid", detail: "<Assertion>secret</Assertion>" });
    await t.mutation(internal.traces.record, { protocol: "oidc", code: "state_mismatch", detail: "x" });
    await t.mutation(internal.traces.record, { protocol: "oauth", code: "invalid_grant", detail: "x" });
    const failed = (await allEvents(t)).filter((e) => e.type === "signin.failed");
    expect(failed.map((e) => e.data)).toEqual([
      { protocol: "saml", code: "signature_invalid", traceRef: ref },
      { protocol: "oidc", code: "state_mismatch", traceRef: expect.any(String) },
    ]);
    expect(failed[0]!.groupId).toBe(groupId);
    expect(JSON.stringify(failed)).not.toContain("Assertion");
  });
});

describe("pull API: GET /events", () => {
  async function withKey() {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    for (let i = 0; i < 3; i++) await signIn(t, groupId, { subject: `u-${i}`, email: `p${i}@acme.example` });
    const { key, keyId } = await t.mutation(internal.events.apiKeys.create, { name: "app" });
    return { t, groupId, key, keyId };
  }
  const get = (t: T, path: string, key?: string) => t.fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  test("pages return every event exactly once, in cursor order, and end with has_more=false", async () => {
    const { t, key } = await withKey();
    const total = (await allEvents(t)).length;
    const seen: string[] = [];
    let after = "0";
    for (let page = 0; page < 20; page++) {
      const res = await get(t, `/events?after=${after}&limit=4`, key);
      expect(res.status).toBe(200);
      const body = await res.json();
      seen.push(...body.data.map((e: { id: string; cursor: string }) => `${e.cursor}:${e.id}`));
      after = body.next_cursor;
      if (!body.has_more) break;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen.map((s) => Number(s.split(":")[0]))).toEqual([...Array(total).keys()].map((i) => i + 1));
    // New events after the last page continue from the returned cursor.
    await t.mutation(internal.admin.groups.create, { slug: "beta", name: "Beta" });
    const more = await (await get(t, `/events?after=${after}`, key)).json();
    expect(more.data.map((e: { type: string }) => e.type)).toEqual(["group.created"]);
  });

  test("a group filter returns that group's events only", async () => {
    const { t, key, groupId } = await withKey();
    await t.mutation(internal.admin.groups.create, { slug: "beta", name: "Beta" });
    const body = await (await get(t, `/events?group=${groupId}&limit=500`, key)).json();
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((e: { group: string }) => e.group === groupId)).toBe(true);
  });

  test("bad API keys get 401 with a Bearer challenge and write nothing; bad parameters get 400", async () => {
    const { t, key, keyId } = await withKey();
    const { key: other } = await t.mutation(internal.events.apiKeys.create, { name: "rotated" });
    await t.mutation(internal.events.apiKeys.revoke, { keyId });
    const before = await snapshot(t);
    const bad: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${key}` }, // revoked
      { authorization: "Bearer evk_thisKeyWasNeverMintedByTheGateway000" },
      { authorization: `Basic ${btoa("a:b")}` },
      { authorization: "Bearer " },
      { authorization: `Bearer ${other} extra` },
    ];
    for (const headers of bad) {
      const res = await t.fetch("/events?after=0", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((await res.json()).error).toBe("invalid_token");
    }
    for (const q of ["after=-1", "after=abc", "after=1e3", "limit=0", "limit=501", "limit=x"]) {
      const res = await get(t, `/events?${q}`, other);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("invalid_request");
    }
    expect(await snapshot(t)).toEqual(before);
    expect((await get(t, "/events", other)).status).toBe(200); // the rotated-in key works
  });
});

describe("function-handle subscribers", () => {
  test("called with the envelope inside the recording transaction; a throwing subscriber aborts the change", async () => {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const handle = await t.run(() => createFunctionHandle(makeFunctionReference<"mutation">("testSubscriber:onEvent")));
    await t.mutation(internal.events.subscribers.subscribe, { handle, events: ["user.*", "group.updated"] });
    calls.length = 0;
    await signIn(t, groupId);
    expect(calls.map((c) => c.type)).toEqual(["user.created"]);
    const counted = await t.run((ctx) => ctx.db.query("eventCounters").withIndex("by_name", (q) => q.eq("name", "test-subscriber")).unique());
    expect(counted?.value).toBe(1);
    // group.updated: the subscriber throws, so the update and its event are rolled back together.
    const before = await snapshot(t);
    await expect(t.mutation(internal.admin.groups.update, { groupId, name: "Renamed" })).rejects.toThrow(/subscriber refuses/);
    expect(await snapshot(t)).toEqual(before);
    await expect(t.mutation(internal.events.subscribers.subscribe, { handle: "internal.x", events: [] })).rejects.toMatchObject({ data: { path: "handle" } });
    await expect(t.mutation(internal.events.subscribers.subscribe, { handle, events: ["nope.*"] })).rejects.toMatchObject({ data: { path: "events" } });
  });
});

describe("audit log", () => {
  test("paginated newest first, NDJSON export per group, retention swept in batches until done", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    process.env.GATEWAY_OPTIONS = JSON.stringify({ events: { retentionDays: 30 } });
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    await t.run(async (ctx) => {
      for (let i = 0; i < 600; i++) await logEvent(ctx, "group.updated", groupId, {});
    });
    vi.setSystemTime(new Date("2026-03-01T00:00:00Z"));
    await t.mutation(internal.admin.groups.create, { slug: "beta", name: "Beta" });

    const first = await t.query(internal.events.audit.list, { groupId, paginationOpts: { numItems: 50, cursor: null } });
    expect(first.page).toHaveLength(50);
    expect(Number(first.page[0]!.cursor)).toBeGreaterThan(Number(first.page[49]!.cursor));
    const lines: string[] = [];
    for (let after = 0, done = false; !done; ) {
      const page = await t.query(internal.events.audit.exportGroup, { groupId, after, limit: 250 });
      lines.push(...page.ndjson.split("\n").filter(Boolean));
      ({ nextCursor: after, done } = page);
    }
    const exported = lines.map((l) => JSON.parse(l));
    expect(exported).toHaveLength(602); // group.created + domain.verified + 600 updates (app.created has no group)
    expect(exported.map((e) => Number(e.cursor))).toEqual([...exported.map((e) => Number(e.cursor))].sort((a, b) => a - b));
    expect(exported.every((e) => e.group === groupId)).toBe(true);

    const deletedFirst = await t.mutation(internal.events.audit.sweep, {});
    expect(deletedFirst).toBe(500);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const left = await allEvents(t);
    expect(left.map((e) => e.type)).toEqual(["group.created"]); // only the event inside the window
    expect(left[0]!.cursor).toBe(604); // group.created, domain.verified, app.created, 600 updates, then this one
  });
});

describe("webhooks on a fake clock", () => {
  /** An in-process receiver (fetch stub) that verifies with the Standard Webhooks library. */
  function stubReceiver(failUntilAttempt: number) {
    const wh = new Webhook(SECRET);
    const state = { attempts: 0, times: [] as number[], processed: [] as ReceivedEvent[], seen: new Set<string>(), duplicates: 0 };
    vi.stubGlobal("fetch", async (url: URL | string, init: RequestInit) => {
      expect(String(url)).toBe("http://127.0.0.1:9/hooks");
      const headers = init.headers as Record<string, string>;
      const event = wh.verify(String(init.body), headers) as ReceivedEvent; // throws on a bad signature
      state.attempts++;
      state.times.push(Date.now());
      if (state.attempts <= failUntilAttempt) return new Response("down", { status: 503 });
      if (state.seen.has(headers["webhook-id"]!)) state.duplicates++;
      else state.seen.add(headers["webhook-id"]!), state.processed.push(event);
      return new Response(null, { status: 204 });
    });
    return state;
  }

  async function withEndpoint(events?: string[]) {
    const t = newGateway();
    const groupId = await seedGroupAndApp(t);
    const { endpointId } = await t.mutation(internal.events.webhooks.create, { url: "http://127.0.0.1:9/hooks", secret: SECRET, events });
    return { t, groupId, endpointId };
  }

  test("retries back off over about 3 days with jitter, then the endpoint is disabled with an event and a trace", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
    const receiver = stubReceiver(Infinity);
    const { t, groupId, endpointId } = await withEndpoint(["group.updated"]);
    await t.mutation(internal.admin.groups.update, { groupId, name: "Renamed" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(receiver.attempts).toBe(DEFAULT_RETRY_SCHEDULE_MS.length + 1);
    const gaps = receiver.times.slice(1).map((at, i) => at - receiver.times[i]!);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(DEFAULT_RETRY_SCHEDULE_MS[i]! * (1 - RETRY_JITTER) - 1);
      expect(gap).toBeLessThanOrEqual(DEFAULT_RETRY_SCHEDULE_MS[i]! * (1 + RETRY_JITTER) + 1);
    });
    const span = receiver.times.at(-1)! - receiver.times[0]!;
    expect(span / 86_400_000).toBeGreaterThan(2.3);
    expect(span / 86_400_000).toBeLessThan(3.6);
    const endpoint = await t.run((ctx) => ctx.db.get(endpointId));
    expect(endpoint).toMatchObject({ status: "disabled", disabledReason: expect.stringContaining("HTTP 503") });
    const disabled = (await allEvents(t)).find((e) => e.type === "webhook.endpoint_disabled")!;
    expect(disabled.data).toMatchObject({ endpointId, attempts: 10 });
    const trace = await t.query(internal.traces.byRef, { ref: (disabled.data as { traceRef: string }).traceRef });
    expect(trace).toMatchObject({ protocol: "webhook", code: "webhook_endpoint_disabled" });
    expect(trace!.detail).not.toContain("whsec_");
  });

  test("ordered per group, exactly once after dedupe, and a replay from a cursor re-delivers in order", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
    const receiver = stubReceiver(5);
    const { t, groupId, endpointId } = await withEndpoint();
    const beta = (await t.mutation(internal.admin.groups.create, { slug: "beta", name: "Beta" })) as unknown as Id<"groups">;
    for (let i = 0; i < 4; i++) {
      await t.mutation(internal.admin.groups.update, { groupId, name: `Acme ${i}` });
      await t.mutation(internal.admin.groups.update, { groupId: beta, name: `Beta ${i}` });
    }
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(receiver.processed).toHaveLength(9); // beta's group.created + 8 updates
    expect(inOrderPerGroup(receiver.processed)).toBe(true);
    expect(receiver.duplicates).toBe(0);
    expect(await t.run((ctx) => ctx.db.query("webhookDeliveries").collect())).toEqual([]);

    // Lanes interleave, so the receiver's order is by group, not global: pick the replay point by cursor.
    const firstRound = receiver.processed.map((e) => Number(e.cursor)).sort((a, b) => a - b);
    const from = firstRound[3]!;
    await t.mutation(internal.events.webhooks.replay, { endpointId, fromCursor: from });
    await t.mutation(internal.admin.groups.update, { groupId, name: "after replay" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(receiver.duplicates).toBe(firstRound.filter((c) => c >= from).length); // every replayed event, once more
    expect(receiver.processed).toHaveLength(10);
    expect(receiver.processed.at(-1)!.data).toEqual({});
    expect(receiver.processed.at(-1)!.type).toBe("group.updated");
    expect(inOrderPerGroup(receiver.processed)).toBe(true);
    expect((await t.run((ctx) => ctx.db.get(endpointId)))!.status).toBe("active");
  });

  test("endpoint URLs pass the SSRF classifier (loopback only in the local gateway) and secrets are checked", async () => {
    delete process.env.GATEWAY_LOCAL;
    const t = newGateway();
    for (const url of ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://169.254.169.254/latest", "https://u:p@hooks.example.com/", "https://intranet/x", "nope"]) {
      await expect(t.mutation(internal.events.webhooks.create, { url })).rejects.toMatchObject({ data: { kind: "WebhookAdminError", path: "url" } });
    }
    for (const secret of ["whsec_c2hvcnQ=", "plain-secret-without-prefix-000000", "whsec_not base64!"]) {
      await expect(t.mutation(internal.events.webhooks.create, { url: "https://hooks.example.com/x", secret })).rejects.toMatchObject({ data: { path: "secret" } });
    }
    await expect(t.mutation(internal.events.webhooks.create, { url: "https://hooks.example.com/x", events: ["user.nope"] })).rejects.toMatchObject({ data: { path: "events" } });
    const made = await t.mutation(internal.events.webhooks.create, { url: "https://hooks.example.com/x", events: ["user.*"] });
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const [listed] = await t.query(internal.events.webhooks.list, {});
    expect(JSON.stringify(listed)).not.toContain(made.secret);
  });
});
