// Transactions on PostgreSQL that survive a lost connection (private to postgres_js.ts).
//
// postgres.js's own `begin()` keeps writing to a connection whose socket closed in the middle
// of a transaction: the ROLLBACK it sends after the failure, and any later statement of the
// transaction, reach `nextWrite` with no socket, an uncaught TypeError in a setImmediate
// callback that ends the process (porsager/postgres#1208, #1154, #1186; open in 3.4.9). Once
// the pool has reconnected, the rest of such a transaction would even run outside it.
//
// Here each transaction runs on a lane: a client with one connection, used for nothing else.
// A lane counts the closes of its connection (the driver's `onclose`, called synchronously
// when the socket closes, before any statement's promise settles); a transaction remembers
// the count at BEGIN and stops at the first change. No statement, ROLLBACK or COMMIT of a
// transaction goes to any connection but the one its BEGIN ran on, so PostgreSQL rolls back
// what a lost connection left unfinished, and the caller gets the error.

/** A query of the driver, as drizzle uses it (postgres.js `PendingQuery`). */
export interface LaneQuery extends PromiseLike<unknown> {
  /** The rows as arrays. */
  values(): PromiseLike<unknown>;
}

/** The part of a postgres.js client that a lane and drizzle's transactions use. */
export interface LaneClient {
  /** Runs one statement. */
  unsafe(query: string, params?: unknown[], options?: { prepare?: boolean }): LaneQuery;
  /** Closes the connection. */
  end(options?: { timeout?: number }): Promise<void>;
}

/** What a transaction body gets: statements on the transaction's connection only. */
export interface LaneTransaction {
  /** Runs one statement of the transaction. */
  unsafe(query: string, params?: unknown[], options?: { prepare?: boolean }): LaneQuery;
  /** Nested transactions are not used by the stores. */
  savepoint(): never;
}

interface Lane {
  readonly client: LaneClient;
  /** How many times the lane's connection closed. */
  closes: number;
}

/** The error of a transaction whose connection closed: no statement of it ran on another. */
export class TransactionConnectionLostError extends Error {
  /** Like postgres.js's connection errors, for callers that look at `code`. */
  readonly code = "CONNECTION_CLOSED";
  constructor() {
    super("Cannot go on with the transaction: its database connection closed");
    this.name = "TransactionConnectionLostError";
  }
}

/** A fixed set of single-connection clients that run one transaction at a time each. */
export class TransactionLanes {
  readonly #lanes: Lane[] = [];
  readonly #free: Lane[] = [];
  readonly #waiting: ((lane: Lane) => void)[] = [];

  /**
   * @param count How many lanes (connections) to keep for transactions.
   * @param connect Makes a client of one connection that calls `onclose` each time that
   *   connection closes.
   */
  constructor(count: number, connect: (onclose: () => void) => LaneClient) {
    for (let i = 0; i < count; i++) {
      const lane: Lane = {
        client: connect(() => {
          lane.closes++;
        }),
        closes: 0,
      };
      this.#lanes.push(lane);
      this.#free.push(lane);
    }
  }

  /** The clients of the lanes (e.g. to configure their parsers). */
  get clients(): readonly LaneClient[] {
    return this.#lanes.map((l) => l.client);
  }

  /**
   * Runs `fn` in a transaction on a free lane: BEGIN, the body's statements, COMMIT; ROLLBACK
   * when the body fails on a connection that is still the same.
   *
   * @throws {TransactionConnectionLostError} The connection closed during the transaction.
   */
  async begin<T>(fn: (tx: LaneTransaction) => T | PromiseLike<T>): Promise<T> {
    const lane = this.#free.pop() ?? await new Promise<Lane>((r) => this.#waiting.push(r));
    try {
      return await run(lane, fn);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(lane);
      else this.#free.push(lane);
    }
  }

  /** Closes every lane's connection. */
  async end(options?: { timeout?: number }): Promise<void> {
    await Promise.all(this.#lanes.map((l) => l.client.end(options)));
  }
}

async function run<T>(lane: Lane, fn: (tx: LaneTransaction) => T | PromiseLike<T>): Promise<T> {
  const { client } = lane;
  // A close before BEGIN has run is not counted against it: BEGIN then runs on the connection
  // the client opens next.
  const epoch = lane.closes;
  const same = () => lane.closes === epoch;
  const alive = () => {
    if (!same()) throw new TransactionConnectionLostError();
  };
  await retryUnsent(() => client.unsafe("begin"), 2);
  alive();
  const tx: LaneTransaction = {
    unsafe(query, params, options) {
      alive();
      return client.unsafe(query, params, options);
    },
    savepoint() {
      throw new Error("Cannot open a nested transaction on a transaction lane");
    },
  };
  let result: T;
  try {
    result = await fn(tx);
    alive();
  } catch (e) {
    // On the same connection, undo the transaction; the body's error is the one to report,
    // so a failing ROLLBACK (the connection closing right now) adds nothing. On a closed
    // connection, PostgreSQL rolled back already.
    if (same()) await Promise.resolve(client.unsafe("rollback")).then(() => {}, () => {});
    throw e;
  }
  await client.unsafe("commit");
  return result;
}

/**
 * Whether PostgreSQL ended the session of the statement (SQLSTATE class 57P, e.g. 57P01 from
 * `pg_terminate_backend` or a shutdown).
 */
export function endedSession(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("57P");
}

/** Whether postgres.js sent the statement to a connection (it sets `state` when it does). */
function sent(statement: PromiseLike<unknown>): boolean {
  const state = (statement as { state?: unknown }).state;
  return state !== null && state !== undefined;
}

/**
 * Runs a statement, again when postgres.js rejected it without sending it, with the error
 * that ended the session of a connection it lost. postgres.js keeps that error and hands it
 * to the first statement of the connection it opens next (a statement that never ran), so
 * without this that statement fails although the database is back. A statement that did run
 * when its session ended is not run again: the caller gets the error.
 *
 * @param start Starts the statement (a postgres.js query, run when awaited).
 * @param attempts At most this many runs: the connections that may carry such an error, plus one.
 */
export async function retryUnsent<T>(start: () => PromiseLike<T>, attempts: number): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const statement = start();
    try {
      return await statement;
    } catch (e) {
      if (attempt >= attempts || !endedSession(e) || sent(statement)) throw e;
    }
  }
}
