/**
 * The wire format of a FROST ceremony among sidecars (`POST /v1/frost/ceremony/*` on
 * `kee signer serve`, driven by `kee signer keygen|refresh|repair --sidecars`). Bytes are
 * lowercase hex. See `ceremony-participant.ts` for the steps.
 */
import { z } from 'zod';

const hex = (min: number, max: number) =>
  z
    .string()
    .regex(/^([0-9a-f]{2})*$/, 'must be lowercase hex')
    .min(2 * min)
    .max(2 * max);
const id = z.number().int().min(1).max(255);
const ids = z.array(id).min(1).max(255);

export const ceremonyKind = z.enum(['dkg', 'refresh', 'repair']);
export type CeremonyKind = z.infer<typeof ceremonyKind>;

/** 16 random bytes chosen by the coordinator, fresh for every ceremony. */
export const ceremonyId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters');

export const part1Body = z.strictObject({
  ceremony_id: ceremonyId,
  kind: ceremonyKind,
  /** dkg and refresh: every participant; repair: the helpers. Ascending. */
  participants: ids,
  threshold: z.number().int().min(2).max(255),
  /** repair: whose share is restored. */
  lost: id.optional(),
  /** repair: the group's public package (the lost participant has none; helpers check it is theirs). */
  public_package: hex(36, 36 + 255 * 34).optional(),
});
export type Part1Body = z.infer<typeof part1Body>;

/** What a participant signs with its identity key at part 1 (JCS text). */
export const announcement = z.strictObject({
  scheme: z.literal('kee-frost-ceremony/1'),
  ceremony_id: ceremonyId,
  kind: ceremonyKind,
  participant: id,
  participants: ids,
  threshold: z.number().int(),
  lost: id.nullable(),
  /** SHA-256 of the current public package (refresh, repair); null for a new key. */
  group: hex(32, 32).nullable(),
  /** The DKG round-1 package (public); empty for repair. */
  round1_package: hex(0, 16 * 1024),
  /** This ceremony's X25519 key (public). */
  exchange_key: hex(32, 32),
  /** The participant's long-term Ed25519 identity key. */
  identity_key: hex(32, 32),
});
export type Announcement = z.infer<typeof announcement>;

export const signedAnnouncement = z.strictObject({ announcement, signature: hex(64, 64) });
export type SignedAnnouncement = z.infer<typeof signedAnnouncement>;

export const sealedPackage = z.strictObject({ from: id, to: id, iv: hex(12, 12), ciphertext: hex(16, 1024) });

export const part2Body = z.strictObject({ ceremony_id: ceremonyId, announcements: z.array(signedAnnouncement).min(2).max(256) });
export const part3Body = z.strictObject({ ceremony_id: ceremonyId, packages: z.array(sealedPackage).max(256) });
export const commitBody = z.strictObject({ ceremony_id: ceremonyId, public_package_sha256: hex(32, 32) });
export const abortBody = z.strictObject({ ceremony_id: ceremonyId });

export const packagesAnswer = z.object({ packages: z.array(sealedPackage) });
/** Part 3 answers either packages to relay (repair helpers) or the new key's public package, not yet stored. */
export const part3Answer = z.union([z.object({ public_package: hex(36, 36 + 255 * 34) }), packagesAnswer]);
export const commitAnswer = z.object({ committed: z.literal(true), participant: id, group_key: hex(32, 32) });
