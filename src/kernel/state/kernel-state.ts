/**
 * The kernel's fail-closed state machine (digest choice 5.22). Several conditions may hold at
 * once; `NORMAL` means none does.
 */
export type KernelCondition = 'DENY_ALL' | 'SUSPENDED_GAR' | 'SIGNING_SUSPENDED' | 'MANIFEST_INTEGRITY_FAILURE';

export type KernelStateName = 'NORMAL' | KernelCondition;

/** Precedence when several conditions hold: the most restrictive is reported first. */
const ORDER: readonly KernelCondition[] = ['MANIFEST_INTEGRITY_FAILURE', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED'];

export class KernelState {
  private readonly conditions = new Map<KernelCondition, string>();

  enter(condition: KernelCondition, reason: string): void {
    this.conditions.set(condition, reason);
  }

  leave(condition: KernelCondition): void {
    this.conditions.delete(condition);
  }

  has(condition: KernelCondition): boolean {
    return this.conditions.has(condition);
  }

  /** Why `condition` holds, or undefined when it does not. */
  reason(condition: KernelCondition): string | undefined {
    return this.conditions.get(condition);
  }

  /** The single state to report: `NORMAL`, or the most restrictive condition in force. */
  primary(): KernelStateName {
    for (const c of ORDER) if (this.conditions.has(c)) return c;
    return 'NORMAL';
  }

  snapshot(): { state: KernelStateName; conditions: { state: KernelCondition; reason: string }[] } {
    return {
      state: this.primary(),
      conditions: ORDER.filter((c) => this.conditions.has(c)).map((c) => ({ state: c, reason: this.conditions.get(c) ?? '' })),
    };
  }
}
