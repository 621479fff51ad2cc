import type { TranscriptEvent } from '../core/transcript.js';

/**
 * The steps a load report times, in the order of a conversation, and `message`: each
 * message from its start (under --rate, its scheduled start) to the server's verdict,
 * which the bench runner records itself (docs/bench.md#latency).
 */
export const BENCH_STEPS = ['connect', 'greeting', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'message'] as const;
export type BenchStep = (typeof BENCH_STEPS)[number];

/**
 * Turns one session's transcript events into step latencies, so the session code
 * needs no timing of its own and pipelined commands are timed like the others
 * (each from the write that carried it to its reply). What each step measures:
 * - connect: from the start of the attempt to the TCP (or implicit TLS) connection;
 * - greeting: from the connection to the 220;
 * - ehlo: each EHLO (or HELO) to its reply, the one after STARTTLS included;
 * - starttls: STARTTLS to the end of the TLS handshake;
 * - auth: the first AUTH line to the final reply, over all 334 round trips;
 * - mail, rcpt: each command to its reply;
 * - data: DATA to the reply after the end of the message (the 354, the transfer of
 *   the message and the server's verdict), so it grows with --size. A DATA pipelined
 *   behind the previous message also waits for that message's verdict.
 */
export class StepTimer {
  /** Send times of commands still waiting for a reply, oldest first (pipelining). */
  private readonly waiting = { ehlo: [] as number[], mail: [] as number[], rcpt: [] as number[], data: [] as number[] };
  private connectedAt: number | null = null;
  private startTlsAt: number | null = null;
  private authAt: number | null = null;

  constructor(
    private readonly startedAt: number,
    private readonly sample: (step: BenchStep, milliseconds: number) => void,
  ) {}

  /** Feed every event of the session, with the time it happened (performance.now()). */
  onEvent(event: TranscriptEvent, now: number): void {
    switch (event.type) {
      case 'connect':
        this.connectedAt = now;
        this.sample('connect', now - this.startedAt);
        return;
      case 'tls':
        if (this.startTlsAt !== null) this.sample('starttls', now - this.startTlsAt);
        this.startTlsAt = null;
        return;
      case 'send':
        this.onSend(event.step, event.text, now);
        return;
      case 'receive':
        this.onReceive(event.step, event.reply.code, now);
        return;
      default:
        return;
    }
  }

  private onSend(step: string, text: string, now: number): void {
    switch (step) {
      case 'ehlo':
      case 'helo':
        this.waiting.ehlo.push(now);
        return;
      case 'mail':
      case 'rcpt':
        this.waiting[step].push(now);
        return;
      case 'starttls':
        this.startTlsAt = now;
        return;
      case 'auth':
        this.authAt ??= now;
        return;
      case 'data':
        // The end-of-data marker is sent with step data too; the clock runs from DATA.
        if (text === 'DATA') this.waiting.data.push(now);
        return;
      default:
        return;
    }
  }

  private onReceive(step: string, code: number, now: number): void {
    switch (step) {
      case 'greeting':
        if (this.connectedAt !== null) this.sample('greeting', now - this.connectedAt);
        return;
      case 'ehlo':
      case 'helo':
        this.completeOldest('ehlo', this.waiting.ehlo, now);
        return;
      case 'mail':
      case 'rcpt':
        this.completeOldest(step, this.waiting[step], now);
        return;
      case 'auth':
        if (code === 334 || this.authAt === null) return;
        this.sample('auth', now - this.authAt);
        this.authAt = null;
        return;
      case 'data':
        // Each DATA gets one answer besides a 354: its refusal, or the verdict on the message.
        if (code !== 354) this.completeOldest('data', this.waiting.data, now);
        return;
      default:
        return;
    }
  }

  private completeOldest(step: BenchStep, queue: number[], now: number): void {
    const sentAt = queue.shift();
    if (sentAt !== undefined) this.sample(step, now - sentAt);
  }
}
