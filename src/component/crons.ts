// Scheduled jobs. Each protocol adds its own entries.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Foundation: expired auth requests, codes and refresh tokens, traces past retention, idle rate-limit buckets.
// `chain`: each sweep re-schedules itself while a batch comes back full, so every backlog is cleared.
crons.hourly("sweep expired sign-in rows", { minuteUTC: 11 }, internal.maintenance.sweep, { chain: true });

// SAML: re-fetch IdP metadata URLs, record certificate changes, warn before certificates expire, sweep TTL rows.
crons.daily("saml metadata refresh", { hourUTC: 4, minuteUTC: 17 }, internal.saml.cron.refreshAll, {});
crons.hourly("saml sweep", { minuteUTC: 41 }, internal.saml.cron.sweep, { chain: true });

// OIDC: expired state/nonce rows.
crons.hourly("oidc state sweep", { minuteUTC: 23 }, internal.oidc.store.purgeExpiredStates, { chain: true });

// Events: audit-log retention (events.retentionDays), swept in batches until done.
crons.daily("events retention sweep", { hourUTC: 3, minuteUTC: 29 }, internal.events.audit.sweep, {});

export default crons;
