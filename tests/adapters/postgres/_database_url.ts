// The PostgreSQL server of the tests: DATABASE_URL, required in CI (CI=true).
import { dropPostgresSchema } from "../../../adapters/postgres/postgres_js.ts";

/** The URL, or undefined when the PostgreSQL tests may be skipped (outside CI, none set). */
export function databaseUrl(): string | undefined {
  const url = Deno.env.get("DATABASE_URL");
  if (!url && Deno.env.get("CI") === "true") {
    throw new Error(
      "DATABASE_URL must be set in CI: the PostgreSQL storage tests cannot be skipped",
    );
  }
  return url || undefined;
}

/** A fresh schema name for one test. */
export function testSchema(prefix: string): string {
  return `t_${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Drops a test schema. */
export function dropSchema(url: string, schema: string): Promise<void> {
  return dropPostgresSchema(url, schema);
}
