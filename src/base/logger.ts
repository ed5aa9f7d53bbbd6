/**
 * The logger the core writes to. The core never uses `console`; the host passes a logger in.
 *
 * @module
 */

/** Structured fields of a log line. Never put passwords, SASL payloads or bodies here. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** A leveled logger. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, fields?: LogFields): void;
  /** Normal operation. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong for one peer, the server goes on. */
  warn(message: string, fields?: LogFields): void;
  /** Something went wrong that an operator should look at. */
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything; the default of an embedded server. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
