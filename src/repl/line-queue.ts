/** One unit of input: a line, Ctrl-C while a multi-line entry is open, or the end (Ctrl-D, end of the script). */
export type QueuedInput = { kind: 'line'; text: string } | { kind: 'interrupt' } | { kind: 'end' };

/**
 * Lines in the order they were typed or piped, taken one at a time by whoever needs
 * the next one (the command loop, or a command reading a message body). Pasting a
 * whole session at once therefore works: the body lines wait for `:data` to ask.
 */
export class LineQueue {
  private readonly items: QueuedInput[] = [];
  private readonly waiters: ((input: QueuedInput) => void)[] = [];
  private ended = false;

  push(input: QueuedInput): void {
    if (this.ended) return;
    if (input.kind === 'end') this.ended = true;
    const waiter = this.waiters.shift();
    if (waiter) waiter(input);
    else this.items.push(input);
  }

  /** Lines already typed that nobody has taken yet. */
  get pending(): number {
    return this.items.length;
  }

  next(): Promise<QueuedInput> {
    const item = this.items.shift();
    if (item) {
      // The end stays at the head so every later reader sees it too.
      if (item.kind === 'end') this.items.unshift(item);
      return Promise.resolve(item);
    }
    if (this.ended) return Promise.resolve({ kind: 'end' });
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
