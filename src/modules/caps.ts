/**
 * XEP-0115 Entity Capabilities: the verification string of a disco#info result (§5), and what
 * a `<c/>` element in presence says.
 *
 * @module
 */
import { toBase64 } from "../util/base64.ts";
import { type Element, elements, is, text } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { formTypeOf } from "./data_form.ts";

/** The `<c/>` element of a presence (XEP-0115 §4). */
export interface CapsInfo {
  /** Hash function name, e.g. "sha-1". */
  readonly hash: string;
  /** The software's node URI. */
  readonly node: string;
  /** The verification string. */
  readonly ver: string;
}

/**
 * Reads the `<c/>` element of a presence stanza.
 *
 * @param presence The presence stanza.
 * @returns The caps, or `undefined` when absent or legacy (no `hash`).
 * @example
 * ```ts
 * import { capsOf } from "./caps.ts";
 * import { xml } from "../xml/element.ts";
 * const p = xml("presence", null, xml("c", {
 *   xmlns: "http://jabber.org/protocol/caps", hash: "sha-1", node: "n", ver: "v",
 * }));
 * if (capsOf(p)?.ver !== "v") throw new Error();
 * ```
 */
export function capsOf(presence: Element): CapsInfo | undefined {
  const c = elements(presence, "c", NS.CAPS)[0];
  const { hash, node, ver } = c?.attrs ?? {};
  if (!hash || !node || !ver) return undefined;
  return { hash, node, ver };
}

const encoder = new TextEncoder();

/** "i;octet" collation (RFC 4790 §9.3): compares the UTF-8 bytes. */
function octet(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * The string S of XEP-0115 §5.1 that is hashed into the verification string.
 *
 * @param query A disco#info `<query/>` (XEP-0030).
 * @returns S.
 * @throws {SyntaxError} On duplicate identities, features or FORM_TYPEs (§5.4 step 3).
 */
export function capsString(query: Element): string {
  let s = "";
  const identities = elements(query, "identity", NS.DISCO_INFO).map((i) =>
    `${i.attrs.category ?? ""}/${i.attrs.type ?? ""}/${i.attrs["xml:lang"] ?? ""}/${
      i.attrs.name ?? ""
    }`
  ).sort(octet);
  const features = elements(query, "feature", NS.DISCO_INFO).map((f) => f.attrs.var ?? "")
    .sort(octet);
  if (
    new Set(identities).size !== identities.length || new Set(features).size !== features.length
  ) {
    throw new SyntaxError("Cannot hash disco#info: duplicate identity or feature");
  }
  for (const i of identities) s += `${i}<`;
  for (const f of features) s += `${f}<`;
  // §5.1 step 5: extended forms with a FORM_TYPE, sorted by it; forms without one are ignored.
  const forms = elements(query, "x", NS.DATA_FORMS)
    .map((x) => ({ x, type: formTypeOf(x) }))
    .filter((f): f is { x: Element; type: string } => f.type !== undefined)
    .sort((a, b) => octet(a.type, b.type));
  if (new Set(forms.map((f) => f.type)).size !== forms.length) {
    throw new SyntaxError("Cannot hash disco#info: duplicate FORM_TYPE");
  }
  for (const { x, type } of forms) {
    s += `${type}<`;
    const fields = elements(x, "field", NS.DATA_FORMS).filter((f) => f.attrs.var !== "FORM_TYPE")
      .sort((a, b) => octet(a.attrs.var ?? "", b.attrs.var ?? ""));
    for (const field of fields) {
      s += `${field.attrs.var ?? ""}<`;
      const values = elements(field, "value", NS.DATA_FORMS).map((v) => text(v)).sort(octet);
      for (const v of values) s += `${v}<`;
    }
  }
  return s;
}

const ALGORITHMS: Record<string, string> = { "sha-1": "SHA-1", "sha-256": "SHA-256" };

/**
 * Computes the XEP-0115 §5.1 verification string of a disco#info result.
 *
 * @param query A disco#info `<query/>`.
 * @param hash The hash function name from the `<c/>` element ("sha-1" or "sha-256").
 * @returns The base64 verification string, or `undefined` for an unsupported hash or a
 *   disco#info result that §5.4 says must not be used.
 * @example
 * ```ts
 * import { capsVer } from "./caps.ts";
 * import { xml } from "../xml/element.ts";
 * const DI = "http://jabber.org/protocol/disco#info";
 * const q = xml("query", { xmlns: DI },
 *   xml("identity", { category: "client", type: "pc", name: "Exodus 0.9.1" }),
 *   ...["http://jabber.org/protocol/caps", DI, "http://jabber.org/protocol/disco#items",
 *     "http://jabber.org/protocol/muc"].map((v) => xml("feature", { var: v })));
 * if (await capsVer(q, "sha-1") !== "QgayPKawpkPSDYmwT/WM94uAlu0=") throw new Error();
 * ```
 */
export async function capsVer(query: Element, hash: string): Promise<string | undefined> {
  const algorithm = ALGORITHMS[hash.toLowerCase()];
  if (!algorithm || !is(query, "query", NS.DISCO_INFO)) return undefined;
  let s: string;
  try {
    s = capsString(query);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  return toBase64(new Uint8Array(await crypto.subtle.digest(algorithm, encoder.encode(s))));
}
