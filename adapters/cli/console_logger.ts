/**
 * A logger that writes one line per event to the console (standard error).
 *
 * @module
 */
import type { LogFields, Logger } from "../../src/base/logger.ts";

/** Log levels, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function line(level: LogLevel, message: string, fields?: LogFields): string {
  let out = `${new Date().toISOString()} ${level.toUpperCase()} ${message}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) out += ` ${k}=${v}`;
  }
  return out;
}

/**
 * Creates a console logger that drops events below a level.
 *
 * @param level The least severe level written.
 * @returns The logger.
 * @example
 * ```ts
 * import { consoleLogger } from "./console_logger.ts";
 * consoleLogger("error").debug("not written");
 * ```
 */
export function consoleLogger(level: LogLevel = "info"): Logger {
  const min = ORDER[level];
  const at = (l: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[l] >= min) console.error(line(l, message, fields));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
