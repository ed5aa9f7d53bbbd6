/**
 * The standalone server's last resort: an error that nothing handled (a rejected promise that
 * nobody awaited, an exception thrown from a timer or an event callback) is logged and the
 * server keeps serving. Each such path is a bug to fix where it starts, as the storage drivers
 * do for a lost database connection; this only keeps one such bug from ending every user's
 * session.
 *
 * @module
 */
import type { Logger } from "../../src/base/logger.ts";

function describe(reason: unknown): { error: string; stack?: string } {
  if (reason instanceof Error) {
    return { error: `${reason.name}: ${reason.message}`, stack: reason.stack?.split("\n")[1] };
  }
  return { error: String(reason) };
}

/**
 * Logs unhandled rejections and uncaught exceptions at `error` and keeps the process alive.
 *
 * @param logger Where to log.
 * @returns A function that removes the listeners.
 * @example
 * ```ts
 * import { keepServing } from "./last_resort.ts";
 * import { silentLogger } from "../../src/base/logger.ts";
 * const stop = keepServing(silentLogger);
 * stop();
 * ```
 */
export function keepServing(logger: Logger): () => void {
  const rejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    logger.error("Unhandled rejection, serving on", describe(event.reason));
  };
  const exception = (event: ErrorEvent) => {
    event.preventDefault();
    logger.error("Uncaught exception, serving on", describe(event.error ?? event.message));
  };
  globalThis.addEventListener("unhandledrejection", rejection);
  globalThis.addEventListener("error", exception);
  return () => {
    globalThis.removeEventListener("unhandledrejection", rejection);
    globalThis.removeEventListener("error", exception);
  };
}
