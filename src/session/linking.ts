// The account-linking rule (issue 9): which email address may link a login to an existing member, and when a
// session JWT may say `email_verified: true`. Pure: the adapter looks up the group's verified domains.
//
// An identity links to a user by (connection, subject) always. By email only when that IdP verified the
// address AND its domain is one of the group's verified domains: any IdP of any tenant can assert any address,
// so an address is only evidence when someone who controls the domain stands behind it.

export type LinkByEmail = "verified_domain" | "never";
export type OnLinkConflict = "refuse" | "new_user";

export interface LinkingPolicy {
  readonly byEmail: LinkByEmail;
  readonly onConflict: OnLinkConflict;
}

/** Secure defaults: link by email only under the verified-domain rule; refuse a login that may not link. */
export const DEFAULT_LINKING: LinkingPolicy = Object.freeze({ byEmail: "verified_domain", onConflict: "refuse" });

export function linkingPolicy(policy: { linking?: Partial<LinkingPolicy> | undefined } | undefined): LinkingPolicy {
  return Object.freeze({
    byEmail: policy?.linking?.byEmail ?? DEFAULT_LINKING.byEmail,
    onConflict: policy?.linking?.onConflict ?? DEFAULT_LINKING.onConflict,
  });
}

const EMAIL = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;

/** The lower-case domain of an address, or undefined when it is not one. */
export function emailDomain(email: string | undefined): string | undefined {
  const m = email ? EMAIL.exec(email.trim()) : null;
  return m ? m[1]!.toLowerCase().replace(/\.$/, "") : undefined;
}

/**
 * `email_verified` of a group's token, and whether the address may link: the IdP verified it
 * (`idpVerified === true`, never assumed) and its domain is one of the group's verified domains.
 */
export function isTrustedEmail(email: string | undefined, idpVerified: boolean | undefined, verifiedDomains: ReadonlySet<string>): boolean {
  const domain = emailDomain(email);
  return idpVerified === true && domain !== undefined && verifiedDomains.has(domain);
}
