CREATE TABLE `documents` (
	`kind` text NOT NULL,
	`seq` integer NOT NULL,
	`doc_id` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`kind`, `seq`)
);
