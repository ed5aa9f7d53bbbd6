/**
 * The built-in modules. Each is written against the public module API only, as a third party
 * would write one.
 *
 * @module
 */
import type { XmppModule } from "../hooks/module_api.ts";
import { disco } from "./disco.ts";
import { legacySession } from "./legacy_session.ts";
import { ping } from "./ping.ts";
import { time } from "./time.ts";
import { version } from "./version.ts";

export { disco, legacySession, ping, time, version };

/**
 * The modules a server loads unless told otherwise.
 *
 * @returns New instances of the built-in modules.
 * @example
 * ```ts
 * import { builtinModules } from "./mod.ts";
 * if (!builtinModules().some((m) => m.name === "ping")) throw new Error();
 * ```
 */
export function builtinModules(): XmppModule[] {
  return [disco(), ping(), version(), time(), legacySession()];
}
