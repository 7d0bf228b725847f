// Scheduled jobs. Each protocol adds its own entries.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Foundation: expired auth requests, codes and refresh tokens.
crons.hourly("sweep expired sign-in rows", { minuteUTC: 11 }, internal.maintenance.sweep, {});

// SAML: re-fetch IdP metadata URLs, record certificate changes, warn before certificates expire, sweep TTL rows.
crons.daily("saml metadata refresh", { hourUTC: 4, minuteUTC: 17 }, internal.saml.cron.refreshAll, {});
crons.hourly("saml sweep", { minuteUTC: 41 }, internal.saml.cron.sweep, {});

// OIDC: expired state/nonce rows.
crons.hourly("oidc state sweep", { minuteUTC: 23 }, internal.oidc.store.purgeExpiredStates, {});

export default crons;
