/**
 * A promise with a deadline.
 *
 * @module
 */

/** The deadline of {@linkcode timed} passed. */
export class TimeoutError extends Error {
  /** @param what What took too long. */
  constructor(what: string) {
    super(`Timed out: ${what}`);
    this.name = "TimeoutError";
  }
}

/**
 * Waits for a promise at most `ms`.
 *
 * @param promise What to wait for.
 * @param ms The deadline.
 * @param what What is waited for (the error's message).
 * @returns Its value.
 * @throws {TimeoutError} When the deadline passes first.
 * @example
 * ```ts
 * import { timed } from "./timed.ts";
 * if (await timed(Promise.resolve(1), 10, "one") !== 1) throw new Error();
 * ```
 */
export function timed<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
