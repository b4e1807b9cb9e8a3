CREATE TABLE `replay_ids` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `replay_ids_expires_at` ON `replay_ids` (`expires_at`);