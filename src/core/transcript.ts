import type { Reply } from './reply.js';
import type { ReplyDefects } from './reply-defects.js';
import type { SmtpStep } from './errors.js';
import type { TlsSessionInfo } from './tls-session.js';

/**
 * The one event stream every renderer reads (text, JSON, JUnit, REPL save). The core
 * emits; it never prints. Secrets never enter the stream: a command carrying a
 * credential is emitted in its redacted form unless the user asked to see secrets.
 */
export type TranscriptEvent =
  | { type: 'connect'; at: number; host: string; port: number; address: string; localAddress?: string; localPort?: number; implicitTls: boolean }
  | { type: 'send'; at: number; step: SmtpStep; text: string; tls: boolean; redacted: boolean }
  | { type: 'receive'; at: number; step: SmtpStep; reply: Reply; tls: boolean; latencyMs: number }
  | { type: 'data'; at: number; tls: boolean; bytes: number; preview: string[]; truncated: boolean }
  | { type: 'tls'; at: number; session: TlsSessionInfo }
  | { type: 'info'; at: number; message: string }
  | { type: 'warn'; at: number; kind?: undefined; message: string }
  // The server's reply held bytes no reply text may carry: as data, once per reply; src/render/warning-text.ts words it.
  | { type: 'warn'; at: number; kind: 'reply-bytes'; step: SmtpStep; code: number; defects: ReplyDefects }
  | { type: 'error'; at: number; step: SmtpStep; message: string; hint?: string }
  | { type: 'close'; at: number; by: 'client' | 'server' };

export type TranscriptEventType = TranscriptEvent['type'];
export type WarnEvent = Extract<TranscriptEvent, { type: 'warn' }>;
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type NewTranscriptEvent = DistributiveOmit<TranscriptEvent, 'at'>;

export type TranscriptListener = (event: TranscriptEvent) => void;

export class Transcript {
  readonly events: TranscriptEvent[] = [];
  private readonly listeners: TranscriptListener[] = [];

  private readonly record: boolean;
  /** Whether data events carry the first lines of each message. */
  readonly previews: boolean;

  /**
   * @param options.record keep every event in memory (off for load runs, where only listeners matter)
   * @param options.previews put the first lines of each message into its data event (off
   *   for load runs: splitting every message into lines cost ~5% of a load run's CPU)
   */
  constructor(options: { record?: boolean; previews?: boolean } = {}) {
    this.record = options.record ?? true;
    this.previews = options.previews ?? true;
  }

  on(listener: TranscriptListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  emit(event: NewTranscriptEvent): void {
    // Stamped in place: every caller passes a fresh literal. Copying it ({ ...event,
    // at }) took V8's generic path for the many event shapes and cost ~10% of the CPU
    // of a load run (docs/performance.md, "Throughput").
    const stamped = event as TranscriptEvent;
    stamped.at = Date.now();
    if (this.record) this.events.push(stamped);
    for (const listener of this.listeners) listener(stamped);
  }

  info(message: string): void {
    this.emit({ type: 'info', message });
  }

  warn(message: string): void {
    this.emit({ type: 'warn', message });
  }
}
