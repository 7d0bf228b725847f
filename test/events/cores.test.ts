// The pure event cores: catalogue validation, filters, cursors, retry timing, and Standard Webhooks signing
// checked against the reference library's verifier and the specification's published example.
import { describe, expect, test } from "vitest";
import { Webhook } from "standardwebhooks";
import { EVENT_TYPES, checkEvent, checkEventFilter, envelopeOf, filterMatches, parseCursor, publicEvents } from "../../src/events/catalogue";
import { DEFAULT_RETRY_SCHEDULE_MS, nextRetry, totalRetryWindowMs } from "../../src/events/backoff";
import { checkWebhookSecret, generateWebhookSecret, signWebhook } from "../../src/events/sign";

describe("catalogue", () => {
  test("issue #12's event types are all in the public catalogue", () => {
    const wanted = [
      "user.created", "user.updated", "user.deactivated", "user.deleted",
      "group.created", "group.updated", "group.deleted",
      "membership.created", "membership.updated", "membership.deleted",
      "session.created", "session.revoked", "signin.failed",
      "connection.activated", "connection.deactivated", "connection.certificate_expiring", "domain.verified",
    ];
    expect(Object.keys(publicEvents).sort()).toEqual(wanted.sort());
  });

  test("refuses unknown types, missing and unknown fields, wrong types; names the field", () => {
    expect(() => checkEvent("user.exploded", {})).toThrow(/not in the event catalogue/);
    expect(() => checkEvent("user.created", {})).toThrow(/data\.userId/);
    expect(() => checkEvent("signin.failed", { protocol: "saml", code: "x", traceRef: "r", detail: "raw assertion" })).toThrow(/detail|unrecognized/i);
    expect(() => checkEvent("signin.failed", { protocol: "ldap", code: "x", traceRef: "r" })).toThrow(/data\.protocol/);
    expect(() => checkEvent("toString", {})).toThrow(/not in the event catalogue/); // no prototype lookups
    expect(checkEvent("session.created", { userId: "u", sessionId: "s", authMethod: "dev", connectionId: undefined }).data).toEqual({ userId: "u", sessionId: "s", authMethod: "dev" });
  });

  test("filters: exact types and families; an unknown name is refused", () => {
    expect(checkEventFilter(["user.*", "session.revoked"])).toEqual(["user.*", "session.revoked"]);
    expect(() => checkEventFilter(["users.*"])).toThrow();
    expect(() => checkEventFilter(["user.exploded"])).toThrow();
    expect(filterMatches(["user.*"], "user.deactivated")).toBe(true);
    expect(filterMatches(["user.*"], "users.x")).toBe(false);
    expect(filterMatches(undefined, "anything")).toBe(true);
    expect(filterMatches([], "anything")).toBe(true);
    expect(EVENT_TYPES.every((t) => /^[a-z_]+(\.[a-z_]+)+$/.test(t))).toBe(true);
  });

  test("cursors are decimal integers; anything else is refused", () => {
    expect(parseCursor(null)).toBe(0);
    expect(parseCursor("")).toBe(0);
    expect(parseCursor("42")).toBe(42);
    for (const bad of ["-1", "1.5", "1e3", "0x10", " 1", "9999999999999999"]) expect(parseCursor(bad)).toBeNull();
  });

  test("envelope: ISO timestamp, string cursor, null group outside a group", () => {
    expect(envelopeOf({ eventId: "evt_1", type: "app.created", cursor: 7, at: 0, data: { clientId: "c" } })).toEqual({
      id: "evt_1", type: "app.created", version: 1, cursor: "7", group: null, timestamp: "1970-01-01T00:00:00.000Z", data: { clientId: "c" },
    });
  });
});

describe("retry timing", () => {
  test("the default schedule spans about 3 days in 10 attempts, growing", () => {
    const days = totalRetryWindowMs(DEFAULT_RETRY_SCHEDULE_MS) / 86_400_000;
    expect(days).toBeGreaterThan(2.8);
    expect(days).toBeLessThan(3.2);
    expect(DEFAULT_RETRY_SCHEDULE_MS.every((d, i) => i === 0 || d >= DEFAULT_RETRY_SCHEDULE_MS[i - 1]!)).toBe(true);
  });

  test("jitter stays within ±20 % and the schedule ends", () => {
    const schedule = [1000, 2000];
    expect(nextRetry(1, schedule, () => 0)).toEqual({ retry: true, delayMs: 800 });
    expect(nextRetry(1, schedule, () => 0.999999)).toEqual({ retry: true, delayMs: 1200 });
    expect(nextRetry(2, schedule, () => 0.5)).toEqual({ retry: true, delayMs: 2000 });
    expect(nextRetry(3, schedule, () => 0.5)).toEqual({ retry: false });
    expect(nextRetry(0, schedule, () => 0.5)).toEqual({ retry: false });
  });
});

describe("Standard Webhooks signing", () => {
  test("matches the specification's example signature", () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (Signature scheme)
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const body = '{"test": 2432232314}';
    const h = signWebhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", new Date(1614265330 * 1000), body);
    expect(h).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  test("the library's verifier accepts our signature and refuses a changed body, id or secret", () => {
    const secret = generateWebhookSecret((n) => new Uint8Array(n).map((_, i) => i * 7));
    const body = JSON.stringify({ type: "user.deactivated" });
    const headers = signWebhook(secret, "evt_1", new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ type: "user.deactivated" });
    expect(() => new Webhook(secret).verify(body + " ", { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "evt_2" })).toThrow();
    expect(() => new Webhook(generateWebhookSecret((n) => new Uint8Array(n).fill(1))).verify(body, { ...headers })).toThrow();
  });

  test("secrets: whsec_ + base64 of at least 16 bytes", () => {
    expect(generateWebhookSecret((n) => new Uint8Array(n))).toMatch(/^whsec_A{32}$/);
    expect(checkWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBeTruthy();
    for (const bad of ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ=", "whsec_", "whsec_ab cd", "whsec_abc-_def"]) {
      expect(() => checkWebhookSecret(bad)).toThrow();
    }
  });
});
