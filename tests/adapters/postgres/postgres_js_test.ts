import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import { storageContract } from "../../storage/contract.ts";
import { databaseUrl, dropSchema, testSchema } from "./_database_url.ts";

const url = databaseUrl();
const schema = testSchema("contract");
storageContract("PostgreSQL", {
  open: () => postgresStorage(url!, { schema }),
  cleanup: () => dropSchema(url!, schema),
}, { ignore: url === undefined });
