/**
 * Writes the log lines of a negotiation step (see `NegotiationStep.log`) through the shell's
 * logger.
 *
 * @module
 */
import type { LogFields, Logger } from "../server/logger.ts";
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
