// Prosody from Debian as a test peer: its own config file, data directory, loopback ports and
// self-signed certificate in a temp directory; stopped by PID.
import { loadOrCreateSelfSigned } from "../../adapters/deno_tcp/mod.ts";
import { withTimeout } from "./_harness.ts";

export interface Prosody {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  dir: string;
  /** The tail of Prosody's log, for failure messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Whether the prosody binary is installed. */
export function hasProsody(): boolean {
  try {
    return Deno.statSync("/usr/bin/prosody").isFile;
  } catch {
    return false;
  }
}

/** A free TCP port on loopback (closed again; there is a small race with other processes). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`Prosody did not listen on ${port} within ${ms} ms`);
}

/** The file name Prosody's internal storage uses for a host or user (`.` as `%2e`). */
function encode(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Starts Prosody for `domain` with users (plain-text passwords in its internal storage),
 * s2s with STARTTLS required and dialback accepted for self-signed certificates.
 */
export async function startProsody(
  domain: string,
  users: Record<string, string>,
  options: {
    /** Certificate and key files (else a self-signed pair), and the CA file to trust. */
    certPath?: string;
    keyPath?: string;
    cafile?: string;
    /** `s2s_secure_auth`: only peers with a valid certificate (no dialback). */
    secureAuth?: boolean;
  } = {},
): Promise<Prosody> {
  const dir = await Deno.makeTempDir({ prefix: "parley-prosody-" });
  // Written as DIR/DOMAIN.crt and DIR/DOMAIN.key.
  if (!options.certPath) await loadOrCreateSelfSigned(dir, domain);
  const certPath = options.certPath ?? `${dir}/${domain}.crt`;
  const keyPath = options.keyPath ?? `${dir}/${domain}.key`;
  const cafile = options.cafile ? `; cafile = "${options.cafile}"` : "";
  const c2sPort = freePort();
  const s2sPort = freePort();
  const accounts = `${dir}/data/${encode(domain)}/accounts`;
  await Deno.mkdir(accounts, { recursive: true });
  for (const [user, password] of Object.entries(users)) {
    await Deno.writeTextFile(
      `${accounts}/${encode(user)}.dat`,
      `return { ["password"] = "${password}" };\n`,
    );
  }
  const config = `${dir}/prosody.cfg.lua`;
  await Deno.writeTextFile(
    config,
    `pidfile = "${dir}/prosody.pid"
run_as_root = true
data_path = "${dir}/data"
log = { debug = "${dir}/prosody.log" }
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "presence"; "message"; "iq" }
modules_disabled = { "admin_socket" }
c2s_ports = { ${c2sPort} }
c2s_direct_tls_ports = { }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { ${s2sPort} }
s2s_interfaces = { "127.0.0.1" }
s2s_require_encryption = true
s2s_secure_auth = ${options.secureAuth ? "true" : "false"}
authentication = "internal_plain"
storage = "internal"
VirtualHost "${domain}"
  ssl = { certificate = "${certPath}"; key = "${keyPath}"${cafile} }
`,
  );
  const child = new Deno.Command("prosody", {
    args: ["--config", config, "-F"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const log = () =>
    Deno.readTextFile(`${dir}/prosody.log`).then(
      (t) => t.split("\n").slice(-60).join("\n"),
      () => "",
    );
  try {
    await waitForPort(c2sPort, 15_000);
    await waitForPort(s2sPort, 5_000);
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`${(e as Error).message}\n${await log()}`);
  }
  return {
    domain,
    c2sPort,
    s2sPort,
    dir,
    log,
    async stop() {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch { /* exited */ }
      try {
        await withTimeout(child.status, "Prosody to stop", 5000);
      } catch {
        Deno.kill(child.pid, "SIGKILL");
        await child.status;
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}
