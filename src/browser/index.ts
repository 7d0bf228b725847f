// convex-sso-gateway/client — the framework-free browser client.
export { createSsoClient } from "./client";
export type { SignInTarget, SsoChannel, SsoClient, SsoClientOptions, SsoState } from "./client";
export type { SsoClaims } from "./claims";
export { decodeClaims } from "./claims";
export { SsoError, type SsoErrorCode } from "./errors";
export { storageTabLock, webLocksTabLock, type StorageLockOptions, type TabLock } from "./lock";
export { memoryStorage, type SsoStorage } from "./storage";
