import { InterruptedError } from '../core/errors.js';

/**
 * A counting semaphore for connections to one target. Checks spread probes over many
 * short sessions (Postfix slows a session down after repeated errors); this keeps
 * the number open at once bounded. A server that says it has too many of our
 * connections (`shrink`) lowers the bound for the rest of the run, as an MTA's
 * client lowers its concurrency for a destination that pushes back. A suite's
 * targets each have their own, within the `shared` bound of the whole run, so one
 * target's push-back slows no other.
 */
export class ConnectionSlots {
  private limit: number;
  private inUse = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly size: number,
    private readonly shared?: ConnectionSlots,
  ) {
    this.limit = size;
  }

  /** How many connections may be open at once now: `size` until the server pushed back. */
  get current(): number {
    return this.limit;
  }

  /** Wait for a free slot (and one of the shared bound); aborting `signal` gives up the wait with InterruptedError. */
  async acquire(signal?: AbortSignal): Promise<void> {
    await this.acquireOwn(signal);
    try {
      await this.shared?.acquire(signal);
    } catch (error) {
      this.releaseOwn();
      throw error;
    }
  }

  release(): void {
    this.shared?.release();
    this.releaseOwn();
  }

  private async acquireOwn(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new InterruptedError('connect');
    if (this.inUse < this.limit) {
      this.inUse += 1;
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

  private releaseOwn(): void {
    this.inUse -= 1;
    if (this.inUse < this.limit) {
      const next = this.queue.shift();
      if (next) {
        this.inUse += 1;
        next();
      }
    }
  }

  /**
   * The server refused one of our connections for having too many (anvil's `421 4.7.0
   * … too many connections`) while the caller holds a slot for it: the others open
   * now are what it allows. Never below one, so the run goes on one at a time.
   */
  shrink(): void {
    this.limit = Math.max(1, Math.min(this.limit, this.inUse - 1));
  }
}
