// Where the client keeps its tokens and pending sign-ins: the Web Storage shape, so localStorage (the default,
// shared by the tabs of one origin) or sessionStorage fit, and tests inject a Map.
export interface SsoStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An in-memory storage (tests, SSR, or a deliberately per-page session). */
export function memoryStorage(): SsoStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

export function readJson<T>(storage: SsoStorage, key: string): T | null {
  const text = storage.getItem(key);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    storage.removeItem(key); // a corrupt entry is dropped, not trusted
    return null;
  }
}
