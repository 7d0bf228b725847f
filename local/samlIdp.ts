// A built-in test SAML IdP for the local gateway and the tests: samlify's IdentityProvider signs the Response
// (assertion signed, RSA-SHA256); a login form lets you type any email / name and tick groups.
// NOT for production: it trusts any AuthnRequest and posts to the ACS URL the request names.
//
//   GET  {base}/metadata  IdP metadata (give it to the gateway: seedConnection / createConnection)
//   GET  {base}/sso       AuthnRequest over HTTP-Redirect  → login form
//   POST {base}/sso       AuthnRequest over HTTP-POST      → login form
//   POST {base}/login     the form                         → auto-POST of the signed Response to the ACS
//   GET  {base}/slo       SP-initiated LogoutRequest       → signed LogoutResponse back to the SP (Redirect)
import { generateKeyPairSync, sign as nodeSign, randomBytes } from "node:crypto";
import * as samlify from "samlify";
import { SignedXml } from "xml-crypto";
import { DOMParser } from "@xmldom/xmldom";
import { assembleCertificate, tbsCertificate, importRsaSigningKey } from "../src/saml/x509";
import { buildRedirectUrl, decodeRedirect } from "../src/saml/redirectBinding";
import { buildLogoutRequest, buildLogoutResponse, STATUS } from "../src/saml/messages";
import { xmlEscape as x, samlInstant } from "../src/saml/encoding";
import { escapeHtml as esc } from "../src/component/lib/pages";

const NS_P = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_A = "urn:oasis:names:tc:SAML:2.0:assertion";
const EMAIL_FMT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const B_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const B_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

// samlify validates inbound XML against the SAML schema only when asked to parse; we never ask it to parse.
samlify.setSchemaValidator({ validate: async () => "skipped" });

export interface TestIdpUser {
  email: string;
  name?: string;
  groups?: string[];
}

export interface RespondOptions {
  acsUrl: string;
  spEntityId: string;
  /** null → an unsolicited (IdP-initiated) response. */
  inResponseTo: string | null;
  user: TestIdpUser;
  now?: number;
  /** Validity window of the assertion, seconds (default 300). */
  lifetimeSec?: number;
  /** Also sign the Response element (Okta style). The assertion is always signed. */
  signResponse?: boolean;
  sessionIndex?: string;
  /** Fixed assertion ID (tests: the replay cache). */
  assertionId?: string;
  /** Override the Audience (tests: wrong audience). */
  audience?: string;
  /** Extra attributes (e.g. Entra claim URIs), sent after email / name / groups. */
  attributes?: Record<string, string[]>;
  /** Encrypt the (signed) assertion to this SP encryption certificate (base64 DER), RSA-OAEP + AES-256-CBC. */
  encryptTo?: string;
}

export interface TestSamlIdp {
  entityId: string;
  metadataXml: string;
  /** base64 DER */
  certificate: string;
  privateKeyPem: string;
  handle(req: Request): Promise<Response | null>;
  /** A signed SAMLResponse (base64), as the form would post it. */
  respond(o: RespondOptions): Promise<string>;
  /** An IdP-initiated LogoutRequest for the HTTP-POST binding: base64 of the XML with an enveloped signature. */
  logoutRequestPost(o: { spSloUrl: string; nameId: string; sessionIndex?: string; now?: number; signatureAlgorithm?: string; digestAlgorithm?: string }): string;
  /** An IdP-initiated LogoutRequest URL, signed (HTTP-Redirect), for the SP's SLO endpoint. */
  logoutRequestUrl(o: { spSloUrl: string; nameId: string; sessionIndex?: string; now?: number; relayState?: string }): Promise<string>;
}

function makeKeyAndCert(cn: string): { privateKeyPem: string; certificate: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const now = Date.now();
  const tbs = tbsCertificate(cn, now - 3600_000, now + 3650 * 86_400_000, spki);
  const sig = new Uint8Array(nodeSign("sha256", tbs, privateKey));
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certificate: Buffer.from(assembleCertificate(tbs, sig)).toString("base64"),
  };
}

function page(title: string, body: string, extraHeaders: Record<string, string> = {}): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>` +
      `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}` +
      `label{display:block;margin:.5rem 0}input[type=text],input[type=email]{width:100%;padding:.4rem}</style></head>` +
      `<body>${body}</body></html>`,
    { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...extraHeaders } },
  );
}

function parseAuthnRequest(xml: string): { id: string; acsUrl: string | null; issuer: string } {
  if (/<!DOCTYPE/i.test(xml)) throw new Error("DTD refused");
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  const root = doc.documentElement;
  if (!root || root.localName !== "AuthnRequest" || root.namespaceURI !== NS_P) throw new Error("not an AuthnRequest");
  const issuer = root.getElementsByTagNameNS(NS_A, "Issuer")[0]?.textContent?.trim() ?? "";
  return { id: root.getAttribute("ID") ?? "", acsUrl: root.getAttribute("AssertionConsumerServiceURL"), issuer };
}

export function createTestSamlIdp(opts: {
  baseUrl: string;
  groups?: string[];
  /** Sign the Response too (default false: assertion only, like Entra). */
  signResponse?: boolean;
}): TestSamlIdp {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const entityId = `${base}/metadata`;
  const { privateKeyPem, certificate } = makeKeyAndCert("Local test SAML IdP");
  const groups = opts.groups ?? ["admins", "engineering", "sales"];

  const idp = samlify.IdentityProvider({
    entityID: entityId,
    signingCert: certificate,
    privateKey: privateKeyPem,
    requestSignatureAlgorithm: RSA_SHA256,
    nameIDFormat: [EMAIL_FMT],
    singleSignOnService: [
      { Binding: B_REDIRECT, Location: `${base}/sso` },
      { Binding: B_POST, Location: `${base}/sso` },
    ],
    singleLogoutService: [{ Binding: B_REDIRECT, Location: `${base}/slo` }],
    wantAuthnRequestsSigned: false,
  });
  const metadataXml = idp.getMetadata();
  // The same IdP key, configured to encrypt assertions (samlify decides this per IdP instance).
  const encryptingIdp = samlify.IdentityProvider({
    entityID: entityId,
    signingCert: certificate,
    privateKey: privateKeyPem,
    requestSignatureAlgorithm: RSA_SHA256,
    nameIDFormat: [EMAIL_FMT],
    singleSignOnService: [{ Binding: B_REDIRECT, Location: `${base}/sso` }],
    singleLogoutService: [{ Binding: B_REDIRECT, Location: `${base}/slo` }],
    isAssertionEncrypted: true,
  });

  async function respond(o: RespondOptions): Promise<string> {
    const sp = samlify.ServiceProvider({
      entityID: o.spEntityId,
      assertionConsumerService: [{ Binding: B_POST, Location: o.acsUrl }],
      wantAssertionsSigned: true,
      wantMessageSigned: o.signResponse ?? opts.signResponse ?? false,
      ...(o.encryptTo ? { encryptCert: o.encryptTo } : {}),
    });
    const now = o.now ?? Date.now();
    const until = samlInstant(now + (o.lifetimeSec ?? 300) * 1000);
    const id = "_" + randomBytes(20).toString("hex");
    const aid = o.assertionId ?? "_" + randomBytes(20).toString("hex");
    const irt = o.inResponseTo ? ` InResponseTo="${x(o.inResponseTo)}"` : "";
    const attrs: string[] = [];
    const attr = (name: string, values: string[]) =>
      attrs.push(
        `<saml:Attribute Name="${x(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
          values.map((v) => `<saml:AttributeValue>${x(v)}</saml:AttributeValue>`).join("") +
          `</saml:Attribute>`,
      );
    attr("email", [o.user.email]);
    if (o.user.name) attr("name", [o.user.name]);
    if (o.user.groups?.length) attr("groups", o.user.groups);
    for (const [name, values] of Object.entries(o.attributes ?? {})) attr(name, values);
    const xml =
      `<samlp:Response xmlns:samlp="${NS_P}" xmlns:saml="${NS_A}" ID="${id}" Version="2.0" IssueInstant="${samlInstant(now)}" ` +
      `Destination="${x(o.acsUrl)}"${irt}><saml:Issuer>${x(entityId)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion ID="${aid}" Version="2.0" IssueInstant="${samlInstant(now)}"><saml:Issuer>${x(entityId)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${EMAIL_FMT}">${x(o.user.email)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} ` +
      `NotOnOrAfter="${until}" Recipient="${x(o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${samlInstant(now - 5000)}" NotOnOrAfter="${until}"><saml:AudienceRestriction>` +
      `<saml:Audience>${x(o.audience ?? o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${samlInstant(now)}" SessionIndex="${x(o.sessionIndex ?? "_s" + randomBytes(8).toString("hex"))}">` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport` +
      `</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>${attrs.join("")}</saml:AttributeStatement></saml:Assertion></samlp:Response>`;
    const signer = o.encryptTo ? encryptingIdp : idp;
    const out = await signer.createLoginResponse(sp, { extract: {} } as never, "post", { email: o.user.email }, { customTagReplacement: () => ({ id, context: xml }) });
    return out.context;
  }

  /** An IdP-initiated LogoutRequest to the SP, unsigned (each binding signs it its own way). */
  function logoutRequestXml(o: { spSloUrl: string; nameId: string; sessionIndex?: string; now?: number }): string {
    return buildLogoutRequest({
      id: "_" + randomBytes(20).toString("hex"),
      now: o.now ?? Date.now(),
      destination: o.spSloUrl,
      issuer: entityId,
      nameId: o.nameId,
      nameIdFormat: EMAIL_FMT,
      sessionIndex: o.sessionIndex,
    });
  }

  async function logoutRequestUrl(o: { spSloUrl: string; nameId: string; sessionIndex?: string; now?: number; relayState?: string }) {
    const xml = logoutRequestXml(o);
    return buildRedirectUrl({
      destination: o.spSloUrl,
      param: "SAMLRequest",
      xml,
      relayState: o.relayState,
      signingKey: await importRsaSigningKey(privateKeyPem),
    });
  }

  function logoutRequestPost(o: { spSloUrl: string; nameId: string; sessionIndex?: string; now?: number; signatureAlgorithm?: string; digestAlgorithm?: string }) {
    const xml = logoutRequestXml(o);
    const sig = new SignedXml({
      privateKey: privateKeyPem,
      canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
      signatureAlgorithm: o.signatureAlgorithm ?? RSA_SHA256,
    });
    sig.addReference({
      xpath: "/*",
      transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
      digestAlgorithm: o.digestAlgorithm ?? "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.computeSignature(xml, { prefix: "ds", location: { reference: "/*/*[local-name(.)='Issuer']", action: "after" } });
    return Buffer.from(sig.getSignedXml()).toString("base64");
  }

  function loginForm(samlRequestXml: string, relayState: string | null, error?: string): Response {
    let req: ReturnType<typeof parseAuthnRequest>;
    try {
      req = parseAuthnRequest(samlRequestXml);
    } catch {
      return page("Test IdP", `<h1>Test SAML IdP</h1><p>That is not a SAML AuthnRequest.</p>`);
    }
    const boxes = groups
      .map((g) => `<label><input type="checkbox" name="groups" value="${esc(g)}"> ${esc(g)}</label>`)
      .join("");
    return page(
      "Test SAML IdP — sign in",
      `<h1>Test SAML IdP</h1><p>Signing in to <code>${esc(req.issuer)}</code>. Any email works: this IdP is for local testing.</p>` +
        (error ? `<p style="color:#b42318">${esc(error)}</p>` : "") +
        `<form method="post" action="${esc(base)}/login">` +
        `<input type="hidden" name="SAMLRequest" value="${esc(Buffer.from(samlRequestXml).toString("base64"))}">` +
        (relayState !== null ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : "") +
        `<label>Email <input id="email" type="email" name="email" required value="alice@example.com" autofocus></label>` +
        `<label>Name <input id="name" type="text" name="name" value="Alice Example"></label>` +
        `<fieldset><legend>Groups</legend>${boxes}</fieldset>` +
        `<p><button type="submit" id="signin">Sign in</button></p></form>`,
    );
  }

  async function handle(req: Request): Promise<Response | null> {
    const url = new URL(req.url);
    if (!(url.pathname === new URL(base).pathname || url.pathname.startsWith(new URL(base).pathname + "/"))) return null;
    const sub = url.pathname.slice(new URL(base).pathname.length);
    if (sub === "/metadata" && req.method === "GET") {
      return new Response(metadataXml, { headers: { "content-type": "application/samlmetadata+xml" } });
    }
    if (sub === "/sso" && req.method === "GET") {
      try {
        const d = await decodeRedirect(url.search);
        return loginForm(d.xml, d.relayState);
      } catch {
        return page("Test IdP", `<h1>Test SAML IdP</h1><p>No valid SAMLRequest in this link.</p>`);
      }
    }
    if (sub === "/sso" && req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      const b64 = form.get("SAMLRequest") ?? "";
      return loginForm(Buffer.from(b64, "base64").toString("utf8"), form.get("RelayState"));
    }
    if (sub === "/login" && req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      const xml = Buffer.from(form.get("SAMLRequest") ?? "", "base64").toString("utf8");
      const relayState = form.get("RelayState");
      const email = (form.get("email") ?? "").trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) return loginForm(xml, relayState, "Type an email address.");
      let r: ReturnType<typeof parseAuthnRequest>;
      try {
        r = parseAuthnRequest(xml);
      } catch {
        return page("Test IdP", `<h1>Test SAML IdP</h1><p>That is not a SAML AuthnRequest.</p>`);
      }
      if (!r.acsUrl) return page("Test IdP", `<h1>Test SAML IdP</h1><p>The AuthnRequest names no ACS URL.</p>`);
      const samlResponse = await respond({
        acsUrl: r.acsUrl,
        spEntityId: r.issuer,
        inResponseTo: r.id,
        user: { email, name: (form.get("name") ?? "").trim() || undefined, groups: form.getAll("groups") },
      });
      return page(
        "Signing in…",
        `<form method="post" action="${esc(r.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}">` +
          (relayState !== null ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : "") +
          `<p>Returning to the application…</p><button type="submit" id="continue">Continue</button></form>` +
          `<script>document.forms[0].submit()</script>`,
      );
    }
    if (sub === "/slo" && req.method === "GET") {
      // Answer an SP-initiated LogoutRequest with a signed LogoutResponse to the SP's SLO endpoint.
      try {
        const d = await decodeRedirect(url.search);
        const doc = new DOMParser().parseFromString(d.xml, "text/xml");
        const root = doc.documentElement!;
        const spEntityId = root.getElementsByTagNameNS(NS_A, "Issuer")[0]?.textContent?.trim() ?? "";
        const spSlo = spEntityId.replace(/\/metadata$/, "/slo");
        const location = await buildRedirectUrl({
          destination: spSlo,
          param: "SAMLResponse",
          xml: buildLogoutResponse({
            id: "_" + randomBytes(20).toString("hex"),
            now: Date.now(),
            destination: spSlo,
            issuer: entityId,
            inResponseTo: root.getAttribute("ID") ?? "",
            status: STATUS.success,
          }),
          relayState: d.relayState ?? undefined,
          signingKey: await importRsaSigningKey(privateKeyPem),
        });
        return new Response(null, { status: 302, headers: { location } });
      } catch {
        return page("Test IdP", `<h1>Test SAML IdP</h1><p>No valid LogoutRequest in this link.</p>`);
      }
    }
    return null;
  }

  return { entityId, metadataXml, certificate, privateKeyPem, handle, respond, logoutRequestUrl, logoutRequestPost };
}
