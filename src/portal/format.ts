// Small formatting helpers shared by the portal's and the operator's page renderers.
import { escapeHtml as e } from "../shared/html";

export function badge(status: string, label = status): string {
  return `<span class="badge ${e(status)}">${e(label)}</span>`;
}

export function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** "1 user", "3 users": a count with its noun in the right number (English; `plural` for irregular nouns). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
