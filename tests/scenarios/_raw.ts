// Reads what a server sent on a raw connection, with txml (a parser other than ours).
import { parse } from "txml";

interface TNode {
  tagName: string;
  attributes: Record<string, string | null>;
  children: (TNode | string)[];
}

/** The stream error a server sent: its condition element's name and namespace. */
export function streamErrorOf(raw: string): { condition: string; xmlns: string } | undefined {
  const start = raw.indexOf("<stream:error");
  const end = raw.indexOf("</stream:error>");
  if (start === -1 || end === -1) return undefined;
  const [node] = parse(raw.slice(start, end + "</stream:error>".length)) as TNode[];
  const cond = node.children.find((c): c is TNode => typeof c !== "string" && c.tagName !== "text");
  if (!cond) return undefined;
  return { condition: cond.tagName, xmlns: cond.attributes.xmlns ?? "" };
}

/** Whether the server opened its own stream before the error and closed it after (RFC 6120 §4.9.1.2). */
export function framedProperly(raw: string): boolean {
  const open = raw.indexOf("<stream:stream");
  const error = raw.indexOf("<stream:error");
  const close = raw.lastIndexOf("</stream:stream>");
  return open !== -1 && open < error && error < close;
}

/**
 * The prefixed attributes of `xml` whose prefix no enclosing start tag declares (Namespaces in
 * XML 1.0 §5: a namespace-aware parser such as expat rejects them). `xml` is bound by
 * definition. Independent of our parser: txml builds the tree, the scopes are tracked here.
 */
export function unboundAttrPrefixes(xml: string): string[] {
  const unbound: string[] = [];
  const walk = (node: TNode, scope: ReadonlySet<string>) => {
    const inner = new Set(scope);
    for (const name in node.attributes) if (name.startsWith("xmlns:")) inner.add(name.slice(6));
    for (const name in node.attributes) {
      const colon = name.indexOf(":");
      const prefix = name.slice(0, colon);
      if (colon !== -1 && prefix !== "xmlns" && !inner.has(prefix)) unbound.push(name);
    }
    for (const c of node.children) if (typeof c !== "string") walk(c, inner);
  };
  for (const node of parse(xml) as (TNode | string)[]) {
    if (typeof node !== "string") walk(node, new Set(["xml"]));
  }
  return unbound;
}
