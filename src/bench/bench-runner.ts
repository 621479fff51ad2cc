import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthRequest } from '../core/authenticate.js';
import { authenticate } from '../core/authenticate.js';
import type { EstablishOptions } from '../core/establish.js';
import { establishSession } from '../core/establish.js';
import type { Reply } from '../core/reply.js';
import { isPositive } from '../core/reply.js';
import type { MailRequest, MailTransaction } from '../core/mail-transaction.js';
import { sendMailThen } from '../core/mail-transaction.js';
import type { EnvelopeReplies, PipelinedCommand, SmtpSession } from '../core/session.js';
import { envelopeCommands, envelopeReplies } from '../core/session.js';
import type { TlsSessionInfo } from '../core/tls-session.js';
import { Transcript } from '../core/transcript.js';
import { warningText } from '../render/warning-text.js';
import type { BenchMessages } from './bench-message.js';
import { benchMessages } from './bench-message.js';
import type { BenchLoad } from './bench-stats.js';
import { BenchStats } from './bench-stats.js';
import type { FailureRecord } from './error-groups.js';
import { failureOf, refusal } from './error-groups.js';
import { delayBeforeMs, scheduledStartMs } from './rate-schedule.js';
import { StepTimer } from './step-timer.js';

export interface BenchOptions extends BenchLoad {
  /** How to reach the server; every session gets its own transcript, which keeps no events, and `signal`. */
  session: Omit<EstablishOptions, 'transcript' | 'stopAfter' | 'signal'>;
  auth: AuthRequest | null;
  from: string;
  to: string[];
  /**
   * Aborting (Ctrl-C) starts no further message and ends every session at once,
   * those still connecting or waiting for the greeting or EHLO too. A message it cuts
   * short is not counted: neither accepted nor a failure of the server.
   */
  signal?: AbortSignal;
  /** Called once per distinct warning (no PIPELINING, a certificate accepted with --insecure …). */
  onWarning?: (message: string) => void;
  /** Called with the TLS session of the first session that comes up (to save its certificate chain, say). */
  onFirstTls?: (tls: TlsSessionInfo) => void;
}

export interface BenchRun {
  stats: BenchStats;
  durationMs: number;
  interrupted: boolean;
}

/**
 * `smtpcheck bench`: N connections send M messages between them, as fast as the
 * server takes them or at --rate. Only counts are kept (BenchStats), never events,
 * so memory does not grow with M. Failures are counted, not thrown; only errors
 * that are not about the server (a bad flag, a bug) end the run early, and throw.
 * Pass `stats` to watch the counts while it runs.
 */
export async function runBench(options: BenchOptions, stats = new BenchStats()): Promise<BenchRun> {
  // Every session listens to it: up to --connections at once, far more than the 10
  // listeners after which Node warns of a leak.
  if (options.signal) setMaxListeners(0, options.signal);
  const messages = benchMessages({ from: options.from, to: options.to, size: options.size, count: options.messages, domain: options.session.heloName });
  const run = new LoadRun(options, stats, messages);
  const startedAt = performance.now();
  await run.run();
  return { stats, durationMs: performance.now() - startedAt, interrupted: options.signal?.aborted ?? false };
}

/** The replies to an envelope that went out pipelined behind the previous message, and whose message that is. */
interface PipelinedNext {
  index: number;
  envelope: EnvelopeReplies;
}

/** What one message left behind for the session: whether it can carry another, and one already begun. */
interface MessageOutcome {
  reusable: boolean;
  next: PipelinedNext | null;
}

// One array for every message, so that encodePipelined encodes it once.
const QUIT: readonly PipelinedCommand[] = [{ line: 'QUIT', step: 'quit' }];
const NO_PARAMETERS: string[] = [];

class LoadRun {
  private next = 0;
  /** Messages taken by a session that broke before their transaction began: another session sends them. */
  private readonly handedBack: number[] = [];
  private readonly startedAt = performance.now();
  private readonly openSessions = new Set<SmtpSession>();
  private readonly warned = new Set<string>();
  private fatal: { error: unknown } | null = null;
  private readonly sizeParameter: string[];
  private readonly envelopes = new Map<string[], PipelinedCommand[]>();

  constructor(
    private readonly options: BenchOptions,
    private readonly stats: BenchStats,
    private readonly messages: BenchMessages,
  ) {
    this.sizeParameter = [`SIZE=${messages.size}`];
  }

  private get stopped(): boolean {
    return this.fatal !== null || (this.options.signal?.aborted ?? false);
  }

  async run(): Promise<void> {
    const workers = Math.min(this.options.connections, this.options.messages);
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
    if (this.fatal) throw this.fatal.error;
  }

  private take(): number | null {
    if (this.stopped) return null;
    const handedBack = this.handedBack.pop();
    if (handedBack !== undefined) return handedBack;
    if (this.next >= this.options.messages) return null;
    return this.next++;
  }

  private async worker(): Promise<void> {
    let session: SmtpSession | null = null;
    let pipelined: PipelinedNext | null = null;
    try {
      for (let index = this.take(); index !== null; index = pipelined ? pipelined.index : this.take()) {
        if (!pipelined) {
          const delay = delayBeforeMs(index, this.options.rate, performance.now() - this.startedAt);
          if (delay > 0) await sleep(delay, undefined, this.options.signal ? { signal: this.options.signal } : {}).catch(() => undefined);
        }
        if (this.stopped) {
          if (pipelined) this.handedBack.push(pipelined.index);
          break;
        }
        // Open loop: under --rate a message's latency runs from when it was due, so a
        // server that falls behind shows in the figures instead of slowing the load
        // down unseen (coordinated omission).
        const dueAt = this.options.rate !== null && !pipelined ? this.startedAt + scheduledStartMs(index, this.options.rate) : performance.now();
        try {
          session ??= await this.openSession();
          // Stopped while the session came up: by an abort, which ended it already, or
          // by a fatal error elsewhere, which did not see it.
          if (this.stopped) {
            this.handedBack.push(index);
            break;
          }
          const outcome = await this.sendMessage(session, index, pipelined?.envelope ?? null);
          this.stats.recordStep('message', performance.now() - dueAt);
          pipelined = outcome.next;
          if (!this.options.reuse || !outcome.reusable) {
            await this.close(session);
            session = null;
          }
        } catch (error) {
          pipelined = null;
          this.recordError(error);
          if (session) this.drop(session);
          session = null;
        }
      }
    } finally {
      // A session in the middle of DATA cannot say QUIT: it would become message text.
      if (session && (pipelined || this.options.signal?.aborted)) this.drop(session);
      else if (session) await this.close(session);
    }
  }

  private async openSession(): Promise<SmtpSession> {
    const transcript = new Transcript({ record: false, previews: false });
    const timer = new StepTimer(performance.now(), (step, milliseconds) => this.stats.recordStep(step, milliseconds));
    transcript.on((event) => {
      timer.onEvent(event, performance.now());
      if (event.type === 'warn') this.warn(warningText(event));
    });
    const session = await establishSession({ ...this.options.session, transcript, signal: this.options.signal });
    if (this.stats.sessions === 0 && session.tls) this.options.onFirstTls?.(session.tls);
    this.stats.sessions += 1;
    this.openSessions.add(session);
    if (this.options.auth) {
      try {
        await authenticate(session, this.options.auth);
      } catch (error) {
        await this.close(session);
        throw error;
      }
    }
    return session;
  }

  /**
   * One message; its outcome is counted here. `envelope` holds the replies to an
   * envelope already sent behind the previous message. With --pipeline and no
   * --rate, the next message's envelope (or, without --reuse, QUIT) goes out behind
   * this message's end of data: one round trip per message (RFC 2920 §3.1).
   */
  private async sendMessage(session: SmtpSession, index: number, envelope: EnvelopeReplies | null): Promise<MessageOutcome> {
    const caps = session.capabilities!;
    const { from, to } = this.options;
    const mailParameters = caps.size !== null ? this.sizeParameter : NO_PARAMETERS;
    if (this.options.pipeline && !caps.pipelining) this.warn('server does not offer PIPELINING; sending one command at a time');
    const done = (reusable: boolean): MessageOutcome => ({ reusable, next: null });

    // The next message's envelope (or QUIT) is chosen only once this message is sure to be sent.
    let nextIndex: number | null = null;
    let then: readonly PipelinedCommand[] = [];
    const quitting = !this.options.reuse;
    const chooseThen = (): readonly PipelinedCommand[] => {
      nextIndex = this.options.reuse && this.options.rate === null ? this.take() : null;
      then = nextIndex !== null ? this.envelope(mailParameters) : quitting ? QUIT : [];
      return then;
    };
    let transaction: MailTransaction;
    try {
      const request: MailRequest = { from, mailParameters, recipients: to, message: () => this.messages.chunks(index), pipeline: this.options.pipeline, then: chooseThen, ...(envelope ? { envelope } : {}) };
      // One promise per message; the replies within it go to callbacks (docs/performance.md#throughput-near-the-floor).
      transaction = await new Promise<MailTransaction>((resolve, reject) => sendMailThen(session, request, (error, sent) => (sent ? resolve(sent) : reject(error))));
    } catch (error) {
      // This message failed; the next one never had its transaction.
      if (nextIndex !== null) this.handedBack.push(nextIndex);
      throw error;
    }
    const refusedRecipients: FailureRecord[] = transaction.recipients.filter((recipient) => !recipient.accepted).map((recipient) => refusal('rcpt', recipient.reply));
    switch (transaction.outcome) {
      case 'mail-refused':
        this.stats.recordRefused([refusal('mail', transaction.mail)]);
        return done(await this.reset(session));
      case 'recipients-refused':
        this.stats.recordRefused(refusedRecipients);
        return done(await this.reset(session));
      case 'data-refused':
        this.stats.recordRefused([...refusedRecipients, refusal('data', transaction.dataStart!)]);
        return done(await this.reset(session));
      default:
        this.recordFinal(transaction.final!, refusedRecipients);
    }
    let next: PipelinedNext | null = null;
    if (then === QUIT) {
      await session.readPipelinedReplies(then).catch(() => undefined);
      session.close();
      return done(false);
    }
    // A session that breaks here fails the next message, which the worker counts.
    if (nextIndex !== null) next = { index: nextIndex, envelope: envelopeReplies(await session.readPipelinedReplies(then)) };
    // The reply to the end of data ends the transaction whatever it says: no RSET needed.
    if (session.connection.isOpen) return { reusable: true, next };
    // Closed behind an envelope it had accepted: that message goes to another session.
    if (next) this.handedBack.push(next.index);
    return done(false);
  }

  /** The same envelope goes out for every message: built once per shape. */
  private envelope(mailParameters: string[]): PipelinedCommand[] {
    const cached = this.envelopes.get(mailParameters);
    if (cached) return cached;
    const commands = envelopeCommands(this.options.from, mailParameters, this.options.to);
    this.envelopes.set(mailParameters, commands);
    return commands;
  }

  private recordFinal(final: Reply, refusedRecipients: FailureRecord[]): void {
    if (isPositive(final) && refusedRecipients.length === 0) this.stats.recordAccepted(this.messages.size);
    else this.stats.recordRefused(isPositive(final) ? refusedRecipients : [...refusedRecipients, refusal('data', final)]);
  }

  /** RSET after a refused transaction, so the next MAIL starts clean; false when the session cannot go on. */
  private async reset(session: SmtpSession): Promise<boolean> {
    if (!session.connection.isOpen) return false;
    try {
      return (await session.reset()).code === 250;
    } catch {
      return false;
    }
  }

  private recordError(error: unknown): void {
    // Sessions ended by an abort (InterruptedError) or by a fatal error elsewhere say
    // nothing about the server: the message they carried is not counted.
    if (this.stopped) return;
    const failure = failureOf(error);
    if (!failure) {
      this.fatal = { error };
      for (const session of this.openSessions) session.connection.destroy();
      return;
    }
    if (failure.kind === 'refused') this.stats.recordRefused([failure]);
    else this.stats.recordFailed(failure);
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.onWarning?.(message);
  }

  private async close(session: SmtpSession): Promise<void> {
    this.openSessions.delete(session);
    await session.quit();
  }

  private drop(session: SmtpSession): void {
    this.openSessions.delete(session);
    session.connection.destroy();
  }
}
