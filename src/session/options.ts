// Gateway-wide options, named as Convex Auth names them (jwt.durationMs, session.*DurationMs).
// Read once from a JSON value (env GATEWAY_OPTIONS in Convex, the config file in the local gateway),
// validated with the dotted path of the offending field, then frozen.
import { z } from "zod";
import { DEFAULT_RETRY_SCHEDULE_MS } from "../events/backoff";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

const roleSchema = z
  .object({
    label: z.string().min(1).max(100),
    grants: z.array(z.string().min(1).max(100)).max(200).default([]),
  })
  .strict();

export const gatewayOptionsSchema = z
  .object({
    jwt: z
      .object({ durationMs: z.number().int().min(10_000).max(DAY).default(HOUR) })
      .strict()
      .default({ durationMs: HOUR }),
    session: z
      .object({
        totalDurationMs: z.number().int().min(60_000).default(30 * DAY),
        inactiveDurationMs: z.number().int().min(60_000).default(30 * DAY),
      })
      .strict()
      .default({ totalDurationMs: 30 * DAY, inactiveDurationMs: 30 * DAY }),
    refreshToken: z
      .object({
        /** Concurrent tabs may present the same refresh token within this window (≤ 10 s). */
        reuseGraceMs: z.number().int().min(0).max(10_000).default(10_000),
      })
      .strict()
      .default({ reuseGraceMs: 10_000 }),
    authCode: z
      .object({ ttlMs: z.number().int().min(1_000).max(60_000).default(60_000) })
      .strict()
      .default({ ttlMs: 60_000 }),
    authRequest: z
      .object({ ttlMs: z.number().int().min(60_000).max(60 * 60_000).default(10 * 60_000) })
      .strict()
      .default({ ttlMs: 10 * 60_000 }),
    signIn: z
      .object({
        /** Failed sign-ins per IdP subject (connection + subject) per hour before 429 (issue 9 §8). */
        maxFailedAttemptsPerHour: z.number().int().min(1).max(10_000).default(10),
      })
      .strict()
      .default({ maxFailedAttemptsPerHour: 10 }),
    traces: z
      .object({
        /** How long ssoTraces rows are kept; the hourly sweep deletes older ones. */
        retentionMs: z.number().int().min(HOUR).max(365 * DAY).default(30 * DAY),
      })
      .strict()
      .default({ retentionMs: 30 * DAY }),
    /** Events (docs/events.md): audit retention and webhook delivery. */
    events: z
      .object({
        retentionDays: z.number().int().min(1).max(3650).default(365),
        /** Delay after each failed webhook attempt (± 20 % jitter); attempts = length + 1. About 3 days by default. */
        webhookRetryScheduleMs: z.array(z.number().int().min(0).max(7 * DAY)).min(1).max(30).default([...DEFAULT_RETRY_SCHEDULE_MS]),
        webhookTimeoutMs: z.number().int().min(100).max(30_000).default(10_000),
      })
      .strict()
      .default({ retentionDays: 365, webhookRetryScheduleMs: [...DEFAULT_RETRY_SCHEDULE_MS], webhookTimeoutMs: 10_000 }),
    certificates: z
      .object({
        /** SAML certificates (the IdP's and ours) expiring within this many days are flagged: portal, cron event. */
        warningDays: z.number().int().min(1).max(365).default(30),
      })
      .strict()
      .default({ warningDays: 30 }),
    authorization: z
      .object({
        /** App-defined roles: role rules map IdP groups to these names; grants are resolved server-side. */
        roles: z.record(z.string().regex(/^[A-Za-z][\w:.-]{0,63}$/, "role names are letters, digits, _ : . -"), roleSchema).default({}),
      })
      .strict()
      .default({ roles: {} }),
  })
  .strict();

export type GatewayOptions = Readonly<z.infer<typeof gatewayOptionsSchema>>;

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Zod issue → `a.b.c: message` (the first issue; config errors are fixed one at a time). */
export function configErrorFrom(error: z.ZodError, prefix = ""): ConfigError {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(root)";
  return new ConfigError(path, issue.message);
}

export function parseGatewayOptions(input: unknown): GatewayOptions {
  const parsed = gatewayOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw configErrorFrom(parsed.error);
  return deepFreeze(parsed.data);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The grants of a set of roles, from `authorization.roles` (unknown roles grant nothing). */
export function grantsOf(roles: Readonly<Record<string, { grants: readonly string[] }>>, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) for (const grant of roles[name]?.grants ?? []) out.add(grant);
  return [...out].sort();
}
