CREATE TABLE "documents" (
	"kind" text NOT NULL,
	"seq" integer NOT NULL,
	"doc_id" text NOT NULL,
	"body" text NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "documents_kind_seq_pk" PRIMARY KEY("kind","seq")
);
