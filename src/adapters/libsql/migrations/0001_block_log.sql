CREATE TABLE `block_log` (
	`idx` integer PRIMARY KEY NOT NULL,
	`block_id` text NOT NULL,
	`leaf_hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `block_log_block_id_unique` ON `block_log` (`block_id`);