// The core (src/) speaks web standards only and depends on nothing but txml (STYLE.md §2, §10).
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SRC = join(ROOT, "src");

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await tsFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const IMPORT = /(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function imports(code: string): string[] {
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

const RUNTIME_APIS: [RegExp, string][] = [
  [/\bDeno\s*\./, "Deno.*"],
  [/\bprocess\s*\.\s*(env|argv|exit|on|stdout|stderr|nextTick)/, "process.*"],
  [/\bconsole\s*\./, "console.*"],
  [/\bBuffer\s*\./, "Buffer"],
  [/\brequire\s*\(/, "require()"],
];

Deno.test("src/ imports no runtime-specific module and no package but txml", async () => {
  const problems: string[] = [];
  for (const file of await tsFiles(SRC)) {
    const code = stripComments(await Deno.readTextFile(file));
    for (const spec of imports(code)) {
      const where = relative(ROOT, file);
      if (spec.startsWith("node:") || spec.startsWith("npm:") || spec.startsWith("jsr:")) {
        problems.push(`${where} imports "${spec}"`);
      } else if (spec.startsWith("http:") || spec.startsWith("https:")) {
        problems.push(`${where} imports a URL "${spec}"`);
      } else if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC + "/")) problems.push(`${where} imports "${spec}" outside src/`);
      } else if (spec !== "txml") {
        problems.push(`${where} imports the package "${spec}"`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("src/ uses no runtime-specific global (Deno, process, console, Buffer, require)", async () => {
  const problems: string[] = [];
  for (const file of await tsFiles(SRC)) {
    const code = stripComments(await Deno.readTextFile(file));
    for (const [pattern, name] of RUNTIME_APIS) {
      if (pattern.test(code)) problems.push(`${relative(ROOT, file)} uses ${name}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("src/ has no import cycle", async () => {
  const graph = new Map<string, string[]>();
  for (const file of await tsFiles(SRC)) {
    const code = stripComments(await Deno.readTextFile(file));
    graph.set(
      file,
      imports(code).filter((s) => s.startsWith(".")).map((s) => resolve(dirname(file), s)),
    );
  }
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push(
        [...path.slice(path.indexOf(file)), file].map((f) => relative(ROOT, f)).join(" -> "),
      );
      return;
    }
    state.set(file, "visiting");
    for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

/**
 * The layers of src/, bottom first (STYLE.md §1). A folder may import its own layer and those
 * below it, never one above: shared basics at the bottom, the server's wiring on top.
 */
export const LAYERS = [
  "util", // small helpers with no XMPP knowledge
  "xml", // elements, the stream parser, the serializer, namespaces
  "jid", // JIDs and their preparation
  "base", // what everything shares: errors, logger, transport, the session interface
  "storage", // storage interfaces and the in-memory stores
  "sasl", // SASL mechanisms
  "hooks", // hook and IQ registries, the events modules hook
  "stream", // the client stream: framing, negotiation, intake, the connection shell
  "router", // routing: classification, delivery rules, directory, components, remote routes
  "module", // the module contract (ModuleApi) and the host that loads modules
  "modules", // the built-in modules, written against the module contract only
  "server", // configuration and the wiring of the parts
  "testing", // a kit for module authors: a server in memory with connected clients
] as const;

function layerOf(file: string): number {
  const folder = relative(SRC, file).split("/")[0];
  return LAYERS.indexOf(folder as typeof LAYERS[number]);
}

Deno.test("every folder of src/ has a layer and imports none above its own", async () => {
  const problems: string[] = [];
  for (const file of await tsFiles(SRC)) {
    const own = layerOf(file);
    if (own === -1) problems.push(`${relative(ROOT, file)} is in no layer`);
    const code = stripComments(await Deno.readTextFile(file));
    for (const spec of imports(code).filter((s) => s.startsWith("."))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + "/")) continue; // reported by the first test
      if (layerOf(target) > own) {
        problems.push(`${relative(ROOT, file)} imports "${spec}", a layer above its own`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("no folder of src/ reaches another that reaches it back", async () => {
  const edges = new Map<string, Set<string>>();
  for (const file of await tsFiles(SRC)) {
    const from = relative(SRC, file).split("/")[0];
    const code = stripComments(await Deno.readTextFile(file));
    for (const spec of imports(code).filter((s) => s.startsWith("."))) {
      const to = relative(SRC, resolve(dirname(file), spec)).split("/")[0];
      if (to !== from && !to.startsWith("..")) {
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
  }
  const reaches = (a: string, b: string, seen = new Set<string>()): boolean => {
    if (seen.has(a)) return false;
    seen.add(a);
    for (const n of edges.get(a) ?? []) if (n === b || reaches(n, b, seen)) return true;
    return false;
  };
  const cycles: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) if (reaches(to, from)) cycles.push(`${from} <-> ${to}`);
  }
  assert.deepEqual(cycles, []);
});

Deno.test("the architecture check catches a runtime import (self-test)", () => {
  const code = stripComments(`import net from "node:net";\n// Deno.exit()\nDeno.exit(1);`);
  assert.deepEqual(imports(code), ["node:net"]);
  assert.ok(RUNTIME_APIS[0][0].test(code));
  assert.ok(!RUNTIME_APIS[0][0].test(stripComments("// Deno.exit()")));
});
