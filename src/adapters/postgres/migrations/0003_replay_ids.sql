CREATE TABLE "replay_ids" (
	"id" text PRIMARY KEY NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "replay_ids_expires_at" ON "replay_ids" USING btree ("expires_at");