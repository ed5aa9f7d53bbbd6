// Private to src/modules: the result of an iq request a module answers itself (a component
// or a hook that takes the request before the iq dispatcher): RFC 6120 §8.2.3, same id, the
// addresses swapped.
import { type Element, xml, type XmlChild } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** The `result` iq answering `request`, with an optional payload. */
export function iqResult(request: Element, payload?: XmlChild): Element {
  return xml("iq", {
    xmlns: NS.CLIENT,
    type: "result",
    id: request.attrs.id,
    from: request.attrs.to,
    to: request.attrs.from,
  }, payload);
}
