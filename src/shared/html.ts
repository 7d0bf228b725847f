// HTML escaping for every page the gateway renders (portal, error pages, local pages).
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
