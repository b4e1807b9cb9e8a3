CREATE TABLE `replay_ids` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
