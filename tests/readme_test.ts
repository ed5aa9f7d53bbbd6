// The README's table of specifications stays in step with what the built-in modules implement.
import assert from "node:assert/strict";
import { builtinModules } from "../mod.ts";

const README = new URL("../README.md", import.meta.url);

function tableRows(markdown: string): string[] {
  const start = markdown.indexOf("## Supported specifications");
  assert.notEqual(start, -1, "README has a 'Supported specifications' section");
  const section = markdown.slice(start).split("\n## ")[0];
  return section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
}

Deno.test("README lists every specification a built-in module implements", async () => {
  const rows = tableRows(await Deno.readTextFile(README));
  const missing = builtinModules()
    .flatMap((m) => m.specs ?? [])
    .filter((spec) => !rows.some((row) => row.includes(spec)));
  assert.deepEqual(missing, []);
});

Deno.test("README has exactly the two set-up commands", async () => {
  const text = await Deno.readTextFile(README);
  const setup = text.slice(
    text.indexOf("## Set-up"),
    text.indexOf("\n## ", text.indexOf("## Set-up") + 1),
  );
  const commands = [...setup.matchAll(/```sh\n([^`]+)```/g)].map((m) =>
    m[1].trim().split(" ").slice(0, 3).join(" ")
  );
  assert.deepEqual(commands, ["deno task start", "deno task test"]);
});
