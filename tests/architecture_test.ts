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

Deno.test("the architecture check catches a runtime import (self-test)", () => {
  const code = stripComments(`import net from "node:net";\n// Deno.exit()\nDeno.exit(1);`);
  assert.deepEqual(imports(code), ["node:net"]);
  assert.ok(RUNTIME_APIS[0][0].test(code));
  assert.ok(!RUNTIME_APIS[0][0].test(stripComments("// Deno.exit()")));
});
