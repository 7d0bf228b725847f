// Scheduled jobs. Each protocol adds its own entries.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// SAML: re-fetch IdP metadata URLs, record certificate changes, warn before certificates expire, sweep TTL rows.
crons.daily("saml metadata refresh", { hourUTC: 4, minuteUTC: 17 }, internal.saml.cron.refreshAll, {});
crons.hourly("saml sweep", { minuteUTC: 41 }, internal.saml.cron.sweep, {});

export default crons;
