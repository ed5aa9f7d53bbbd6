/**
 * Writes the log lines of a negotiation step (see `NegotiationStep.log`) through the shell's
 * logger.
 *
 * @module
 */
import type { LogFields, Logger } from "../base/logger.ts";
import type { NegotiationLog } from "./negotiation_types.ts";

/**
 * Writes log lines, each with the shell's own fields (e.g. the session id) added.
 *
 * @param logger Where to write.
 * @param lines The lines, e.g. `step.log`; nothing is written when `undefined`.
 * @param fields Fields added to every line.
 * @example
 * ```ts
 * import { writeNegotiationLog } from "./negotiation_log.ts";
 * const seen: string[] = [];
 * const logger = {
 *   debug() {}, warn() {}, error() {},
 *   info: (message: string, fields?: Record<string, unknown>) => {
 *     seen.push(`${message} ${fields?.session}`);
 *   },
 * };
 * writeNegotiationLog(logger, [{ level: "info", message: "SASL failure", fields: {} }], {
 *   session: "s1",
 * });
 * if (seen.join() !== "SASL failure s1") throw new Error();
 * ```
 */
export function writeNegotiationLog(
  logger: Logger,
  lines: readonly NegotiationLog[] | undefined,
  fields: LogFields,
): void {
  for (const line of lines ?? []) logger[line.level](line.message, { ...fields, ...line.fields });
}

/**
 * A SASL mechanism name the peer sent, fit for a log line: as sent when it is a valid name
 * (RFC 4422 §3.1: 1 to 20 upper-case letters, digits, "-" and "_"), else "(invalid)", so that a
 * peer cannot write into the log.
 *
 * @param name The name as received.
 * @returns The name to log; `undefined` stays `undefined`.
 * @example
 * ```ts
 * import { loggableMechanism } from "./negotiation_log.ts";
 * if (loggableMechanism("SCRAM-SHA-1") !== "SCRAM-SHA-1") throw new Error();
 * if (loggableMechanism("X\nINFO forged") !== "(invalid)") throw new Error();
 * ```
 */
export function loggableMechanism(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return /^[A-Z0-9_-]{1,20}$/.test(name) ? name : "(invalid)";
}
