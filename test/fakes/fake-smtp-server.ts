import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { DEMO_SERVER_CERT_PEM, DEMO_SERVER_KEY_PEM } from '../../src/lab/demo-certificates.js';

/**
 * A scripted SMTP server for the cases a real server cannot be made to do on cue:
 * hangs, garbage, injected bytes after STARTTLS, early close. Each test writes the
 * server side as a small async script over a FakePeer.
 */
export class FakePeer {
  socket: net.Socket;
  /** Every line the client sent, in order (also across the TLS upgrade). */
  readonly received: string[];
  /** What ends a line: any LF (a lenient server), or only CRLF (RFC 5321 §2.3.8), so that a bare LF stays inside the line. */
  readonly lineEnd: '\n' | '\r\n';
  private buffer = '';
  private consumed = 0;
  private waiters: ((line: string | null) => void)[] = [];
  private ended = false;

  constructor(socket: net.Socket, received: string[], lineEnd: '\n' | '\r\n' = '\n') {
    this.socket = socket;
    this.received = received;
    this.lineEnd = lineEnd;
    this.listen(socket);
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      let index;
      while ((index = this.buffer.indexOf(this.lineEnd)) >= 0) {
        const line = this.buffer.slice(0, index).replace(/\r$/, '');
        this.buffer = this.buffer.slice(index + this.lineEnd.length);
        this.received.push(line);
        this.waiters.shift()?.(line);
      }
    });
    socket.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    });
    socket.on('error', () => undefined);
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** The next line from the client, or null once it has closed. Lines already read are not returned again. */
  async readLine(): Promise<string | null> {
    const pending = this.received.length - this.consumed;
    if (pending > 0) return this.received[this.consumed++]!;
    if (this.ended) return null;
    return new Promise((resolve) => {
      this.waiters.push((line) => {
        if (line !== null) this.consumed += 1;
        resolve(line);
      });
    });
  }

  /**
   * True when the client sent more than the lines read so far, before the server
   * answered them: what a server that enforces RFC 2920 §3.1 (Exim's
   * smtp_enforce_sync) looks for after a command that must end a group. One write of
   * the client arrives as one chunk on loopback, so a group is seen whole.
   */
  hasPendingInput(): boolean {
    return this.received.length > this.consumed || this.buffer.length > 0;
  }

  /** Read a line and answer it; for scripts that only care about order. */
  async answer(reply: string): Promise<string | null> {
    const line = await this.readLine();
    if (line !== null) this.write(reply);
    return line;
  }

  /**
   * Become the TLS server on this connection with the demo certificate (after sending
   * 220 to STARTTLS), going on with the same peer and line list.
   */
  async startTls(): Promise<void> {
    const secure = await acceptTls(this.socket, { cert: DEMO_SERVER_CERT_PEM, key: DEMO_SERVER_KEY_PEM });
    if (!secure) throw new Error('the client gave up on the TLS handshake');
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The server side of a TLS handshake on `socket`; null when the client gives up on it. */
export async function acceptTls(socket: net.Socket, options: tls.TlsOptions): Promise<tls.TLSSocket | null> {
  socket.removeAllListeners('data');
  const secure = new tls.TLSSocket(socket, { isServer: true, ...options });
  try {
    await Promise.race([once(secure, 'secure'), once(secure, 'close').then(() => Promise.reject(new Error('closed during the handshake')))]);
    return secure;
  } catch {
    secure.destroy();
    return null;
  }
}

export interface FakeServer {
  port: number;
  /** Lines received, per connection in accept order. */
  connections: string[][];
  close(): Promise<void>;
}

export async function startFakeServer(script: (peer: FakePeer) => Promise<void>, options: { implicitTls?: boolean; lineEnd?: FakePeer['lineEnd'] } = {}): Promise<FakeServer> {
  const connections: string[][] = [];
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const received: string[] = [];
    connections.push(received);
    script(new FakePeer(socket, received, options.lineEnd)).catch(() => socket.destroy());
  };
  const server = options.implicitTls
    ? tls.createServer({ cert: DEMO_SERVER_CERT_PEM, key: DEMO_SERVER_KEY_PEM }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
