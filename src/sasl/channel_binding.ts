/**
 * Channel binding types (RFC 5056) for the SCRAM -PLUS mechanisms: which exist in Parley and
 * which a connection offers.
 *
 * @module
 */

/**
 * The channel binding types Parley implements: `tls-exporter` (RFC 9266, TLS 1.3) and
 * `tls-server-end-point` (RFC 5929 §4, the hash of the server certificate). `tls-unique`
 * (RFC 5929 §3) is not one of them: it is not defined for TLS 1.3 (RFC 9266 §1), and the
 * runtime does not expose the TLS 1.2 Finished message.
 */
export type ChannelBindingType = "tls-exporter" | "tls-server-end-point";

/** Every implemented type, in the order of preference they are advertised in (XEP-0440). */
export const CHANNEL_BINDING_TYPES: readonly ChannelBindingType[] = [
  "tls-exporter",
  "tls-server-end-point",
];

/** The channel binding data of one connection, by type; a type without data is not offered. */
export type ChannelBindings = { readonly [T in ChannelBindingType]?: Uint8Array };

/**
 * The types a connection offers: those with non-empty data, in the order of
 * {@linkcode CHANNEL_BINDING_TYPES}.
 *
 * @param bindings The connection's channel binding data.
 * @returns The offered types; empty when the -PLUS mechanisms cannot be offered.
 * @example
 * ```ts
 * import { offeredChannelBindings } from "./channel_binding.ts";
 * const types = offeredChannelBindings({ "tls-server-end-point": new Uint8Array(32) });
 * if (types.join() !== "tls-server-end-point") throw new Error();
 * ```
 */
export function offeredChannelBindings(
  bindings: ChannelBindings | undefined,
): ChannelBindingType[] {
  return CHANNEL_BINDING_TYPES.filter((t) => (bindings?.[t]?.length ?? 0) > 0);
}
