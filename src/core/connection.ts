import net from 'node:net';
import tls from 'node:tls';
import type { SmtpCheckError, SmtpStep } from './errors.js';
import { ConnectError, InterruptedError, ProtocolError, StartTlsInjectionError, TimeoutError, TlsError } from './errors.js';
import { connectError, HEADER_READ_AS_TLS, isTlsLayerError, opensslReason, tlsHandshakeError, tlsSessionError } from './network-errors.js';
import type { TlsClientOptions } from './tls-options.js';
import { secureContextOptions, sniName } from './tls-options.js';
import type { ProxyHeaderSpec } from './proxy-protocol.js';
import { describeProxyHeader, encodeProxyHeader } from './proxy-protocol.js';
import type { Reply } from './reply.js';
import type { Socks5Proxy } from './socks5.js';
import { socks5Connect } from './socks5.js';
import { replySummary } from './reply.js';
import { ReplyReader } from './reply-reader.js';
import type { TlsSessionInfo } from './tls-session.js';
import { describeTlsSession } from './tls-session.js';
import type { Timeouts } from './timeouts.js';
import { DEFAULT_TIMEOUTS } from './timeouts.js';
import type { Transcript } from './transcript.js';
import { assertSingleLine } from './wire-text.js';



export interface ConnectOptions {
  host: string;
  port: number;
  family?: 0 | 4 | 6;
  localAddress?: string;
  implicitTls?: boolean;
  tls?: TlsClientOptions;
  timeouts?: Partial<Timeouts>;
  transcript: Transcript;
  /** A PROXY protocol header to write before anything else, under any TLS (docs/connection.md#proxy-protocol). */
  proxyHeader?: ProxyHeaderSpec;
  /** Connect through this SOCKS5 server (RFC 1928); the host is then resolved by the proxy. */
  socks5?: Socks5Proxy;
  /**
   * Aborting it destroys the connection at once, whatever it waits for (the TCP
   * connect, a reply, a handshake), and the wait fails with InterruptedError.
   */
  signal?: AbortSignal;
}

/** Where a reply (or the error that stands for it) goes: exactly one of the two is set. */
export type ReplyCallback = (error: Error | null, reply: Reply | null) => void;

type Waiter = {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  /** The deadline passed (performance.now() reached `deadline`). */
  expire: () => void;
  deadline: number;
  step: SmtpStep;
  pauseAfter: boolean;
  /** readUnsolicitedReply: a reply nobody asked for is what this reader is looking for. */
  unsolicited: boolean;
};

// Only probes that write raw bytes (smuggling, STARTTLS injection) let replies pile
// up uncounted; they read a handful. More unread replies than this is a flood.
const MAX_UNREAD_REPLIES = 100;

/**
 * One TCP (or TLS) connection to an SMTP server: framing replies off the wire,
 * per-reply deadlines, STARTTLS upgrade in place. It knows nothing of SMTP commands
 * beyond that: the client above it decides what to send.
 */
export class SmtpConnection {
  readonly host: string;
  readonly port: number;
  readonly timeouts: Timeouts;
  readonly transcript: Transcript;
  tlsSession: TlsSessionInfo | null = null;

  private socket: net.Socket;
  private reader = new ReplyReader();
  /** Complete replies taken off the wire that no reader has asked for yet (pipelining). */
  private readonly unread: Reply[] = [];
  /**
   * Replies the server owes: the greeting, then one per command written. A reply
   * beyond that answers nothing we sent; taking it as the answer to the next command
   * would shift every later verdict by one (RFC 5321 §4.2.1, docs/security.md#replies-are-framed-counted-and-never-misattributed), so it ends the
   * conversation instead. Counting stops when a probe writes raw bytes, whose reply
   * count is what the probe itself measures.
   */
  private repliesOwed = 1;
  private countingReplies = true;
  /** The step of the last command written, for errors that arrive while nobody waits. */
  private lastStep: SmtpStep = 'greeting';
  /** Set after a reply read with pauseAfter: what follows it stays in the reader for the injection check. */
  private pausedAfterReply = false;
  private waiter: Waiter | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private timerDueAt = Infinity;
  /**
   * Why the connection can carry no more commands. Built lazily: every connection
   * ends, and an error's stack trace cost ~20 µs per connection of a load run
   * (docs/performance.md), while most endings are never reported.
   */
  private terminal: Error | (() => Error) | null = null;
  private closedByClient = false;
  private lastSendAt = 0;
  private readonly tlsOptions: TlsClientOptions;
  private readonly signal: AbortSignal | undefined;
  /** A PROXY header went out: a server that did not expect one answers it as a command after its greeting. */
  private readonly proxyHeaderSent: boolean;

  private constructor(socket: net.Socket, options: ConnectOptions, timeouts: Timeouts) {
    this.socket = socket;
    this.host = options.host;
    this.port = options.port;
    this.timeouts = timeouts;
    this.transcript = options.transcript;
    this.tlsOptions = options.tls ?? {};
    this.signal = options.signal;
    this.proxyHeaderSent = options.proxyHeader !== undefined;
    this.attach(socket);
    this.signal?.addEventListener('abort', this.interrupt, { once: true });
  }

  get isTls(): boolean {
    return this.tlsSession !== null;
  }

  get isOpen(): boolean {
    return this.terminal === null && !this.socket.destroyed;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  static async open(options: ConnectOptions): Promise<SmtpConnection> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const tlsOptions = options.tls ?? {};
    const { signal } = options;
    if (signal?.aborted) throw new InterruptedError('connect');
    const header = options.proxyHeader ? encodeProxyHeader(options.proxyHeader) : null;
    // With a PROXY header and implicit TLS, TCP comes first: the header goes before the ClientHello.
    const via = options.socks5;
    const tlsFirst = options.implicitTls && header === null && via === undefined;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const common = { host: via?.host ?? options.host, port: via?.port ?? options.port, family: options.family ?? 0, localAddress: options.localAddress };
      let socket: net.Socket = tlsFirst ? tls.connect({ ...common, ...secureContextOptions(options.host, tlsOptions) }) : net.connect(common);
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        settle();
        socket.destroy();
        reject(
          options.implicitTls
            ? new TlsError('tls', 'tls-handshake', `no TLS handshake with ${options.host}:${options.port} within ${timeouts.connectMs / 1000} s`, { cause: 'timed-out', implicit: true })
            : new ConnectError('connect-timeout', `connecting to ${options.host}:${options.port}${via ? ` through the SOCKS5 server ${via.host}:${via.port}` : ''} timed out after ${timeouts.connectMs / 1000} s`, 'ETIMEDOUT'),
        );
      }, timeouts.connectMs);
      const onAbort = () => {
        settle();
        socket.destroy();
        reject(new InterruptedError('connect'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const onError = (error: NodeJS.ErrnoException) => {
        settle();
        reject(options.implicitTls && isTlsLayerError(error) ? tlsHandshakeError(error, 'tls') : connectError(common.host, common.port, error, via ? 'socks5' : 'server'));
      };
      const ready = () => {
        settle();
        socket.off('error', onError);
        resolve(socket);
      };
      socket.once('error', onError);
      if (tlsFirst) socket.once('secureConnect', ready);
      else {
        socket.once('connect', async () => {
          if (via) {
            try {
              await socks5Connect(socket, via, options.host, options.port);
            } catch (error) {
              settle();
              socket.destroy();
              return reject(error);
            }
          }
          if (header) socket.write(header);
          if (!options.implicitTls) return ready();
          socket.off('error', onError);
          socket = tls.connect({ socket, ...secureContextOptions(options.host, tlsOptions) });
          // A TLS server that hangs up on the bytes before its ClientHello, or reads them
          // as a TLS record and says it cannot (GnuTLS and OpenSSL: an unexpected_message
          // or decode_error alert), did not take the header.
          socket.once('error', (error: NodeJS.ErrnoException) => {
            if (isTlsLayerError(error) && !HEADER_READ_AS_TLS.has(opensslReason(error) ?? '')) return onError(error);
            settle();
            reject(new ConnectError('proxy-refused', `server broke off the connection after the PROXY header, before the TLS handshake (${error.code ?? error.message})`, error.code));
          });
          socket.once('secureConnect', ready);
        });
      }
    });
    if (signal?.aborted) {
      socket.destroy();
      throw new InterruptedError('connect');
    }
    const connection = new SmtpConnection(socket, options, timeouts);
    options.transcript.emit({
      type: 'connect',
      host: options.host,
      port: options.port,
      address: socket.remoteAddress ?? options.host,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      implicitTls: options.implicitTls ?? false,
    });
    if (via) options.transcript.info(`through the SOCKS5 server ${via.host}:${via.port}`);
    if (options.proxyHeader) options.transcript.emit({ type: 'send', step: 'connect', text: describeProxyHeader(options.proxyHeader), tls: false, redacted: false });
    if (options.implicitTls) connection.recordTlsSession(socket as tls.TLSSocket);
    return connection;
  }

  /** Wait for the next complete reply; the deadline covers the whole reply, so a server dripping one byte a second still times out. */
  readReply(step: SmtpStep, timeoutMs: number, options: { pauseAfter?: boolean } = {}): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => this.whenReply(step, timeoutMs, options.pauseAfter ?? false, false, (error, reply) => (error ? reject(error) : resolve(reply!))));
  }

  /**
   * readReply for load runs (docs/performance.md#throughput-near-the-floor): the same framing, limits,
   * deadline and errors, the reply handed to `callback` instead of a promise. The
   * callback may run before this returns, when the reply had already arrived.
   */
  readReplyThen(step: SmtpStep, timeoutMs: number, callback: ReplyCallback): void {
    this.whenReply(step, timeoutMs, false, false, callback);
  }

  /**
   * Wait up to `ms` for a reply nobody asked for (the injected-EHLO probe, smuggling
   * counts). Unlike readReply, silence is the expected answer: it returns null and
   * leaves the connection usable.
   */
  readUnsolicitedReply(step: SmtpStep, ms: number): Promise<Reply | null> {
    return new Promise<Reply | null>((resolve, reject) => this.whenReply(step, ms, false, true, (error, reply) => (error ? reject(error) : resolve(reply))));
  }

  /** The one way replies are waited for. On timeout: null for an unsolicited read (silence is its answer), else TimeoutError, which ends the connection. */
  private whenReply(step: SmtpStep, timeoutMs: number, pauseAfter: boolean, unsolicited: boolean, callback: ReplyCallback): void {
    if (this.pausedAfterReply) {
      this.pausedAfterReply = false;
      this.takeReplies();
    }
    const queued = this.unread.shift();
    if (queued) {
      if (pauseAfter) {
        this.socket.pause();
        this.pausedAfterReply = true;
      }
      return callback(null, this.received(queued, step));
    }
    if (this.terminalError) return callback(this.stepError(this.terminalError, step), null);
    if (this.waiter) return callback(new Error(`internal: two readers waiting for replies (${this.waiter.step}, ${step})`), null);
    const deadline = performance.now() + timeoutMs;
    this.waiter = {
      step,
      pauseAfter,
      unsolicited,
      deadline,
      expire: () => {
        if (unsolicited) return callback(null, null);
        const error = new TimeoutError(step, timeoutMs, describeWait(step), { plaintext: !this.isTls });
        this.fail(error);
        callback(error, null);
      },
      resolve: (reply) => callback(null, this.received(reply, step)),
      reject: (error) => callback(this.stepError(error, step), null),
    };
    this.armDeadline(deadline);
    this.socket.resume();
  }

  /**
   * Reply deadlines share one timer per connection, armed for the earliest deadline
   * and, when it fires before the deadline of the reply awaited by then, armed again:
   * a timer set and cleared for every reply cost ~3 % of a load run's CPU
   * (docs/performance.md#throughput-near-the-floor). Not referenced: while a reply is awaited, the
   * socket reads, and that keeps the process alive.
   */
  private armDeadline(deadline: number): void {
    if (this.deadlineTimer !== null && this.timerDueAt <= deadline) return;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.timerDueAt = deadline;
    this.deadlineTimer = setTimeout(this.checkDeadline, Math.max(deadline - performance.now(), 0)).unref();
  }

  private readonly checkDeadline = (): void => {
    this.deadlineTimer = null;
    this.timerDueAt = Infinity;
    const waiter = this.waiter;
    if (!waiter) return;
    if (performance.now() < waiter.deadline) return this.armDeadline(waiter.deadline);
    this.waiter = null;
    waiter.expire();
  };

  /** Write a command line (CRLF added). `display` replaces the text in the transcript when the line carries a secret. */
  sendLine(line: string, step: SmtpStep, display?: string, redacted = display !== undefined): void {
    // Every flag value is checked where it is read; this is the last line of defence
    // for values no one thought of (DSN parameters, say): one line, one command.
    assertSingleLine(line, `the ${step.toUpperCase()} command line`);
    this.writeRaw(`${line}\r\n`, step, 1);
    this.transcript.emit({ type: 'send', step, text: display ?? line, tls: this.isTls, redacted });
  }

  /**
   * Write bytes exactly as given, without a transcript entry (the caller describes
   * them). `replies` is how many replies the bytes ask for: 1 per command, 0 for
   * message content, 'uncounted' for probes that send what no client would.
   */
  writeRaw(data: string | Buffer, step: SmtpStep = this.lastStep, replies: number | 'uncounted' = 0): boolean {
    if (this.terminalError) throw this.stepError(this.terminalError, step);
    if (replies === 'uncounted') this.countingReplies = false;
    else this.repliesOwed += replies;
    this.lastStep = step;
    this.lastSendAt = performance.now();
    return this.socket.write(data);
  }

  /** Resolves once the socket can take more data; keeps memory flat while streaming a large message. */
  async drain(): Promise<void> {
    if (!this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off('drain', onDrain);
        reject(this.terminalError ?? new ProtocolError('data', 'closed-by-server', 'connection closed while sending data'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /**
   * Switch the connection to TLS after the server's 220 to STARTTLS. The 220 was read
   * with pauseAfter, so nothing after it was handed to us; anything already buffered
   * is a response-injection attempt and is never parsed (RFC 3207 §5).
   */
  async upgradeToTls(): Promise<TlsSessionInfo> {
    if (this.reader.hasUnconsumedInput() || this.unread.length > 0) {
      const unreadBytes = this.unread.reduce((sum, reply) => sum + reply.raw.reduce((bytes, raw) => bytes + Buffer.byteLength(raw) + 2, 0), 0);
      const error = new StartTlsInjectionError(this.reader.unconsumedByteCount() + unreadBytes);
      this.fail(error);
      throw error;
    }
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({ socket: plain, ...secureContextOptions(this.host, this.tlsOptions) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TlsError('starttls', 'tls-handshake', `TLS handshake did not finish within ${this.timeouts.connectMs / 1000} s after STARTTLS`, { cause: 'timed-out' }));
      }, this.timeouts.connectMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(tlsHandshakeError(error, 'starttls'));
      });
      plain.once('close', () => {
        clearTimeout(timer);
        reject(new TlsError('starttls', 'tls-handshake', 'server closed the connection during the TLS handshake', { cause: 'closed' }));
      });
    }).catch((error: Error) => {
      this.fail(error);
      // Interrupted mid-handshake: the handshake failed because we dropped the socket.
      throw this.terminalError instanceof InterruptedError ? this.terminalError : error;
    });
    this.socket = secure;
    this.reader = new ReplyReader();
    this.pausedAfterReply = false;
    this.attach(secure);
    return this.recordTlsSession(secure);
  }

  /** Close politely or not: the client decides whether QUIT was sent first. */
  close(): void {
    if (this.closedByClient) return;
    this.closedByClient = true;
    if (!this.socket.destroyed) {
      this.transcript.emit({ type: 'close', by: 'client' });
      this.socket.end();
      // A server that never closes its side must not keep the process alive.
      const socket = this.socket;
      const timer = setTimeout(() => socket.destroy(), 1000).unref();
      socket.once('close', () => {
        clearTimeout(timer);
        // Also for a socket whose own close handler a failed STARTTLS upgrade took away.
        this.signal?.removeEventListener('abort', this.interrupt);
      });
    }
    this.terminal ??= () => new ProtocolError('quit', 'closed-by-client', 'connection closed by client');
  }

  destroy(): void {
    this.closedByClient = true;
    this.socket.destroy();
  }

  /** The signal was aborted: whoever waits gets InterruptedError, and the socket goes now, even one closing politely. */
  private readonly interrupt = (): void => {
    if (this.socket.destroyed) return;
    this.fail(new InterruptedError(this.currentStep()));
    if (!this.closedByClient) this.transcript.emit({ type: 'close', by: 'client' });
    this.destroy();
  };

  private recordTlsSession(socket: tls.TLSSocket): TlsSessionInfo {
    const servername = sniName(this.host, this.tlsOptions);
    const session = describeTlsSession(socket, this.tlsOptions.servername ?? this.host, servername);
    this.tlsSession = session;
    this.transcript.emit({ type: 'tls', session });
    return session;
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const step = this.currentStep();
      const what = error.code === 'ECONNRESET' ? 'connection reset by the server' : `connection error (${error.code ?? error.message})`;
      const loss = error.code === 'ECONNRESET' ? { how: 'reset' as const, idle: this.waiter === null } : undefined;
      if (!isTlsLayerError(error)) this.fail(new ProtocolError(step, 'reset', `${what} ${this.where(step)}`, loss ? { loss } : {}));
      else if (this.tlsSession) this.fail(tlsSessionError(error, step, this.where(step)));
      else this.fail(tlsHandshakeError(error, this.waiter?.step ?? 'tls'));
    });
    socket.on('close', () => {
      this.signal?.removeEventListener('abort', this.interrupt);
      if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
      this.deadlineTimer = null;
      if (!this.closedByClient) this.transcript.emit({ type: 'close', by: 'server' });
      const step = this.currentStep();
      const message = `server closed the connection ${this.where(step)}`;
      const loss = { how: 'closed-by-server' as const, idle: this.waiter === null };
      this.fail(() => new ProtocolError(step, 'closed-by-server', message, { loss }));
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (error) {
      // The reader knows the limit that broke; the connection knows the step.
      const step = this.currentStep();
      this.abort(error instanceof ProtocolError ? new ProtocolError(step, error.reason, `${error.message}, ${this.where(step)}`) : (error as Error));
      return;
    }
    this.takeReplies();
  }

  /**
   * Hand each complete reply to its reader, or keep it unread; end the conversation on
   * one nobody asked for. Replies that arrived together are checked together: with a
   * surplus among them, which one answers the command is unknowable, so none is
   * delivered (a "250" followed by a stray "451" is not a success). After a reply read
   * with pauseAfter (STARTTLS), the rest stays in the reader for the injection check.
   */
  private takeReplies(): void {
    if (this.pausedAfterReply) return;
    const batch: Reply[] = [];
    for (let reply = this.reader.shift(); reply; reply = this.waiter?.pauseAfter ? undefined : this.reader.shift()) batch.push(reply);
    for (const reply of batch) {
      const unexpected = this.unexpectedReply(reply);
      if (unexpected) {
        this.abort(unexpected);
        return;
      }
    }
    for (const reply of batch) {
      const waiter = this.waiter;
      if (!waiter) {
        this.unread.push(reply);
        continue;
      }
      this.waiter = null;
      if (waiter.pauseAfter) {
        this.socket.pause();
        this.pausedAfterReply = true;
      }
      waiter.resolve(reply);
    }
  }

  private unexpectedReply(reply: Reply): SmtpCheckError | null {
    if (this.repliesOwed > 0) {
      this.repliesOwed -= 1;
      return null;
    }
    if (!this.countingReplies || this.waiter?.unsolicited) {
      return this.unread.length < MAX_UNREAD_REPLIES ? null : new ProtocolError(this.lastStep, 'unsolicited-reply', `server sent more than ${MAX_UNREAD_REPLIES} replies that nobody read`);
    }
    const step = this.lastStep;
    if (step === 'greeting' && this.proxyHeaderSent) return new ConnectError('proxy-refused', `server answered the PROXY header as a command after its greeting: ${JSON.stringify(replySummary(reply).slice(0, 80))}`);
    const after = step === 'greeting' ? 'after the greeting' : `after the reply to ${step.toUpperCase()}`;
    if (reply.code === 421) {
      // RFC 5321 §3.8: a server that must shut down may say so unasked (Postfix does on its idle timeout).
      return new ProtocolError(step, 'unsolicited-reply', `server ended the session unasked ${after}: ${replySummary(reply)}`, { reply });
    }
    return new ProtocolError(step, 'unsolicited-reply', `server sent a reply nobody asked for ${after}: ${JSON.stringify(replySummary(reply).slice(0, 80))}`, { reply });
  }

  private currentStep(): SmtpStep {
    return this.waiter?.step ?? this.lastStep;
  }

  /** "while waiting for the reply to EHLO", or "after EHLO" when no reply was awaited. */
  private where(step: SmtpStep): string {
    if (this.waiter) return `while waiting for ${describeWait(step)}`;
    return step === 'greeting' ? 'after the greeting' : `after ${step.toUpperCase()}`;
  }

  private abort(error: Error): void {
    this.fail(error);
    this.socket.destroy();
  }

  private get terminalError(): Error | null {
    if (typeof this.terminal === 'function') this.terminal = this.terminal();
    return this.terminal;
  }

  private fail(error: Error | (() => Error)): void {
    this.terminal ??= error;
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    waiter.reject(typeof error !== 'function' ? error : this.terminal === error ? this.terminalError! : error());
  }

  private received(reply: Reply, step: SmtpStep): Reply {
    this.transcript.emit({ type: 'receive', step, reply, tls: this.isTls, latencyMs: Math.round(performance.now() - this.lastSendAt) });
    // Said, not acted on: the reply is read as sent, and the session goes on.
    if (reply.defects) this.transcript.emit({ type: 'warn', kind: 'reply-bytes', step, code: reply.code, defects: reply.defects });
    return reply;
  }

  /** A connection that died between commands is reported at the step that found it dead. */
  private stepError(error: Error, step: SmtpStep): Error {
    if (error instanceof ProtocolError && error.step !== step && error.loss?.idle) {
      return new ProtocolError(step, error.reason, `${error.message}; ${step.toUpperCase()} was not sent`, { loss: error.loss, ...(error.reply ? { reply: error.reply } : {}) });
    }
    return error;
  }
}

function describeWait(step: SmtpStep): string {
  switch (step) {
    case 'greeting':
      return 'the server greeting (220)';
    case 'data':
      return 'the reply to DATA or to the end of the message';
    default:
      return `the reply to ${step.toUpperCase()}`;
  }
}
