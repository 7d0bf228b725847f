// The event catalogue: every event type the gateway records, with a versioned JSON shape for its `data`.
// `recordEvent` (src/component/events/record.ts, behind signin.ts's logEvent) refuses a type that is not here and data
// that does not match, so what webhooks, the pull API and function-handle subscribers receive is exactly what
// docs/events.md documents. Shapes are additive within a version: a new optional field keeps `v1`; renaming or
// removing a field means a new version.
import { z } from "zod";

export const EVENT_SCHEMA_VERSION = 1;

const id = z.string().min(1);
const roles = z.array(z.string());
const membershipSource = z.enum(["admin", "jit", "scim"]);

/** The public catalogue (issue #12): what apps subscribe to. */
export const publicEvents = {
  "user.created": z.object({ userId: id, provider: z.string().optional(), directoryId: id.optional() }).strict(),
  "user.updated": z.object({ userId: id, fields: z.array(z.enum(["email", "name"])), directoryId: id.optional() }).strict(),
  "user.deactivated": z
    .object({ userId: id, reason: z.enum(["scim_deprovisioned", "admin"]), membershipRemoved: z.boolean(), directoryId: id.optional() })
    .strict(),
  "user.deleted": z.object({ userId: id, directoryId: id.optional(), scimUserId: id.optional() }).strict(),
  "group.created": z.object({ slug: z.string() }).strict(),
  "group.updated": z.object({}).strict(),
  "group.deleted": z.object({ groupId: id }).strict(),
  "membership.created": z.object({ userId: id, roles, source: membershipSource }).strict(),
  "membership.updated": z.object({ userId: id, roles, status: z.enum(["active", "inactive"]), source: membershipSource }).strict(),
  "membership.deleted": z.object({ userId: id }).strict(),
  "session.created": z
    .object({ userId: id, sessionId: id, authMethod: z.enum(["saml", "oidc", "dev"]), connectionId: id.optional() })
    .strict(),
  "session.revoked": z.object({ sessionId: id, reason: z.string() }).strict(),
  "signin.failed": z
    .object({ protocol: z.enum(["saml", "oidc"]), code: z.string(), traceRef: z.string(), connectionId: id.optional() })
    .strict(),
  "connection.activated": z.object({ connectionId: id, kind: z.enum(["saml", "oidc"]) }).strict(),
  "connection.deactivated": z.object({ connectionId: id, kind: z.enum(["saml", "oidc"]) }).strict(),
  "connection.certificate_expiring": z
    .object({ connectionId: id, sha256: z.string(), notAfter: z.number(), daysLeft: z.number().int() })
    .strict(),
  "domain.verified": z.object({ domain: z.string(), method: z.enum(["admin", "dns"]).optional() }).strict(),
} as const;

/** Setup-portal audit (docs/portal.md): each names the portal session or link it came from; fields vary by action. */
const portalAudit = z.object({ portalSessionId: id.optional(), linkId: id.optional() }).catchall(z.unknown());
const PORTAL_ACTIONS = [
  "portal.link.created",
  "portal.link.revoked",
  "portal.session.opened",
  "portal.session.closed",
  "portal.connection.created",
  "portal.connection.configured",
  "portal.connection.test_started",
  "portal.connection.tested",
  "portal.connection.activated",
  "portal.domain.added",
  "portal.domain.verified",
  "portal.scim.directory_created",
  "portal.scim.token_minted",
  "portal.scim.token_revoked",
  "portal.certificate.idp_added",
  "portal.certificate.idp_promoted",
  "portal.certificate.idp_removed",
  "portal.certificate.sp_next_created",
  "portal.certificate.sp_switched",
  "portal.certificate.sp_retired",
] as const;
const portalEvents = Object.fromEntries(PORTAL_ACTIONS.map((t) => [t, portalAudit])) as Record<(typeof PORTAL_ACTIONS)[number], typeof portalAudit>;

/** Operator-page audit (docs/portal.md): each names the operator session or operator link it came from. */
const operatorAudit = z.object({ operatorSessionId: id.optional(), linkId: id.optional() }).catchall(z.unknown());
const OPERATOR_ACTIONS = [
  "operator.link.created",
  "operator.link.revoked",
  "operator.session.opened",
  "operator.session.closed",
  "operator.setup_link.created",
  "operator.setup_link.revoked",
] as const;
const operatorEvents = Object.fromEntries(OPERATOR_ACTIONS.map((t) => [t, operatorAudit])) as Record<(typeof OPERATOR_ACTIONS)[number], typeof operatorAudit>;

/** Operational events: recorded in the audit log and delivered like the others, but not part of issue #12's list. */
export const operationalEvents = {
  "app.created": z.object({ clientId: z.string() }).strict(),
  "app.deleted": z.object({ clientId: z.string() }).strict(),
  "connection.created": z.object({ connectionId: id, kind: z.enum(["saml", "oidc"]) }).strict(),
  "saml.certificates.changed": z.object({ connectionId: id, source: z.string(), changes: z.array(z.unknown()) }).strict(),
  "saml.metadata.refresh_failed": z.object({ connectionId: id, error: z.string() }).strict(),
  "saml.slo.idp": z.object({ connectionId: id, revoked: z.number().int() }).strict(),
  "oidc.groups_not_delivered": z.object({ connectionId: id, subject: z.string() }).strict(),
  "webhook.endpoint_disabled": z.object({ endpointId: id, reason: z.string(), traceRef: z.string(), attempts: z.number().int() }).strict(),
  "domain.unverified": z.object({ domain: z.string(), method: z.literal("admin") }).strict(),
  ...portalEvents,
  ...operatorEvents,
} as const;

export const eventCatalogue = { ...publicEvents, ...operationalEvents } as const;
export type EventType = keyof typeof eventCatalogue;
export const EVENT_TYPES = Object.keys(eventCatalogue) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalogue, type);
}

export class EventShapeError extends Error {
  override name = "EventShapeError";
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`event "${type}": ${message}`);
  }
}

/** Validate an event before it is recorded; returns the data as the catalogue shapes it (Convex-storable JSON). */
export function checkEvent(type: string, data: unknown): { type: EventType; data: Record<string, unknown> } {
  if (!isEventType(type)) throw new EventShapeError(type, "is not in the event catalogue (src/events/catalogue.ts)");
  const parsed = eventCatalogue[type].safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EventShapeError(type, `data.${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
  }
  // JSON round trip: optional fields given as `undefined` disappear, as they would on the wire.
  return { type, data: JSON.parse(JSON.stringify(parsed.data)) as Record<string, unknown> };
}

/** Which traces are failed sign-ins (raise `signin.failed`): SAML and OIDC ones, except single-logout failures. */
export function isSignInFailureTrace(protocol: string, code: string): boolean {
  return (protocol === "saml" || protocol === "oidc") && !code.startsWith("slo_");
}

/** Endpoint / subscriber filters name catalogue types or a `prefix.*` family. */
export function checkEventFilter(filter: readonly string[]): string[] {
  for (const f of filter) {
    const family = f.endsWith(".*") ? f.slice(0, -2) : undefined;
    const ok = family ? EVENT_TYPES.some((t) => t.startsWith(`${family}.`)) : isEventType(f);
    if (!ok) throw new EventShapeError(f, "is not an event type or family of the catalogue");
  }
  return [...filter];
}

export function filterMatches(filter: readonly string[] | undefined, type: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((f) => (f.endsWith(".*") ? type.startsWith(f.slice(0, -1)) : f === type));
}

/** The wire shape (webhook body, pull API item, subscriber argument). `cursor` is a decimal string. */
export interface EventEnvelope {
  id: string;
  type: string;
  version: number;
  cursor: string;
  group: string | null;
  timestamp: string;
  data: Record<string, unknown>;
}

export function envelopeOf(doc: { eventId?: string; type: string; cursor?: number; groupId?: string; at: number; data: unknown }): EventEnvelope {
  return {
    id: doc.eventId ?? "",
    type: doc.type,
    version: EVENT_SCHEMA_VERSION,
    cursor: String(doc.cursor ?? 0),
    group: doc.groupId ?? null,
    timestamp: new Date(doc.at).toISOString(),
    data: (doc.data ?? {}) as Record<string, unknown>,
  };
}

/** Parse a pull-API cursor (`after`): absent → 0; anything but a non-negative decimal integer is refused. */
export function parseCursor(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || raw === "") return 0;
  if (!/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}
