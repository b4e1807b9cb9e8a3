/**
 * The kernel's fail-closed state machine (digest choice 5.22). Several conditions may hold at
 * once; `NORMAL` means none does. A condition may be entered by several sources (the kernel
 * itself, the policy cluster); it holds while any of them holds it, and each source leaves only
 * its own.
 */
export type KernelCondition = 'DENY_ALL' | 'SUSPENDED_GAR' | 'SIGNING_SUSPENDED' | 'MANIFEST_INTEGRITY_FAILURE';

export type KernelStateName = 'NORMAL' | KernelCondition;

/** Precedence when several conditions hold: the most restrictive is reported first. */
const ORDER: readonly KernelCondition[] = ['MANIFEST_INTEGRITY_FAILURE', 'DENY_ALL', 'SUSPENDED_GAR', 'SIGNING_SUSPENDED'];

export class KernelState {
  private readonly conditions = new Map<KernelCondition, Map<string, string>>();

  enter(condition: KernelCondition, reason: string, source = 'kernel'): void {
    let by = this.conditions.get(condition);
    if (!by) this.conditions.set(condition, (by = new Map()));
    by.set(source, reason);
  }

  /** Leaves `condition` as entered by `source`; it still holds if another source holds it. */
  leave(condition: KernelCondition, source = 'kernel'): void {
    const by = this.conditions.get(condition);
    by?.delete(source);
    if (by && by.size === 0) this.conditions.delete(condition);
  }

  has(condition: KernelCondition): boolean {
    return this.conditions.has(condition);
  }

  /** Why `condition` holds, or undefined when it does not. */
  reason(condition: KernelCondition): string | undefined {
    const by = this.conditions.get(condition);
    return by ? [...by.values()].join('; ') : undefined;
  }

  /** The single state to report: `NORMAL`, or the most restrictive condition in force. */
  primary(): KernelStateName {
    for (const c of ORDER) if (this.conditions.has(c)) return c;
    return 'NORMAL';
  }

  snapshot(): { state: KernelStateName; conditions: { state: KernelCondition; reason: string }[] } {
    return {
      state: this.primary(),
      conditions: ORDER.filter((c) => this.conditions.has(c)).map((c) => ({ state: c, reason: this.reason(c) ?? '' })),
    };
  }
}
