// POST /sso/saml/{connection}/acs as a pipeline:
// parse form → load connection + pending request ids → open SP decryption keys → validate (node action) →
// finish (ONE mutation: InResponseTo single use, replay cache, complete-sign-in) → 302 to the app.
// Any failure → a trace row (the only write) and an error page with its reference. Nothing raw is echoed.
import { ConvexError } from "convex/values";
import type { ActionCtx } from "../lib/functions";
import type { Id } from "../_generated/dataModel";
import { internal } from "../_generated/api";
import { samlNodeApi } from "../../gateway/saml/nodeApi";
import { errorPage, tooManyRequestsPage } from "../lib/pages";
import { clientAddressKey } from "../../shared/clientAddress";
import { readBodyCapped } from "../lib/http";
import { openSecret } from "../lib/crypto";
import { closedTraceCode, publicMessage } from "../../saml/spErrors";
import { claimedInResponseTo } from "../../saml/inResponseTo";

/** Hard cap on the POST body before any parsing: 1 MiB decoded cap × 4/3 base64 × URL-encoding headroom. */
const MAX_ACS_BODY = 3 * 1024 * 1024;

class AcsFailure extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly connectionId?: Id<"connections">,
    readonly groupId?: Id<"groups">,
  ) {
    super(code);
  }
}

async function parseAcsForm(request: Request): Promise<{ samlResponse: string; relayState?: string }> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new AcsFailure("form_invalid", `content-type ${JSON.stringify(type.slice(0, 60))}`);
  const body = await readBodyCapped(request, MAX_ACS_BODY);
  if (body === null) throw new AcsFailure("response_too_large", `form body over ${MAX_ACS_BODY} bytes`);
  const params = new URLSearchParams(body);
  const responses = params.getAll("SAMLResponse");
  const relays = params.getAll("RelayState");
  if (responses.length !== 1 || !responses[0]) throw new AcsFailure("form_invalid", "exactly one non-empty SAMLResponse is required");
  if (relays.length > 1) throw new AcsFailure("form_invalid", "RelayState is repeated");
  const relayState = relays[0];
  // SAML Bindings §3.5.3: RelayState MUST NOT exceed 80 bytes. Ours are 32; anything longer is not ours.
  if (relayState !== undefined && new TextEncoder().encode(relayState).length > 80) {
    throw new AcsFailure("relay_state_invalid", "RelayState longer than 80 bytes");
  }
  return relayState ? { samlResponse: responses[0], relayState } : { samlResponse: responses[0] };
}

export async function acs(ctx: ActionCtx, request: Request, connection: string): Promise<Response> {
  let connectionId: Id<"connections"> | undefined;
  let groupId: Id<"groups"> | undefined;
  let subject: string | undefined; // set once the assertion is verified: later failures count against it
  // Rate limit first; an unknown connection id gets a 404 and writes nothing (not even a trace).
  const limit = await ctx.runMutation(internal.limits.takeForConnection, { endpoint: "acs", address: clientAddressKey(request.headers), connection });
  if ("unknown" in limit) return errorPage({ title: "Not found", message: "There is no single sign-on connection at this address.", status: 404 });
  if (!limit.ok) return tooManyRequestsPage(limit.retryAfterSec);
  try {
    const form = await parseAcsForm(request);
    const inResponseTo = form.relayState ? undefined : claimedInResponseTo(form.samlResponse, MAX_ACS_BODY);
    const loaded = await ctx.runQuery(internal.saml.acs.load, { connectionId: connection, relayState: form.relayState, inResponseTo });
    if (!loaded.ok) throw new AcsFailure(loaded.code, "connection lookup", loaded.connectionId, loaded.groupId);
    connectionId = loaded.connectionId;
    groupId = loaded.groupId;

    let decryptionKeys: string[];
    try {
      decryptionKeys = await Promise.all(loaded.sealedDecryptionKeys.map((k) => openSecret(k)));
    } catch {
      throw new AcsFailure("sp_key_unavailable", "cannot open an SP encryption key (GATEWAY_ENCRYPTION_KEY changed?)");
    }

    const result = await ctx.runAction(samlNodeApi.saml.node.validateResponse, {
      samlResponse: form.samlResponse,
      now: Date.now(),
      expected: { ...loaded.expected, decryptionKeys },
    });
    if (!result.ok) throw new AcsFailure(result.code, result.detail);
    const subjectLimit = await ctx.runQuery(internal.limits.checkFailedSignIns, { connectionId: loaded.connectionId, subject: result.assertion.nameId });
    if (!subjectLimit.ok) return tooManyRequestsPage(subjectLimit.retryAfterSec);
    subject = result.assertion.nameId;

    const { redirectTo } = await ctx.runMutation(internal.saml.acs.finish, {
      connectionId: loaded.connectionId,
      relayState: form.relayState,
      assertion: result.assertion,
      signerSha256: result.signerSha256,
    });
    return new Response(null, { status: 302, headers: { location: redirectTo, "cache-control": "no-store" } });
  } catch (e) {
    let code = "internal_error";
    let detail = "unexpected failure";
    if (e instanceof AcsFailure) {
      code = e.code;
      detail = e.detail;
      connectionId = e.connectionId ?? connectionId;
      groupId = e.groupId ?? groupId;
    } else if (e instanceof ConvexError && e.data && typeof e.data === "object") {
      const d = e.data as { kind?: string; code?: string; message?: string };
      // SignInError codes (request_used, membership_inactive, …) are kept, prefixed, in the detail.
      code = d.kind === "SamlError" && d.code ? d.code : d.kind === "SignInError" ? (d.code === "request_used" || d.code === "request_expired" || d.code === "account_link_refused" ? d.code : "signin_failed") : code;
      detail = `${d.kind ?? "error"}${d.code ? `/${d.code}` : ""}: ${d.message ?? ""}`;
    } else if (e instanceof Error) {
      detail = `${e.name}: ${e.message}`.slice(0, 500);
    }
    if (closedTraceCode(code) !== code) detail = `(${code.slice(0, 40)}) ${detail}`;
    code = closedTraceCode(code);
    const ref = await ctx.runMutation(internal.traces.record, {
      protocol: "saml",
      connectionId,
      groupId,
      code,
      detail: `acs: ${detail}`,
      ...(subject !== undefined ? { failedSubject: subject } : {}),
    });
    const pm = publicMessage(code);
    return errorPage({ title: pm.title, message: pm.message, ref, status: code === "internal_error" ? 500 : 400 });
  }
}
