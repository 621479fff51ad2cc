import { InterruptedError } from '../core/errors.js';

/**
 * A counting semaphore for connections to one target. Checks spread probes over many
 * short sessions (Postfix slows a session down after repeated errors); this keeps
 * the number open at once bounded.
 */
export class ConnectionSlots {
  private available: number;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {
    this.available = size;
  }

  /** Wait for a free slot; aborting `signal` gives up the wait with InterruptedError. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new InterruptedError('connect');
    if (this.available > 0) {
      this.available -= 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', giveUp);
        resolve();
      };
      const giveUp = () => {
        this.queue.splice(this.queue.indexOf(grant), 1);
        reject(new InterruptedError('connect'));
      };
      this.queue.push(grant);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.available += 1;
  }
}
