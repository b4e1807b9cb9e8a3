/**
 * The consensus store holding the cluster's committed policy version (etcd, Raft). The kernel
 * never runs a consensus of its own: it reads and compare-and-swaps one key, and asks the
 * members whether they have a leader.
 */

/** A key's committed value and the store revision that last modified it (etcd `mod_revision`, decimal). */
export type ConsensusRecord = { value: string; modRevision: string };

/** What the configured members say about the cluster, as seen from this instance. */
export type ConsensusStatus = {
  /** Members of the cluster (the configured endpoints). */
  members: number;
  /** Members that answered. */
  reachable: number;
  /** Whether an answering member names a leader. */
  leader: boolean;
};

export interface PolicyConsensus {
  /** A linearizable (quorum) read of `key`; null when absent. Throws when no quorum confirms it. */
  read(key: string): Promise<ConsensusRecord | null>;
  /**
   * Writes `value` to `key` only if the key's mod revision is still `expectedModRevision`
   * (`'0'`: the key must be absent). True when committed (by a majority), false when another
   * write came first. Throws when the outcome is unknown (no quorum, unreachable).
   */
  compareAndSwap(key: string, expectedModRevision: string, value: string): Promise<boolean>;
  /** Member status; never throws (an unreachable member is not counted). */
  status(): Promise<ConsensusStatus>;
}
