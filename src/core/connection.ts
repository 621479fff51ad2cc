import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SmtpStep } from './errors.js';
import { ConnectError, ProtocolError, StartTlsInjectionError, TimeoutError, TlsError, UsageError } from './errors.js';
import type { Reply } from './reply.js';
import { ReplyReader } from './reply-reader.js';
import type { TlsSessionInfo } from './tls-session.js';
import { describeTlsSession } from './tls-session.js';
import type { Transcript } from './transcript.js';

/**
 * Separate limits per step, because the RFC gives very different ones (§4.5.3.2):
 * 5 minutes for the greeting and most commands, 10 for the end of DATA. A diagnostic
 * tool should not wait that long by default; these are the documented defaults
 * (docs/exit-codes.md), all overridable with --timeout.
 */
export interface Timeouts {
  connectMs: number;
  greetingMs: number;
  commandMs: number;
  dataMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 10_000,
  greetingMs: 30_000,
  commandMs: 30_000,
  dataMs: 120_000,
};

export interface TlsClientOptions {
  /** PEM file(s) of extra trust anchors, replacing the system roots (as openssl -CAfile does). */
  caFile?: string;
  caPem?: string;
  /** Name to send as SNI and to check the certificate against; default: the host unless it is an IP. */
  servername?: string;
  /** Continue when verification fails; the failure is still reported. */
  insecure?: boolean;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  certFile?: string;
  keyFile?: string;
}

export interface ConnectOptions {
  host: string;
  port: number;
  family?: 0 | 4 | 6;
  localAddress?: string;
  implicitTls?: boolean;
  tls?: TlsClientOptions;
  timeouts?: Partial<Timeouts>;
  transcript: Transcript;
}

type Waiter = {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  step: SmtpStep;
  pauseAfter: boolean;
};

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
  private waiter: Waiter | null = null;
  private terminalError: Error | null = null;
  private closedByClient = false;
  private lastSendAt = 0;
  private readonly tlsOptions: TlsClientOptions;

  private constructor(socket: net.Socket, options: ConnectOptions, timeouts: Timeouts) {
    this.socket = socket;
    this.host = options.host;
    this.port = options.port;
    this.timeouts = timeouts;
    this.transcript = options.transcript;
    this.tlsOptions = options.tls ?? {};
    this.attach(socket);
  }

  get isTls(): boolean {
    return this.tlsSession !== null;
  }

  get isOpen(): boolean {
    return this.terminalError === null && !this.socket.destroyed;
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
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const common = { host: options.host, port: options.port, family: options.family ?? 0, localAddress: options.localAddress };
      const socket: net.Socket = options.implicitTls
        ? tls.connect({ ...common, ...secureContextOptions(options.host, tlsOptions) })
        : net.connect(common);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          options.implicitTls
            ? new TlsError('tls', `no TLS handshake with ${options.host}:${options.port} within ${timeouts.connectMs / 1000} s`, 'check that the port speaks implicit TLS (465) or drop --tls-on-connect')
            : new ConnectError(`connecting to ${options.host}:${options.port} timed out after ${timeouts.connectMs / 1000} s`, 'ETIMEDOUT', 'check the host, the port and any firewall in between'),
        );
      }, timeouts.connectMs);
      const onError = (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(options.implicitTls && isTlsLayerError(error) ? tlsHandshakeError(error, 'tls') : connectError(options.host, options.port, error));
      };
      socket.once('error', onError);
      socket.once(options.implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(socket);
      });
    });
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
    if (options.implicitTls) connection.recordTlsSession(socket as tls.TLSSocket);
    return connection;
  }

  /** Wait for the next complete reply; the deadline covers the whole reply, so a server dripping one byte a second still times out. */
  async readReply(step: SmtpStep, timeoutMs: number, options: { pauseAfter?: boolean } = {}): Promise<Reply> {
    const reply = await this.awaitReply(step, timeoutMs, options.pauseAfter ?? false, () => {
      // The classic cause of a silent greeting: a plaintext client on an implicit-TLS
      // port, where the server waits for a ClientHello.
      const hint = step === 'greeting' && !this.isTls ? 'if this is an implicit-TLS port (465), add --tls-on-connect; otherwise the server is overloaded or tarpitting' : undefined;
      const error = new TimeoutError(step, timeoutMs, describeWait(step), hint);
      this.fail(error);
      throw error;
    });
    return reply!;
  }

  /**
   * Wait up to `ms` for a reply nobody asked for (the injected-EHLO probe, smuggling
   * counts). Unlike readReply, silence is the expected answer: it returns null and
   * leaves the connection usable.
   */
  readUnsolicitedReply(step: SmtpStep, ms: number): Promise<Reply | null> {
    return this.awaitReply(step, ms, false, () => null);
  }

  private awaitReply(step: SmtpStep, timeoutMs: number, pauseAfter: boolean, onTimeout: () => null): Promise<Reply | null> {
    const queued = this.reader.shift();
    if (queued) return Promise.resolve(this.received(queued, step));
    if (this.terminalError) return Promise.reject(this.stepError(this.terminalError, step));
    if (this.waiter) return Promise.reject(new Error(`internal: two readers waiting for replies (${this.waiter.step}, ${step})`));
    return new Promise<Reply | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        try {
          resolve(onTimeout());
        } catch (error) {
          reject(error);
        }
      }, timeoutMs);
      this.waiter = {
        step,
        pauseAfter,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(this.received(reply, step));
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(this.stepError(error, step));
        },
      };
      this.socket.resume();
    });
  }

  /** Write a command line (CRLF added). `display` replaces the text in the transcript when the line carries a secret. */
  sendLine(line: string, step: SmtpStep, display?: string): void {
    this.writeRaw(`${line}\r\n`);
    this.transcript.emit({ type: 'send', step, text: display ?? line, tls: this.isTls, redacted: display !== undefined });
  }

  /** Write bytes exactly as given, without a transcript entry (the caller describes them). */
  writeRaw(data: string | Buffer): boolean {
    if (this.terminalError) throw this.terminalError;
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
        reject(this.terminalError ?? new ProtocolError('data', 'connection closed while sending data'));
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
    if (this.reader.hasUnconsumedInput()) {
      const error = new StartTlsInjectionError(this.reader.unconsumedByteCount());
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
        reject(new TlsError('starttls', `TLS handshake did not finish within ${this.timeouts.connectMs / 1000} s after STARTTLS`, 'the server accepted STARTTLS but never completed the handshake; check its TLS configuration and logs'));
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
        reject(new TlsError('starttls', 'server closed the connection during the TLS handshake', 'check the server log: its TLS setup (certificate, key, protocols) is probably broken'));
      });
    }).catch((error: Error) => {
      this.fail(error);
      throw error;
    });
    this.socket = secure;
    this.reader = new ReplyReader();
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
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
    this.terminalError ??= new ProtocolError('quit', 'connection closed by client');
  }

  destroy(): void {
    this.closedByClient = true;
    this.socket.destroy();
  }

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
      this.fail(isTlsLayerError(error) ? tlsHandshakeError(error, this.waiter?.step ?? 'tls') : new ProtocolError(this.waiter?.step ?? 'command', `connection error: ${error.code ?? error.message}`, 'the server reset the connection; see its log'));
    });
    socket.on('close', () => {
      if (!this.closedByClient) this.transcript.emit({ type: 'close', by: 'server' });
      this.fail(new ProtocolError(this.waiter?.step ?? 'command', 'server closed the connection', 'see the server log for why it hung up'));
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    const waiter = this.waiter;
    if (!waiter) return;
    const reply = this.reader.shift();
    if (!reply) return;
    this.waiter = null;
    if (waiter.pauseAfter) this.socket.pause();
    waiter.resolve(reply);
  }

  private fail(error: Error): void {
    this.terminalError ??= error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  private received(reply: Reply, step: SmtpStep): Reply {
    this.transcript.emit({ type: 'receive', step, reply, tls: this.isTls, latencyMs: Math.round(performance.now() - this.lastSendAt) });
    return reply;
  }

  private stepError(error: Error, step: SmtpStep): Error {
    if (error instanceof ProtocolError && error.step !== step && error.message === 'server closed the connection') {
      return new ProtocolError(step, `server closed the connection while waiting for the reply to ${step.toUpperCase()}`, 'see the server log for why it hung up');
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

function sniName(host: string, options: TlsClientOptions): string | null {
  const name = options.servername ?? host;
  // RFC 6066 §3: literal IP addresses are not permitted in SNI.
  return net.isIP(name) ? null : name;
}

function secureContextOptions(host: string, options: TlsClientOptions): tls.ConnectionOptions {
  const servername = sniName(host, options);
  const ca = options.caPem ?? (options.caFile ? readTlsFile(options.caFile, '--tls-ca') : undefined);
  return {
    ...(servername ? { servername } : {}),
    ...(ca ? { ca } : {}),
    ...(options.minVersion ? { minVersion: options.minVersion } : {}),
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    ...(options.ciphers ? { ciphers: options.ciphers } : {}),
    ...(options.certFile ? { cert: readTlsFile(options.certFile, '--tls-cert') } : {}),
    ...(options.keyFile ? { key: readTlsFile(options.keyFile, '--tls-key') } : {}),
    // Verification is done after the handshake (describeTlsSession) so that a failure
    // can be reported in full, and --insecure can continue past it.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

function readTlsFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${flag} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, `check the path given to ${flag}`);
  }
}

function isTlsLayerError(error: NodeJS.ErrnoException): boolean {
  return typeof error.code === 'string' && (error.code.startsWith('ERR_SSL') || error.code.startsWith('ERR_TLS') || error.code === 'EPROTO');
}

function tlsHandshakeError(error: NodeJS.ErrnoException, step: SmtpStep): TlsError {
  const reason = error.code === 'EPROTO' || !error.code ? error.message.split('\n')[0] ?? 'handshake failed' : `${error.code}: ${error.message.split('\n')[0]}`;
  let hint = 'check that both sides share a TLS version and cipher (see --tls-min, --tls-max, --tls-ciphers)';
  if (/wrong version number|packet length too long|http request/i.test(error.message)) {
    hint = 'the server did not answer with TLS: for STARTTLS ports use --tls, for implicit-TLS ports (465) use --tls-on-connect';
  } else if (/unsupported protocol|no protocols available|legacy sigalg|version too low/i.test(error.message)) {
    hint = 'the server only offers old TLS versions; to probe them anyway try --tls-min TLSv1 --tls-ciphers DEFAULT@SECLEVEL=0';
  }
  return new TlsError(step, `TLS handshake failed: ${reason}`, hint);
}

function connectError(host: string, port: number, error: NodeJS.ErrnoException): ConnectError {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ConnectError(`connection to ${where} refused`, error.code, 'nothing listens there: check the port and that the mail server is running');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`cannot resolve host ${host}`, error.code, 'check the host name, or give an IP address');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(`${where} is unreachable`, error.code, 'check the address and your network route (try -4 or -6)');
    case 'EADDRNOTAVAIL':
      return new ConnectError(`cannot use that local address to reach ${where}`, error.code, 'check --local-address');
    case 'ECONNRESET':
      return new ConnectError(`connection to ${where} reset`, error.code, 'a firewall or the server dropped the connection');
    default:
      return new ConnectError(`cannot connect to ${where}: ${error.code ?? error.message}`, error.code, 'check the host and port');
  }
}
