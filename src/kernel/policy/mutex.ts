import { DomainError } from '../errors.ts';

/**
 * Serializes async critical sections. `queue`: callers wait their turn (one promise chain).
 * Without it (workerd, where one request may not wait on another request's promise) a caller
 * arriving while the section is busy is refused with CONFLICT and may retry.
 */
export class Mutex {
  private readonly queue: boolean;
  private tail: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly busyMessage: string;

  /** `busy`: the CONFLICT message without `queue` (default: a policy activation's). */
  constructor(options: { queue: boolean; busy?: string }) {
    this.queue = options.queue;
    this.busyMessage = options.busy ?? 'another policy activation is in progress; retry';
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.queue) {
      if (this.busy) return Promise.reject(new DomainError('CONFLICT', this.busyMessage));
      this.busy = true;
      const release = () => {
        this.busy = false;
      };
      return Promise.resolve()
        .then(fn)
        .finally(release);
    }
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
