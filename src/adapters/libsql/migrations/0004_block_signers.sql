-- FROST: which participants made a block's signature (`block_signature.participants`, comma-separated), null for one key
ALTER TABLE `session_blocks` ADD `signers` text;
