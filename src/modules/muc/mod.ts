/**
 * XEP-0045 Multi-User Chat as a component on `conference.<domain>` (Prosody's convention),
 * with XEP-0421 occupant ids and XEP-0410 self-ping. Persistent rooms and their affiliations
 * are kept in the document store and survive a restart.
 *
 * @module
 */
import type { XmppModule } from "../../module/module_api.ts";
import { NS } from "../../xml/ns.ts";
import type { RoomConfig } from "./config.ts";
import { defaultConfig, MucService } from "./service.ts";

export type { AllowPm, RoomConfig } from "./config.ts";
export type { Affiliation, Role } from "./occupants.ts";

/** Options of the MUC service. */
export interface MucOptions {
  /** The service's domain; default `conference.<default hosted domain>`. */
  readonly domain?: string;
  /** Its name in disco; default "Chatrooms". */
  readonly name?: string;
  /** Longest nickname, in characters; default 64. */
  readonly maxNickLength?: number;
  /** Most occupants of a room; default 1000. */
  readonly maxUsers?: number;
  /** Most history messages a room keeps; default 100. */
  readonly maxHistory?: number;
  /** Most rooms at once (a new one beyond gets `resource-constraint`); default 10,000. */
  readonly maxRooms?: number;
  /** The largest room vCard (XEP-0486 avatar), in bytes; default 64 KiB. */
  readonly maxVcardBytes?: number;
  /** Who may create rooms: users of the hosted domains (default) or anyone. */
  readonly createRooms?: "local" | "anyone";
  /** Settings of new rooms, before their owner configures them. */
  readonly defaultRoomConfig?: Partial<RoomConfig>;
}

/**
 * The multi-user chat module.
 *
 * @param options The service's domain and limits.
 * @returns The module.
 * @example
 * ```ts
 * import { muc } from "./mod.ts";
 * import { testServer } from "../../testing/mod.ts";
 * import { xml } from "../../xml/element.ts";
 * const t = await testServer({ users: ["alice@localhost"] });
 * const alice = await t.connect("alice@localhost/phone");
 * await alice.send(xml("presence", { to: "tea@conference.localhost/Alice" }));
 * const self = await alice.next((el) => el.attrs.from === "tea@conference.localhost/Alice");
 * if (self.name !== "presence" || self.attrs.type !== undefined) throw new Error();
 * await t.close();
 * if (muc().name !== "muc") throw new Error();
 * ```
 */
export function muc(options: MucOptions = {}): XmppModule {
  return {
    name: "muc",
    specs: ["XEP-0045", "XEP-0410", "XEP-0421", "XEP-0425", "XEP-0486"],
    async setup(api) {
      const domain = options.domain ?? `conference.${api.domain}`;
      const name = options.name ?? "Chatrooms";
      const service = new MucService(api, {
        domain,
        maxNickLength: options.maxNickLength ?? 64,
        maxUsers: options.maxUsers ?? 1000,
        maxHistory: options.maxHistory ?? 100,
        createRooms: options.createRooms ?? "local",
        maxRooms: options.maxRooms ?? 10_000,
        maxVcardBytes: options.maxVcardBytes ?? 65_536,
        defaultConfig: defaultConfig(options.defaultRoomConfig),
      });
      await service.load();
      api.hook("session/closed", ({ session }) => service.sessionClosed(session.jid));
      api.onUnload(() => service.shutdown());
      api.component(domain, {
        name,
        identities: [{ category: "conference", type: "text", name }],
        features: [NS.MUC, NS.OCCUPANT_ID, NS.MUC_SELF_PING],
        handle: (ev) => service.handle(ev),
      });
    },
  };
}
