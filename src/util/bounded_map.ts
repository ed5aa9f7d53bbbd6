// Private to src/modules: a Map insertion that keeps at most `limit` entries by evicting the
// oldest, for caches whose keys peers choose (caps `ver`s, block lists of any local JID).

/** Sets `key` in `map`, first evicting the oldest entries so that at most `limit` remain. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  while (map.size >= limit) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(key, value);
}
