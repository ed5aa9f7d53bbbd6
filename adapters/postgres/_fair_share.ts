// PGlite runs PostgreSQL in WebAssembly on the main thread, and a query never waits for the
// event loop: a session awaiting query after query (a client's pipelined flood) holds the
// thread until its backlog is done, and every other socket and timer waits (issue #10: p50
// 8.0 s for others while 20,000 messages went to an offline user). This gate makes such a run
// give way to the event loop (a macrotask, which lets socket reads in) once it has held the
// thread for a budget; isolated queries never wait.

/**
 * Returns a gate to await before each blocking call: `undefined` (go on) or a promise that
 * settles at the next turn of the event loop.
 *
 * A run starts with a call when no run is open, and schedules a zero-delay timer; the timer
 * firing means the event loop had its turn, which closes the run. A call past `budgetMs` into a
 * run waits for that timer. Calls made while a run waits (other sockets' work getting its
 * turn) go straight on.
 */
export function fairShare(
  budgetMs: number,
  now: () => number = () => performance.now(),
): () => Promise<void> | undefined {
  let tick: Promise<void> | undefined;
  let runStart = 0;
  let waiting = false;
  return () => {
    if (tick === undefined) {
      runStart = now();
      waiting = false;
      tick = new Promise((resolve) =>
        setTimeout(() => {
          tick = undefined;
          resolve();
        }, 0)
      );
      return undefined;
    }
    if (waiting || now() - runStart < budgetMs) return undefined;
    waiting = true;
    return tick;
  };
}
