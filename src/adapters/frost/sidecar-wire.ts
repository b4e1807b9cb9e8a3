/** The FROST sidecar wire format (`kee signer serve` and HttpParticipant): request and response bodies. All bytes are lowercase hex. */
import { z } from 'zod';

const hex = (min: number, max: number) =>
  z
    .string()
    .regex(/^([0-9a-f]{2})*$/, 'must be lowercase hex')
    .min(2 * min)
    .max(2 * max);

/** Session ids are 1 to 64 bytes (kee-frost). */
const sessionId = hex(1, 64);

export const round1Body = z.strictObject({ session_id: sessionId });

export const round2Body = z
  .strictObject({
    session_id: sessionId,
    /** What is signed: a Session Block signing input or a checkpoint body (small). */
    message: hex(0, 16 * 1024),
    ids: z.array(z.number().int().min(1).max(65535)).min(2).max(255),
    commitments: hex(128, 255 * 64),
  })
  .refine((b) => b.commitments.length === b.ids.length * 128, { message: 'commitments must be 64 bytes per id', path: ['commitments'] });

export const cancelBody = z.strictObject({ session_id: sessionId });

export const round1Answer = z.object({ commitments: z.string().regex(/^[0-9a-f]{128}$/) });
export const round2Answer = z.object({ signature_share: z.string().regex(/^[0-9a-f]{64}$/) });
export const identityAnswer = z.object({
  status: z.literal('ok'),
  participant: z.number().int(),
  threshold: z.number().int(),
  participants: z.number().int(),
  group_key: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SidecarIdentity = z.infer<typeof identityAnswer>;

/** `POST /v1/attestation` (issue 21): a fresh nonce of 16 to 64 bytes. */
export const attestationBody = z.strictObject({ nonce: hex(16, 64) });
