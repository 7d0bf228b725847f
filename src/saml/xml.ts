// Safe XML parsing for metadata and logout messages (Web APIs + @xmldom/xmldom, runs in Convex's default runtime).
// Any DTD is refused before parsing (no entity expansion, no external entities: XXE / billion laughs).
import { DOMParser } from "@xmldom/xmldom";

export const NS = {
  md: "urn:oasis:names:tc:SAML:2.0:metadata",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  saml: "urn:oasis:names:tc:SAML:2.0:assertion",
  samlp: "urn:oasis:names:tc:SAML:2.0:protocol",
} as const;

export const BINDINGS = {
  redirect: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
  post: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
} as const;

export class XmlError extends Error {
  constructor(
    readonly code: "xml_dtd_refused" | "xml_malformed" | "xml_too_large",
    message: string,
  ) {
    super(message);
  }
}

// Minimal structural types: xmldom's own types differ from lib.dom's; we only need this much.
export interface XElement {
  readonly nodeType: number;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly childNodes: ArrayLike<XNode>;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}
export interface XNode {
  readonly nodeType: number;
}

export function parseXml(xml: string, maxBytes: number): XElement {
  if (xml.length > maxBytes) throw new XmlError("xml_too_large", `document is larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    throw new XmlError("xml_dtd_refused", "a DTD or entity declaration is not allowed");
  }
  let failure: string | null = null;
  const onError = (level: "warning" | "error" | "fatalError", msg: string) => {
    if (level !== "warning" && failure === null) failure = msg;
  };
  const parser = new DOMParser({ onError } as unknown as ConstructorParameters<typeof DOMParser>[0]);
  let doc: { documentElement: unknown; doctype?: unknown } | undefined;
  try {
    doc = parser.parseFromString(xml, "text/xml") as unknown as { documentElement: unknown; doctype?: unknown };
  } catch (e) {
    throw new XmlError("xml_malformed", "document is not well-formed XML");
  }
  if (failure !== null || !doc?.documentElement) throw new XmlError("xml_malformed", "document is not well-formed XML");
  if (doc.doctype) throw new XmlError("xml_dtd_refused", "a DTD is not allowed");
  return doc.documentElement as XElement;
}

export function isElement(n: XNode): n is XElement {
  return n.nodeType === 1;
}

export function childElements(el: XElement, ns?: string, local?: string): XElement[] {
  const out: XElement[] = [];
  for (let i = 0; i < el.childNodes.length; i++) {
    const c = el.childNodes[i]!;
    if (!isElement(c)) continue;
    if (ns !== undefined && c.namespaceURI !== ns) continue;
    if (local !== undefined && c.localName !== local) continue;
    out.push(c);
  }
  return out;
}

export function firstChild(el: XElement, ns: string, local: string): XElement | undefined {
  return childElements(el, ns, local)[0];
}

/** All descendants (depth-first) with this name. */
export function descendants(el: XElement, ns: string, local: string, out: XElement[] = []): XElement[] {
  for (const c of childElements(el)) {
    if (c.namespaceURI === ns && c.localName === local) out.push(c);
    descendants(c, ns, local, out);
  }
  return out;
}

/** Whole text content (every text node, so a comment cannot truncate it), trimmed. */
export function text(el: XElement | undefined): string {
  return (el?.textContent ?? "").trim();
}
