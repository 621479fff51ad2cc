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

  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.available += 1;
  }
}
