CREATE TABLE "accounts" (
	"jid" text PRIMARY KEY NOT NULL,
	"sha1_salt" text NOT NULL,
	"sha1_iterations" integer NOT NULL,
	"sha1_stored_key" text NOT NULL,
	"sha1_server_key" text NOT NULL,
	"sha256_salt" text NOT NULL,
	"sha256_iterations" integer NOT NULL,
	"sha256_stored_key" text NOT NULL,
	"sha256_server_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "archive" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"id" text NOT NULL,
	"stamp" timestamp (3) with time zone NOT NULL,
	"with_jid" text NOT NULL,
	"direction" text NOT NULL,
	"stanza" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blocklist" (
	"owner" text NOT NULL,
	"jid" text NOT NULL,
	CONSTRAINT "blocklist_owner_jid_pk" PRIMARY KEY("owner","jid")
);
--> statement-breakpoint
CREATE TABLE "offline_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"stamp" timestamp (3) with time zone NOT NULL,
	"stanza" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "private_xml" (
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"xmlns" text NOT NULL,
	"fragment" text NOT NULL,
	CONSTRAINT "private_xml_owner_name_xmlns_pk" PRIMARY KEY("owner","name","xmlns")
);
--> statement-breakpoint
CREATE TABLE "pubsub_items" (
	"owner" text NOT NULL,
	"node" text NOT NULL,
	"id" text NOT NULL,
	"payload" text NOT NULL,
	"publisher" text NOT NULL,
	"stamp" timestamp (3) with time zone NOT NULL,
	"seq" bigserial NOT NULL,
	CONSTRAINT "pubsub_items_owner_node_id_pk" PRIMARY KEY("owner","node","id")
);
--> statement-breakpoint
CREATE TABLE "pubsub_nodes" (
	"owner" text NOT NULL,
	"node" text NOT NULL,
	"config" jsonb NOT NULL,
	CONSTRAINT "pubsub_nodes_owner_node_pk" PRIMARY KEY("owner","node")
);
--> statement-breakpoint
CREATE TABLE "roster_items" (
	"owner" text NOT NULL,
	"jid" text NOT NULL,
	"name" text,
	"groups" text[] NOT NULL,
	"subscription" text NOT NULL,
	"ask" boolean NOT NULL,
	"approved" boolean NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "roster_items_owner_jid_pk" PRIMARY KEY("owner","jid")
);
--> statement-breakpoint
CREATE TABLE "roster_pending" (
	"owner" text NOT NULL,
	"from_jid" text NOT NULL,
	"stanza" text NOT NULL,
	"seq" bigserial NOT NULL,
	CONSTRAINT "roster_pending_owner_from_jid_pk" PRIMARY KEY("owner","from_jid")
);
--> statement-breakpoint
CREATE TABLE "roster_removals" (
	"owner" text NOT NULL,
	"jid" text NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "roster_removals_owner_jid_pk" PRIMARY KEY("owner","jid")
);
--> statement-breakpoint
CREATE TABLE "roster_versions" (
	"owner" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vcards" (
	"owner" text PRIMARY KEY NOT NULL,
	"vcard" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "archive_owner_id" ON "archive" USING btree ("owner","id");--> statement-breakpoint
CREATE INDEX "archive_owner_stamp" ON "archive" USING btree ("owner","stamp","seq");--> statement-breakpoint
CREATE INDEX "archive_owner_with_stamp" ON "archive" USING btree ("owner","with_jid","stamp","seq");--> statement-breakpoint
CREATE INDEX "offline_messages_owner" ON "offline_messages" USING btree ("owner","id");--> statement-breakpoint
CREATE INDEX "pubsub_items_seq" ON "pubsub_items" USING btree ("owner","node","seq");--> statement-breakpoint
CREATE INDEX "roster_items_version" ON "roster_items" USING btree ("owner","version");