// One refresh at a time across the tabs of an origin. Refresh tokens rotate and a spent one presented again
// revokes the session (reuse detection), so two tabs must never both spend the same token: the second one
// waits for the lock, then finds the first one's new tokens in shared storage and does not refresh at all.
import { readJson, type SsoStorage } from "./storage";

export interface TabLock {
  /** Runs `fn` while no other tab of this origin runs a function under the same name. */
  run<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Optional, called under the lock after a rotation: records the newest token generation where every tab can
   * read it consistently with the lock. Needed because localStorage is not: in Chromium each tab's process
   * keeps a copy that other tabs' writes reach asynchronously, so a tab granted the lock right after another
   * one rotated can still read the spent token from storage.
   */
  announce?(name: string, generation: number): Promise<void>;
  /** The newest generation announced under `name` by a live tab (0 when none). */
  announced?(name: string): Promise<number>;
}

/**
 * Web Locks (https://w3c.github.io/web-locks/): exclusive, released when the tab closes or crashes. The
 * generation is announced as the name of a shared lock this tab holds until its next announcement:
 * `locks.query()` is answered by the same lock manager that grants the refresh lock, so it is never stale.
 */
export function webLocksTabLock(locks: LockManager): TabLock {
  let releaseMarker: (() => void) | null = null;
  const markerPrefix = (name: string) => `${name}:generation:`;
  return {
    run: (name, fn) => locks.request(name, { mode: "exclusive" }, fn) as Promise<Awaited<ReturnType<typeof fn>>>,
    async announce(name, generation) {
      const previous = releaseMarker;
      await new Promise<void>((granted) => {
        void locks.request(`${markerPrefix(name)}${generation}`, { mode: "shared" }, () => {
          granted();
          return new Promise<void>((release) => (releaseMarker = release));
        });
      });
      previous?.();
    },
    async announced(name) {
      const { held = [] } = await locks.query();
      let newest = 0;
      for (const lock of held) {
        if (!lock.name?.startsWith(markerPrefix(name))) continue;
        const generation = Number(lock.name.slice(markerPrefix(name).length));
        if (Number.isFinite(generation) && generation > newest) newest = generation;
      }
      return newest;
    },
  };
}

export interface StorageLockOptions {
  now: () => number;
  /** Unique per tab. */
  randomId: () => string;
  /** How long a claim must stand unchallenged before it counts (covers the write/read-back race). */
  settleMs?: number;
  /** A holder that dies keeps the lock at most this long. */
  leaseMs?: number;
}

/**
 * The fallback where `navigator.locks` is missing (non-secure contexts, old browsers): a lease in shared
 * storage, claimed by writing it, waiting `settleMs`, and reading it back (the last writer wins and every
 * contender sees the same winner). Weaker than Web Locks — a tab stalled past `settleMs` between its write and
 * read-back can still race — which is why the gateway also tolerates a second use of a refresh token within its
 * short reuse grace window.
 */
export function storageTabLock(storage: SsoStorage, opts: StorageLockOptions): TabLock {
  const settleMs = opts.settleMs ?? 50;
  const leaseMs = opts.leaseMs ?? 10_000;
  const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
  return {
    async run(name, fn) {
      const key = `${name}:lock`;
      const id = opts.randomId();
      for (;;) {
        const held = readJson<{ id: string; until: number }>(storage, key);
        if (held && held.until > opts.now()) {
          await sleep(settleMs);
          continue;
        }
        storage.setItem(key, JSON.stringify({ id, until: opts.now() + leaseMs }));
        await sleep(settleMs);
        if (readJson<{ id: string }>(storage, key)?.id === id) break;
      }
      try {
        return await fn();
      } finally {
        if (readJson<{ id: string }>(storage, key)?.id === id) storage.removeItem(key);
      }
    },
  };
}
