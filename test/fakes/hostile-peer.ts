import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type net from 'node:net';
import tls from 'node:tls';
import { after } from 'node:test';
import type { FakeServer } from './fake-smtp-server.js';
import { FakePeer, startFakeServer } from './fake-smtp-server.js';
import type { EstablishOptions } from '../../src/core/establish.js';
import { Transcript } from '../../src/core/transcript.js';
import { DEMO_CA_CERT_PEM, DEMO_SERVER_CERT_PEM, DEMO_SERVER_KEY_PEM } from '../../src/lab/demo-certificates.js';

/**
 * What the scripted fake server (fake-smtp-server.ts) lacks for hostile servers: TLS
 * with any certificate or TLS option, a reply dripped byte by byte, a flood that only
 * ends when the client hangs up, a pool that closes every server after the file, and
 * a well-behaved submission responder that a test bends at exactly one step.
 */

/** The lab's demo identity (mail.example.org, localhost, 127.0.0.1), for fakes whose certificate is not the point. */
export const DEMO_TLS: tls.TlsOptions = { cert: DEMO_SERVER_CERT_PEM, key: DEMO_SERVER_KEY_PEM };

/** Short limits, so that every silent server ends a test within a second or two. */
export const SHORT_TIMEOUTS = { connectMs: 1000, greetingMs: 500, commandMs: 500, dataMs: 700 };

/** Core options for a session against a fake on loopback that trusts the demo CA. */
export function coreOptions(port: number, extra: Partial<EstablishOptions> = {}): EstablishOptions {
  return { host: '127.0.0.1', port, heloName: 'client.example.com', transcript: new Transcript(), tls: { caPem: DEMO_CA_CERT_PEM }, timeouts: SHORT_TIMEOUTS, tlsMode: 'none', ...extra };
}

let demoCaPath: string | null = null;

/** The demo CA as a file, for the CLI's --tls-ca. */
export function demoCaFile(): string {
  if (!demoCaPath) {
    demoCaPath = join(mkdtempSync(join(tmpdir(), 'smtpcheck-ca-')), 'demo-ca.pem');
    writeFileSync(demoCaPath, DEMO_CA_CERT_PEM);
  }
  return demoCaPath;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Servers registered with the returned function are closed after the test file, so
 * no test can leave a listener behind: `const server = await track(startFakeServer(…))`.
 */
export function serverPool(): <T extends FakeServer>(starting: Promise<T>) => Promise<T> {
  const servers: FakeServer[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });
  return async (starting) => {
    const server = await starting;
    servers.push(server);
    return server;
  };
}

/**
 * Become the TLS server on this connection with the given certificate and options:
 * after a 220 to STARTTLS, or at once for implicit TLS. Returns the peer that reads
 * and writes inside TLS (its `received` holds only the lines sent inside TLS), or
 * null when the client gave up on the handshake.
 */
export async function serveTls(peer: FakePeer, options: tls.TlsOptions): Promise<FakePeer | null> {
  peer.socket.removeAllListeners('data');
  const secure = new tls.TLSSocket(peer.socket, { isServer: true, ...options });
  const inner = new FakePeer(secure, []);
  try {
    await Promise.race([once(secure, 'secure'), once(secure, 'close').then(() => Promise.reject(new Error('closed during the handshake')))]);
    return inner;
  } catch {
    secure.destroy();
    return null;
  }
}

/** Write the text one byte at a time, `intervalMs` apart, until done or the client leaves. */
export async function drip(peer: FakePeer, text: string, intervalMs: number): Promise<void> {
  for (const char of text) {
    if (peer.socket.destroyed) return;
    peer.write(char);
    await sleep(intervalMs);
  }
}

/**
 * Write chunks for as long as the client listens (or until `nextChunk` returns null),
 * respecting backpressure, so the server itself stays small while the client faces an
 * endless stream. Resolves with the number of bytes written.
 */
export async function flood(peer: FakePeer, nextChunk: () => Buffer | null): Promise<number> {
  const socket = peer.socket;
  let written = 0;
  while (!socket.destroyed && socket.writable) {
    const chunk = nextChunk();
    if (chunk === null) break;
    written += chunk.length;
    if (!socket.write(chunk)) {
      await Promise.race([once(socket, 'drain'), once(socket, 'close')]).catch(() => undefined);
    }
  }
  return written;
}

/** Resolves when the client has closed its side (or the socket is gone). */
export async function clientGone(peer: FakePeer): Promise<void> {
  while ((await peer.readLine()) !== null);
}

export interface ResponderState {
  tls: boolean;
  /** Free for the script: e.g. the step of a multi-line AUTH exchange. */
  memory: Record<string, unknown>;
  /** The peer as it is now (inside TLS after STARTTLS): to close the connection mid-conversation. */
  peer: FakePeer;
  /** The TCP socket under any TLS: for `resetAndDestroy()`, which TLS sockets do not support. */
  tcp: net.Socket;
}

export interface TlsResponderOptions {
  greeting?: string;
  /** Certificate and TLS options for STARTTLS (and implicit TLS). */
  tls: tls.TlsOptions;
  implicitTls?: boolean;
}

/**
 * Like startResponder, with state per connection and TLS on any certificate: `respond`
 * gets each command line (inside TLS too) and returns the reply (lines split on \n,
 * CRLF added) or null for silence. A 220 to STARTTLS starts TLS; QUIT closes.
 */
export function startTlsResponder(respond: (line: string, state: ResponderState) => string | null, options: TlsResponderOptions): Promise<FakeServer> {
  return startFakeServer(async (outer) => {
    let peer: FakePeer | null = outer;
    if (options.implicitTls) peer = await serveTls(outer, options.tls);
    if (!peer) return;
    const state: ResponderState = { tls: options.implicitTls ?? false, memory: {}, peer, tcp: outer.socket };
    peer.write(`${options.greeting ?? '220 fake.example.org ESMTP'}\r\n`);
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      if (peer !== outer) outer.received.push(line);
      if (/^QUIT/i.test(line)) {
        peer.write('221 2.0.0 Bye\r\n');
        peer.close();
        return;
      }
      const reply = respond(line, state);
      if (reply === null) continue;
      peer.write(reply.split('\n').map((part) => `${part}\r\n`).join(''));
      if (/^STARTTLS/i.test(line) && reply.startsWith('220') && !state.tls) {
        peer = await serveTls(peer, options.tls);
        if (!peer) return;
        state.tls = true;
        state.peer = peer;
      }
    }
  });
}

export type ServerStep = 'ehlo' | 'helo' | 'starttls' | 'auth' | 'auth-response' | 'mail' | 'rcpt' | 'data' | 'body' | 'dot' | 'rset' | 'other';

export interface SmtpResponderOptions {
  /** Keywords after the domain line of EHLO; default STARTTLS (plaintext only), AUTH PLAIN LOGIN, PIPELINING. */
  ehlo?: (state: ResponderState) => string[];
  user?: string;
  password?: string;
  /** Return a reply to replace the default, null for silence, undefined for the default. */
  override?: (step: ServerStep, line: string, state: ResponderState) => string | null | undefined;
}

/**
 * A respond function for startTlsResponder that behaves like a good submission
 * server (AUTH PLAIN and LOGIN against one user, a whole mail transaction), so that a
 * test states only the one way its server misbehaves, through `override`.
 */
export function smtpResponder(options: SmtpResponderOptions = {}): (line: string, state: ResponderState) => string | null {
  const user = options.user ?? 'john@example.org';
  const password = options.password ?? 'summersun';
  const plainBlob = Buffer.from(`\0${user}\0${password}`).toString('base64');
  const keywords = options.ehlo ?? ((state: ResponderState) => [...(state.tls ? [] : ['STARTTLS']), 'AUTH PLAIN LOGIN', 'PIPELINING', '8BITMIME']);
  const classify = (line: string, state: ResponderState): ServerStep => {
    if (state.memory.inData) return line === '.' ? 'dot' : 'body';
    if (state.memory.login) return 'auth-response';
    const verb = line.split(' ')[0]!.toUpperCase();
    const steps: Record<string, ServerStep> = { EHLO: 'ehlo', HELO: 'helo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', RSET: 'rset' };
    return steps[verb] ?? 'other';
  };
  const standard = (step: ServerStep, line: string, state: ResponderState): string | null => {
    switch (step) {
      case 'ehlo':
        return ['fake.example.org', ...keywords(state)].map((text, index, all) => `250${index === all.length - 1 ? ' ' : '-'}${text}`).join('\n');
      case 'helo':
        return '250 fake.example.org';
      case 'starttls':
        return '220 2.0.0 Ready to start TLS';
      case 'auth': {
        const [, mechanism = '', initial] = line.split(' ');
        if (mechanism.toUpperCase() === 'PLAIN' && initial) return initial === plainBlob ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
        if (mechanism.toUpperCase() === 'PLAIN') {
          state.memory.login = 'plain';
          return '334 ';
        }
        if (mechanism.toUpperCase() === 'LOGIN') {
          state.memory.login = 'user';
          return '334 VXNlcm5hbWU6';
        }
        return '504 5.5.4 mechanism not supported';
      }
      case 'auth-response': {
        const decoded = Buffer.from(line, 'base64').toString('utf8');
        const stage = state.memory.login;
        if (line === '*' || stage === 'plain') {
          delete state.memory.login;
          if (line === '*') return '501 5.7.0 Authentication aborted';
          return line === plainBlob ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
        }
        if (stage === 'user') {
          state.memory.login = 'password';
          state.memory.loginUser = decoded;
          return '334 UGFzc3dvcmQ6';
        }
        const ok = state.memory.loginUser === user && decoded === password;
        delete state.memory.login;
        return ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
      }
      case 'mail':
        return '250 2.1.0 Ok';
      case 'rcpt':
        return '250 2.1.5 Ok';
      case 'data':
        return '354 End data with <CR><LF>.<CR><LF>';
      case 'body':
        return null;
      case 'dot':
        return '250 2.0.0 Ok: queued as 4XyZ1';
      case 'rset':
        return '250 2.0.0 Ok';
      default:
        return '502 5.5.2 Error: command not recognized';
    }
  };
  return (line, state) => {
    const step = classify(line, state);
    if (step === 'dot') state.memory.inData = false;
    const replaced = options.override?.(step, line, state);
    const reply = replaced !== undefined ? replaced : standard(step, line, state);
    if (step === 'data') state.memory.inData = reply?.startsWith('354') ?? false;
    return reply;
  };
}
