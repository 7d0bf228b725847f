// Webhook retry timing: after attempt n (1-based) fails, wait schedule[n-1] ± jitter; when the schedule is
// used up the delivery has failed for good and the endpoint is disabled. The default schedule grows roughly
// exponentially and adds up to about 3 days (the Standard Webhooks retry guidance, stretched to 3 days).
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  20 * HOUR,
];

/** ±20 %: spreads a burst of endpoints that failed together (a receiver outage) over time. */
export const RETRY_JITTER = 0.2;

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * What to do after `attempts` failed attempts. `random` is injected (returns [0, 1)); the delay is
 * schedule[attempts-1] scaled by a factor in [1 - jitter, 1 + jitter).
 */
export function nextRetry(attempts: number, schedule: readonly number[], random: () => number): RetryDecision {
  if (attempts < 1 || attempts > schedule.length) return { retry: false };
  const base = schedule[attempts - 1]!;
  const factor = 1 + RETRY_JITTER * (2 * random() - 1);
  return { retry: true, delayMs: Math.max(0, Math.round(base * factor)) };
}

export function totalRetryWindowMs(schedule: readonly number[]): number {
  return schedule.reduce((a, b) => a + b, 0);
}
