/**
 * Token ids seen, shared by every kernel of one store (docs/identity.md "Replay caches"): the
 * workerd isolates of a Worker share their D1 database but no memory, and the instances on one
 * PostgreSQL database share it but no process, so an assertion or DPoP `jti` one kernel accepted
 * must be refused by all the others while its token is valid.
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (Unix seconds) and answers true; answers false when `id` is
   * already recorded and unexpired (`now`, Unix seconds). Atomic across kernels: of two calls
   * with one id, exactly one answers true. Throws when the store cannot answer (the caller
   * refuses the proof: fail closed).
   */
  claim(id: string, expiresAt: number, now: number): Promise<boolean>;
}
