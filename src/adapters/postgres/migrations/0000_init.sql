CREATE TABLE "audit_records" (
	"session_id" text NOT NULL,
	"ale_seq" integer NOT NULL,
	"ale_type" text NOT NULL,
	"canonical" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_records_session_id_ale_seq_pk" PRIMARY KEY("session_id","ale_seq")
);
--> statement-breakpoint
CREATE TABLE "block_log" (
	"idx" integer PRIMARY KEY NOT NULL,
	"block_id" text NOT NULL,
	"leaf_hash" text NOT NULL,
	CONSTRAINT "block_log_block_id_unique" UNIQUE("block_id")
);
--> statement-breakpoint
CREATE TABLE "session_blocks" (
	"block_id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"merkle_root" text NOT NULL,
	"block_close_timestamp" text NOT NULL,
	"record_count" integer NOT NULL,
	"signature_algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "session_blocks_session_id_unique" UNIQUE("session_id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"block_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"status" text NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "sessions_block_id_unique" UNIQUE("block_id")
);
