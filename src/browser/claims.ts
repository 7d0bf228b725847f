// The session JWT's claims, decoded for display and for the app's UI. NOT a verification: the Convex backend
// (ctx.auth.getUserIdentity()) checks the signature; the browser only reads what it was given.
import { base64UrlDecode } from "../session/encoding";
import type { SessionClaims } from "../session/tokens";

/** The gateway's session claims (sub, sid, group_id, group, role, roles, auth_method, email…) plus the JWT's own. */
export interface SsoClaims extends SessionClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

/** Payload of a compact JWS, or null when it is not one. */
export function decodeClaims(jwt: string): SsoClaims | null {
  const parts = jwt.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1]))) as Partial<SsoClaims>;
    if (typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    return { roles: [], ...claims } as SsoClaims;
  } catch {
    return null;
  }
}
