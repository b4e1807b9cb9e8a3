import { z } from 'zod';
import type { ConsistencyProofInput, InclusionProofInput, LeafInput } from '../kernel/audit/verify-checkpoint.ts';
import { DomainError } from '../kernel/errors.ts';

/**
 * Shapes of the files `kee audit verify-checkpoint` reads, as the kernel serves them. Types
 * only: every hash, root and signature is checked by the verifier, which names what fails.
 */
const index = z.number().int().nonnegative();
const checkpointJson = z.object({ note: z.string(), origin: z.string().optional(), size: index.optional(), root: z.string().optional(), root_hex: z.string().optional() });
const consistency = z.object({ from: index, to: index, proof: z.array(z.string()), from_root: z.string().optional(), to_root: z.string().optional() });
const inclusion = z.object({
  leaf_index: index,
  tree_size: index,
  audit_path: z.array(z.string()),
  leaf_hash: z.string().optional(),
  block_id: z.string().optional(),
  root: z.string().optional(),
});
/** GET /v1/audit/log/entries/{index}. */
const entry = z.object({ index, leaf_hash: z.string(), block_id: z.string(), block: z.looseObject({ block_id: z.string() }) });
/** A Session Block: the close answer or GET /v1/audit/blocks/{block_id} (both add `log_index`, which is not hashed). */
const block = z.looseObject({ block_id: z.string(), block_signature: z.looseObject({}), log_index: index.nullable().optional() });

function parse<T>(schema: z.ZodType, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new DomainError('INVALID_INPUT', `not ${what}: \`${first?.path.join('.') ?? ''}\` ${first?.message ?? ''}`);
  }
  return r.data as T;
}

export type CheckpointJson = z.infer<typeof checkpointJson>;

/** The JSON form of GET /v1/audit/checkpoint (`Accept: application/json`). */
export function parseCheckpointJson(value: unknown): CheckpointJson {
  return parse<CheckpointJson>(checkpointJson, value, 'a checkpoint (JSON form)');
}

export function parseConsistencyProof(value: unknown): ConsistencyProofInput {
  return parse<ConsistencyProofInput>(consistency, value, 'a consistency proof (GET /v1/audit/proofs/consistency)');
}

export function parseInclusionProof(value: unknown): InclusionProofInput {
  return parse<InclusionProofInput>(inclusion, value, 'an inclusion proof (GET /v1/audit/proofs/inclusion)');
}

/** A block-log entry, or a Session Block (its `log_index`, if any, is the index it claims; the rest is the leaf). */
export function parseLeaf(value: unknown): LeafInput {
  if (typeof value === 'object' && value !== null && 'leaf_hash' in value) {
    const e = parse<z.infer<typeof entry>>(entry, value, 'a block-log entry (GET /v1/audit/log/entries/{index})');
    return { block: e.block, index: e.index, leaf_hash: e.leaf_hash };
  }
  const { log_index: claimed, ...rest } = parse<z.infer<typeof block>>(block, value, 'a Session Block or block-log entry');
  return { block: rest, ...(typeof claimed === 'number' ? { index: claimed } : {}) };
}
