CREATE TABLE "documents" (
	"ns" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" jsonb NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "documents_ns_key_pk" PRIMARY KEY("ns","key")
);
