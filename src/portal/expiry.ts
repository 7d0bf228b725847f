// How soon a certificate expires, in the words the portal shows (pure; `now` injected).
const DAY_MS = 86_400_000;

export interface ExpiryState {
  /** Whole days left (negative once expired). */
  days: number;
  /** Within the warning window or past it: flag it on the page. */
  flagged: boolean;
  text: string;
}

export function expiryState(notAfter: number, now: number, warnDays: number): ExpiryState {
  const days = Math.floor((notAfter - now) / DAY_MS);
  if (days < 0) return { days, flagged: true, text: "expired" };
  const text = days === 0 ? "expires today" : `expires in ${days} day${days === 1 ? "" : "s"}`;
  return { days, flagged: days <= warnDays, text };
}
