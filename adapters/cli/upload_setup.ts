/**
 * XEP-0363 file upload for the standalone server: the upload module's options and the HTTP
 * routes' options from one place, with a secret kept in the data directory and the files in
 * `<data dir>/uploads`.
 *
 * @module
 */
import { join } from "node:path";
import type { HttpUploadOptions } from "../../src/modules/http_upload.ts";
import type { ServerConfig } from "../../src/server/config.ts";
import { fsFileStore } from "../hono_websocket/fs_file_store.ts";
import type { UploadHandlerOptions } from "../hono_websocket/upload.ts";

/** The two halves of the upload service, and the port its default URL names. */
export interface UploadSetup {
  /** For `createServer({ upload })`. */
  readonly module: HttpUploadOptions;
  /** For `httpTransport(server, { upload })`. */
  readonly http: UploadHandlerOptions;
  /** Sets the HTTP port the default URL names (once it is known, for `--http-port 0`). */
  setPort(port: number): void;
}

/** The secret in `<data dir>/upload.secret`, made (256 random bits, mode 0600) when missing. */
async function loadOrCreateSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, "upload.secret");
  try {
    const secret = (await Deno.readTextFile(path)).trim();
    if (secret.length >= 16) return secret;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The upload service of the standalone server, or `undefined` when the config says
 * `upload: false`.
 *
 * @param config The merged configuration.
 * @param dataDir The data directory.
 * @returns The options of both halves.
 */
export async function uploadSetup(
  config: ServerConfig,
  dataDir: string,
): Promise<UploadSetup | undefined> {
  if (config.upload === false) return undefined;
  const given = config.upload ?? {};
  const domain = config.domain ?? "localhost";
  let port = config.listen?.httpPort ?? 5280;
  const secret = given.secret ?? await loadOrCreateSecret(dataDir);
  return {
    module: {
      ...given,
      secret,
      url: given.url ?? (() => `http://${domain}:${port}/upload`),
    },
    http: {
      secret,
      store: fsFileStore(join(dataDir, "uploads")),
      expiryDays: given.expiryDays,
      // A configured URL may put the files under another path (behind a proxy, say).
      path: typeof given.url === "string" ? new URL(given.url).pathname : "/upload",
    },
    setPort: (p) => port = p,
  };
}
