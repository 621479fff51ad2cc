import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after } from 'node:test';
import type { FakeServer } from './fake-smtp-server.js';
import { acceptTls, FakePeer } from './fake-smtp-server.js';
import type { EstablishOptions } from '../../src/core/establish.js';
import { Transcript } from '../../src/core/transcript.js';
import { DEMO_CA_CERT_PEM, DEMO_SERVER_CERT_PEM, DEMO_SERVER_KEY_PEM } from '../../src/lab/demo-certificates.js';

/**
 * What the scripted fake server (fake-smtp-server.ts) lacks for hostile servers: TLS
 * with any certificate or TLS option, a reply dripped byte by byte, a flood that only
 * ends when the client hangs up, and a pool that closes every server after the file.
 */

/** The lab's demo identity (mail.example.org, localhost, 127.0.0.1), for fakes whose certificate is not the point. */
export const DEMO_TLS: tls.TlsOptions = { cert: DEMO_SERVER_CERT_PEM, key: DEMO_SERVER_KEY_PEM };

/**
 * Short limits, so that every silent server ends a test within a few seconds, yet long
 * enough that a loaded 2-core CI machine answers every step that is not the silent one
 * (0.5 s for a command was not: a loopback fake answered RCPT too late under load).
 */
export const SHORT_TIMEOUTS = { connectMs: 3000, greetingMs: 1500, commandMs: 1500, dataMs: 2500 };

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
 * and writes inside TLS (its `received` holds only the lines sent inside TLS; lines
 * end as they did before), or null when the client gave up on the handshake.
 */
export async function serveTls(peer: FakePeer, options: tls.TlsOptions): Promise<FakePeer | null> {
  const secure = await acceptTls(peer.socket, options);
  return secure ? new FakePeer(secure, [], peer.lineEnd) : null;
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
