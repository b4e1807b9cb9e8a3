/**
 * The kernel's periodic work: sealing the journal's block when it is due and expiring sessions.
 * `tick` is what the timer runs (tests call it with an injected clock instead of waiting); the
 * timer never keeps a process alive on its own and is not started on workerd.
 */
export class Housekeeping {
  private readonly tasks: readonly (() => Promise<void>)[];
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(tasks: readonly (() => Promise<void>)[], intervalMs: number) {
    this.tasks = tasks;
    this.intervalMs = Math.max(250, intervalMs);
  }

  /** Runs every task once (a tick already running is joined, not doubled); never rejects. */
  tick(): Promise<void> {
    this.running ??= (async () => {
      for (const task of this.tasks) await task().catch(() => undefined);
    })().finally(() => (this.running = null));
    return this.running;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
