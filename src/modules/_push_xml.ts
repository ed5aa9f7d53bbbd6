// Private to the push module (XEP-0357): which messages wake a device, the checks of an
// <enable/> request, and the notification a registration gets.
import type { Session } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { BareJid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import type { ModuleApi } from "../module/module_api.ts";
import { messageType } from "../router/delivery.ts";
import { loadXml, storedXmlBytes, storeXml } from "../storage/stored_xml.ts";
import { child, type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { dataForm, type FormField, formTypeOf } from "./data_form.ts";

/**
 * The message worth waking a device for, or `undefined`: chat or normal with a body, or the
 * message inside a received carbon copy (XEP-0280: another resource got it, the phone should
 * hear of it too); not a sent copy (the user's own message).
 */
export function notifiable(api: ModuleApi, message: Element): Element | undefined {
  if (message.name !== "message") return undefined;
  const received = child(message, "received", NS.CARBONS);
  const forwarded = received && child(received, "forwarded", NS.FORWARD);
  const inner = forwarded && child(forwarded, "message");
  if (inner) return notifiable(api, inner);
  const type = messageType(message);
  if (type !== "chat" && type !== "normal") return undefined;
  if (!child(message, "body")) return undefined;
  // A message redelivered by XEP-0198 carries our delay: it was notified when first sent.
  if (elements(message, "delay", NS.DELAY).some((d) => d.attrs.from === api.domain)) return;
  return message;
}

/** The enable request's app server, checked (XEP-0357 §5). */
export function appServer(api: ModuleApi, payload: Element): string {
  const raw = payload.attrs.jid;
  if (raw === undefined) throw new StanzaError("bad-request", "modify", "No 'jid'");
  const jid = tryParseJid(raw);
  if (!jid) throw new StanzaError("jid-malformed", "modify");
  if (api.router.isLocal(jid.domain)) {
    throw new StanzaError(
      "not-allowed",
      "cancel",
      "An account or a hosted domain cannot be an app server",
    );
  }
  return jid.full;
}

/** The optional publish-options form of an enable request, as stored XML. */
export function publishOptions(payload: Element, maxBytes: number): string | undefined {
  const form = child(payload, "x", NS.DATA_FORMS);
  if (!form) return undefined;
  // XEP-0357 §5: a submitted form of FORM_TYPE publish-options (some clients leave out the
  // type, as XEP-0357's own first example once did).
  const type = form.attrs.type ?? "submit";
  if (type !== "submit" || formTypeOf(form) !== NS.PUBLISH_OPTIONS) {
    throw new StanzaError("bad-request", "modify", "Not a publish-options form");
  }
  const stored = storeXml(form);
  if (storedXmlBytes(stored) > maxBytes) {
    throw new StanzaError("not-acceptable", "modify", "The publish-options form is too large");
  }
  return stored;
}

/** The account whose own client sent the request, or an error. */
export function owner(ev: IqEvent): { account: BareJid; session: Session } {
  const { origin, stanza, from, to } = ev;
  if (!origin) throw new StanzaError("not-allowed", "cancel");
  if (stanza.attrs.to !== undefined && to.bare !== from.bare) {
    throw new StanzaError("forbidden", "auth");
  }
  return { account: from.bare, session: origin };
}

/** The notification iq (XEP-0357 §7). */
export function notification(
  account: BareJid,
  reg: { readonly jid: string; readonly node: string; readonly form?: string },
  summary: readonly FormField[],
  id: string,
): Element {
  const form = reg.form ? loadXml(reg.form) : undefined;
  return xml(
    "iq",
    { xmlns: NS.CLIENT, type: "set", id, from: account, to: reg.jid },
    xml(
      "pubsub",
      { xmlns: NS.PUBSUB },
      xml(
        "publish",
        { node: reg.node },
        xml(
          "item",
          null,
          xml("notification", { xmlns: NS.PUSH }, dataForm("submit", NS.PUSH_SUMMARY, summary)),
        ),
      ),
      form ? xml("publish-options", null, form) : undefined,
    ),
  );
}
