// Building a connection config from IdP metadata plus the admin's choices (pure).
import type { IdpMetadata } from "./idpMetadata";
import type { SamlConfigInput } from "./config";

type Overrides = Omit<Partial<SamlConfigInput>, "idp"> & { idp?: Partial<SamlConfigInput["idp"]> };

/** Metadata supplies the IdP part; `overrides` (admin input) wins field by field. */
export function configFromMetadata(md: IdpMetadata, overrides: Overrides = {}, metadataUrl?: string): SamlConfigInput {
  const { idp: idpOverride, ...rest } = overrides;
  const idp: SamlConfigInput["idp"] = {
    entityId: md.entityId,
    ssoUrls: md.ssoUrls,
    certificates: md.signingCertificates.slice(0, 4),
    nameIdFormats: md.nameIdFormats.slice(0, 10),
    wantAuthnRequestsSigned: md.wantAuthnRequestsSigned,
    ...(md.sloUrls ? { sloUrls: md.sloUrls } : {}),
    ...(metadataUrl ? { metadataUrl } : {}),
    ...idpOverride,
  };
  return { ...rest, idp };
}

/** Replace only what metadata owns (entity ID, endpoints, certificates) in an existing config. */
export function refreshIdpFromMetadata(current: SamlConfigInput, md: IdpMetadata): SamlConfigInput {
  return {
    ...current,
    idp: {
      ...current.idp,
      entityId: md.entityId,
      ssoUrls: md.ssoUrls,
      ...(md.sloUrls ? { sloUrls: md.sloUrls } : {}),
      certificates: md.signingCertificates.slice(0, 4),
      nameIdFormats: md.nameIdFormats.slice(0, 10),
      wantAuthnRequestsSigned: md.wantAuthnRequestsSigned,
    },
  };
}
