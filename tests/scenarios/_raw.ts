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
