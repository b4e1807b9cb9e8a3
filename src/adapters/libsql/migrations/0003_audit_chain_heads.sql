-- audit_records loses its (session_id, ale_seq) primary-key index: with many sessions writing at
-- once it cost one index page write per record and commit. Each row now links to its session's
-- previous row, and audit_heads keeps the chain head of every open session; the triggers below
-- keep both and refuse an ale_seq that does not follow the head. Existing rows keep their rowids.
CREATE TABLE `audit_records_v3` (
	`session_id` text NOT NULL,
	`ale_seq` integer NOT NULL,
	`ale_type` text NOT NULL,
	`canonical` text NOT NULL,
	`hash` text NOT NULL,
	`prev_rowid` integer
);
--> statement-breakpoint
INSERT INTO `audit_records_v3` (`rowid`, `session_id`, `ale_seq`, `ale_type`, `canonical`, `hash`, `prev_rowid`)
	SELECT `rowid`, `session_id`, `ale_seq`, `ale_type`, `canonical`, `hash`, LAG(`rowid`) OVER (PARTITION BY `session_id` ORDER BY `ale_seq`)
	FROM `audit_records`;
--> statement-breakpoint
DROP TABLE `audit_records`;
--> statement-breakpoint
ALTER TABLE `audit_records_v3` RENAME TO `audit_records`;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_rowid` integer;
--> statement-breakpoint
CREATE TABLE `audit_heads` (
	`session_id` text PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL,
	`head_rowid` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `audit_heads` (`session_id`, `last_seq`, `head_rowid`)
	SELECT r.`session_id`, r.`ale_seq`, r.`rowid` FROM `audit_records` r
	JOIN (SELECT `session_id`, MAX(`ale_seq`) AS `m` FROM `audit_records` GROUP BY `session_id`) t ON t.`session_id` = r.`session_id` AND t.`m` = r.`ale_seq`
	JOIN `sessions` s ON s.`session_id` = r.`session_id`
	WHERE s.`status` != 'CLOSED';
--> statement-breakpoint
UPDATE `sessions` SET `last_rowid` = (SELECT r.`rowid` FROM `audit_records` r WHERE r.`session_id` = `sessions`.`session_id` ORDER BY r.`ale_seq` DESC LIMIT 1)
	WHERE `status` = 'CLOSED';
--> statement-breakpoint
CREATE TRIGGER `audit_records_follow_head` BEFORE INSERT ON `audit_records`
BEGIN
	SELECT RAISE(ABORT, 'constraint failed: ale_seq does not follow the chain head of its session')
	WHERE NEW.`ale_seq` IS NOT COALESCE((SELECT `last_seq` FROM `audit_heads` WHERE `session_id` = NEW.`session_id`), 0) + 1
		OR (NEW.`ale_seq` = 1 AND EXISTS (SELECT 1 FROM `sessions` WHERE `session_id` = NEW.`session_id` AND `last_rowid` IS NOT NULL));
END;
--> statement-breakpoint
CREATE TRIGGER `audit_records_link` AFTER INSERT ON `audit_records`
BEGIN
	UPDATE `audit_records` SET `prev_rowid` = (SELECT `head_rowid` FROM `audit_heads` WHERE `session_id` = NEW.`session_id`) WHERE `rowid` = NEW.`rowid`;
	INSERT INTO `audit_heads` (`session_id`, `last_seq`, `head_rowid`) VALUES (NEW.`session_id`, NEW.`ale_seq`, NEW.`rowid`)
		ON CONFLICT (`session_id`) DO UPDATE SET `last_seq` = excluded.`last_seq`, `head_rowid` = excluded.`head_rowid`;
END;
