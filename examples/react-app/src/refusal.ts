// A guard's refusal (ConvexError data from convex-sso-gateway/server: { kind, message, required? }) in plain words.
import { ConvexError } from "convex/values";

const ACTIONS: Record<string, string> = {
  "projects:read": "see your organisation's projects",
  "projects:write": "add projects",
};

export function refusalText(error: unknown, role: string | undefined): string {
  const data = error instanceof ConvexError ? (error.data as { kind?: string; required?: string | string[] }) : undefined;
  switch (data?.kind) {
    case "MissingGrant": {
      const grant = String(data.required ?? "");
      return `Your role${role ? ` (${role})` : ""} can't ${ACTIONS[grant] ?? `do this`}: that needs the “${grant}” permission. Ask an admin of your organisation.`;
    }
    case "MissingRole":
      return `This needs the ${[data.required ?? []].flat().join(" or ")} role.`;
    case "SessionRevoked":
      return "Your session has ended. Please sign in again.";
    case "Unauthenticated":
    case "NotAMember":
      return "Sign in with your organisation's account to continue.";
    case "InvalidInput":
      return error instanceof ConvexError ? capitalised(String((error.data as { message?: string }).message ?? "")) : "";
    default:
      return "Something went wrong. Please try again.";
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}
