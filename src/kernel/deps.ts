import type { AlertSink } from '../ports/alert.ts';
import type { Clock } from '../ports/clock.ts';
import type { CapProfileDeps } from './cap-profile/registry.ts';
import type { Merkle } from '../ports/merkle.ts';
import type { ManifestInputs } from './manifest/manifest-service.ts';
import type { PolicyEngine, PolicyEngineFactory } from '../ports/policy.ts';
import type { SignatureVerifier, Signer } from '../ports/signer.ts';
import type { AuditStore } from '../ports/storage.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { IntentHasher, TokenSigner } from '../ports/token-signer.ts';
import type { XpidDeriver } from '../ports/xpid.ts';
import type { OperatorTokenVerifier } from '../ports/operator-auth.ts';
import type { ReplayStore } from '../ports/replay-store.ts';
import type { AgentProofVerifier } from '../ports/agent-proof.ts';
import type { AuthMode } from './auth/agent-auth.ts';
import type { CapProfileReloader } from './policy/activation.ts';
import type { PolicyConsensus } from '../ports/cluster.ts';
import type { ClusterOptions } from './cluster/policy-cluster.ts';
import type { SigningMonitorOptions } from './audit/signing-monitor.ts';
import type { OneShotOptions } from './authorize/one-shot.ts';
import type { SetVerifier } from '../ports/set-verifier.ts';
import type { RevocationOptions } from './revocation/federation.ts';
import type { AcdOptions } from './acd/acd-record.ts';
import type { JournalOptions } from './audit/journal.ts';
import type { SessionExpiryOptions } from './sessions/session-expiry.ts';

/** Everything the kernel needs, supplied by an entry file (composition root). */
export type KernelDeps = {
  store: AuditStore;
  /** The built-in profile's engine: active as version 0 until `start()` restores a stored profile or one is activated. */
  policy: PolicyEngine;
  /** Builds the engine of each candidate set (`kernel.activatePolicy`, hot swap). */
  policyFactory: PolicyEngineFactory;
  /**
   * Re-verifies the latest stored CAP Profile at `start()` and returns it as a candidate. A
   * stored profile without this, or failing it, puts the kernel in DENY_ALL.
   */
  reloadCapProfile?: CapProfileReloader;
  signer: Signer;
  /** Ed25519 verification: every audit read re-verifies block signatures. */
  verifier: SignatureVerifier;
  merkle: Merkle;
  /** The token-signing key of intent-bound credentials (not the block-signing key). */
  tokens: TokenSigner;
  /** BLAKE2b-256 of credential intent fingerprints. */
  intentHasher: IntentHasher;
  clock: Clock;
  telemetry: Telemetry;
  /** XPID derivations (digest §4.3): KEE §10 `derive_xpid`, the agent XPIDs of the registry, a credential's `sub`. */
  xpid: XpidDeriver;
  /** Agent client assertions and DPoP proofs (KEE_AUTH=agents); without it authenticated sessions answer UNAVAILABLE. */
  agentProofs?: AgentProofVerifier;
  /**
   * Assertion and DPoP `jti`s shared by the kernels of one store (the workerd isolates over one
   * D1, the instances on one PostgreSQL); without it each kernel catches replays in its own memory only (docs/identity.md).
   */
  replayStore?: ReplayStore;
  /** Operator bearer tokens (the agent registry); without it operator operations answer UNAVAILABLE. */
  operatorTokens?: OperatorTokenVerifier;
  /** P4 signed CAP Profile updates; without it `PUT /v1/cap-profile` answers UNAVAILABLE. */
  capProfile?: CapProfileDeps;
  /**
   * P1 policy cluster (`KEE_CLUSTER_ETCD`): CAP Profile activation goes through the consensus
   * store (compare-and-swap, re-verified and applied by every instance); needs `capProfile`.
   */
  cluster?: { consensus: PolicyConsensus; options?: ClusterOptions };
  /** Which runtime hosts the kernel: reported by /healthz. */
  runtime: 'node' | 'bun' | 'deno' | 'workerd';
  /** SET verification against configured SSF transmitters' JWKS (needed when `options.revocation.transmitters` is set). */
  setVerifier?: SetVerifier;
  /** Outgoing HTTP of the SSF transmitter and receiver (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Operator alerts (signing quorum lost / restored). Optional. */
  alerts?: AlertSink;
  /** What the GEC Manifest declares about the build (version, level, WASM module hashes, publisher keys). */
  manifest: ManifestInputs;
  /** Tuning and identity; all optional. */
  options?: {
    /** Most audit records per transaction (1 = one commit per record). Default 1,000. */
    maxBatch?: number;
    /** Audit batches committing at once (pipelined group commit). Default 2. */
    maxInFlight?: number;
    /**
     * Send an audit batch as soon as this many records wait (default: maxBatch). Set low (e.g.
     * 256) with a store that commits off the event loop (WorkerAuditStore).
     */
    eagerBatch?: number;
    /** false on runtimes where requests may not share promises (workerd): no group commit. */
    groupCommit?: boolean;
    /**
     * true (workerd): `start()` resolves once the kernel can decide, before the recovery of what
     * an earlier run left behind (sessions left CLOSING closed, a journal block left open sealed,
     * sessions left open past their limits expired), which then runs beside the first requests;
     * `Kernel.recovered()` settles when it is done. Every decision still checks its own session's
     * expiry. Default false: `start()` waits for the recovery.
     */
    deferRecovery?: boolean;
    /**
     * With `deferRecovery`: the recovery starts once this settles (either way), not as the start
     * ends. The Worker passes its isolate's first quiet moment (`src/entry/recovery-gate.ts`), so
     * the recovery's store queries and signing do not compete with the first requests. It changes
     * nothing a decision checks: every decision checks its own session's expiry.
     */
    recoveryGate?: () => Promise<unknown>;
    /** Origin line (and key name) of block-log checkpoints. Default `kee.local/<kernel_id>`. */
    logOrigin?: string;
    /** Quorum-failure behaviour: close retry window, probe intervals. */
    signing?: SigningMonitorOptions;
    /** Longest time between two full manifest re-verifications on the authorization path. Default 250 ms. */
    manifestRecheckMs?: number;
    /** Refused CAP Profile updates recorded per minute; past it they answer RATE_LIMITED unrecorded. Default 10. */
    capRefusalsPerMinute?: number;
    /** `KEE_AUTH`: `agents` (client assertions, session tokens, DPoP) or `none` (loopback experiments); default `agents`. */
    auth?: AuthMode;
    /** `KEE_HEM_TIMEOUT_S`: seconds a human escalation waits for an approver before TIMEOUT_DENY. Default 900. */
    hemTimeoutS?: number;
    /** When kernel-managed one-shot sessions (`POST /v1/authorize`) are closed into blocks. */
    oneShot?: OneShotOptions;
    /** P8 revocation over SSF: transmitters to receive from, timers and bounds. */
    revocation?: RevocationOptions;
    /** P3 ACD handshake: manifest staleness window, record validity, the operator's record facts (docs/acd.md). */
    acd?: AcdOptions;
    /** When the kernel journal's block is sealed (`KEE_JOURNAL_BLOCK_SECONDS`, `KEE_JOURNAL_BLOCK_RECORDS`). */
    journal?: JournalOptions;
    /** Session lifetime and idle limits (`KEE_SESSION_MAX_SECONDS`, `KEE_SESSION_IDLE_SECONDS`). */
    sessions?: SessionExpiryOptions;
    /**
     * `KEE_ALLOW_NONCONFORMANT=1` (development only): a government CAP Profile is accepted below
     * KEE1-L3, and the manifest then names the deployment non-conformant. Default false.
     */
    allowNonconformant?: boolean;
  };
};
