// The SP's URLs for one connection. The entity ID is the metadata URL (a common, self-describing choice).
export interface SpEndpoints {
  entityId: string;
  metadataUrl: string;
  acsUrl: string;
  sloUrl: string;
  logoutStartUrl: string;
}

export function spEndpoints(siteUrl: string, connectionId: string): SpEndpoints {
  const base = `${siteUrl.replace(/\/+$/, "")}/sso/saml/${encodeURIComponent(connectionId)}`;
  return {
    entityId: `${base}/metadata`,
    metadataUrl: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    sloUrl: `${base}/slo`,
    logoutStartUrl: `${base}/logout`,
  };
}
