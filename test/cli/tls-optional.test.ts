import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, DEMO_TLS, serverPool } from '../fakes/hostile-peer.js';
import type { ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * `--tls-optional` is optional, as swaks's -tlso is: a STARTTLS the server lists but
 * refuses leaves the session in plaintext, a handshake that fails costs one new
 * plaintext connection; `--tls` refuses both. Credentials never follow in plaintext
 * without --allow-plaintext-auth. What went on the wire is read once every connection
 * the client opened has closed.
 */
const track = serverPool();

interface Recording {
  port: number;
  /** The lines of each connection, in accept order, once the client has closed them all. */
  connections(): Promise<string[][]>;
}

async function server(options: { starttls?: (line: string) => string | undefined; tls?: object } = {}): Promise<Recording> {
  const sockets = new Set<net.Socket>();
  const started = await track(
    startResponder(
      smtpResponder({
        override: (step: ServerStep, line, state) => {
          sockets.add(state.tcp);
          return step === 'starttls' ? options.starttls?.(line) : undefined;
        },
      }),
      { tls: { ...DEMO_TLS, ...options.tls } },
    ),
  );
  return {
    port: started.port,
    connections: async () => {
      await Promise.all([...sockets].filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close')));
      return started.connections;
    },
  };
}

const verbs = (lines: string[]) => lines.map((line) => line.split(/[ :]/)[0]!.toUpperCase());

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--tls-ca', demoCaFile(), '--timeout', '2', ...extra], { timeoutMs: 10_000 });

/** The server lists STARTTLS but cannot start it (Postfix without a readable key answers 454). */
const refusing = { starttls: () => '454 4.7.0 TLS not available due to local problem' };
/** The handshake fails: the server speaks only TLS 1.3, the client is held to 1.2. */
const failingHandshake = { tls: { minVersion: 'TLSv1.3' } };
const heldTo12 = ['--tls-max', 'TLSv1.2'];

describe('--tls-optional goes on without TLS; --tls does not', { concurrency: true }, () => {
  it('STARTTLS refused with 454: --tls-optional warns and sends the message in the same plaintext session', async () => {
    const fake = await server(refusing);
    const result = await send(fake.port, '--tls-optional');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout + result.stderr, /server refused STARTTLS: 454 .*; continuing in plaintext \(--tls-optional\)/);
    const connections = await fake.connections();
    assert.equal(connections.length, 1);
    assert.deepEqual(verbs(connections[0]!).slice(0, 4), ['EHLO', 'STARTTLS', 'MAIL', 'RCPT']);
    assert.deepEqual(connections[0]!.slice(-2), ['.', 'QUIT']);
  });

  it('STARTTLS refused with 454: --tls stops with exit 3 and sends nothing more than QUIT', async () => {
    const fake = await server(refusing);
    const result = await send(fake.port, '--tls');
    assert.equal(result.code, ExitCode.tls);
    assert.deepEqual((await fake.connections()).map(verbs), [['EHLO', 'STARTTLS', 'QUIT']]);
  });

  it('STARTTLS answered 421: --tls-optional does not go on, since the server is closing (exit 3)', async () => {
    const fake = await server({ starttls: () => '421 4.3.2 Service shutting down' });
    const result = await send(fake.port, '--tls-optional');
    assert.equal(result.code, ExitCode.tls);
    assert.ok(!(await fake.connections()).flat().some((line) => /^MAIL/.test(line)));
  });

  it('handshake fails: --tls-optional warns, reconnects once in plaintext without STARTTLS and sends the message', async () => {
    const fake = await server(failingHandshake);
    const result = await send(fake.port, '--tls-optional', ...heldTo12);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout + result.stderr, /TLS handshake failed.*; continuing in plaintext \(--tls-optional\)/);
    const connections = await fake.connections();
    assert.equal(connections.length, 2, 'one new connection, not more');
    assert.deepEqual(verbs(connections[0]!), ['EHLO', 'STARTTLS']);
    assert.deepEqual(verbs(connections[1]!).slice(0, 3), ['EHLO', 'MAIL', 'RCPT']);
    assert.deepEqual(connections[1]!.slice(-2), ['.', 'QUIT']);
  });

  it('handshake fails: --tls stops with exit 3 on the one connection', async () => {
    const fake = await server(failingHandshake);
    const result = await send(fake.port, '--tls', ...heldTo12);
    assert.equal(result.code, ExitCode.tls);
    assert.equal((await fake.connections()).length, 1);
  });

  it('STARTTLS refused with --auth-user: no AUTH in plaintext, exit 4, nothing after', async () => {
    const fake = await server(refusing);
    const result = await send(fake.port, '--tls-optional', '--auth-user', 'john@example.org', '--auth-password-file', '/dev/null');
    assert.equal(result.code, ExitCode.auth, result.stderr);
    const lines = (await fake.connections()).flat();
    assert.ok(!lines.some((line) => /^(AUTH|MAIL)/i.test(line)), lines.join(' | '));
  });

  it('handshake fails with --auth-user: the plaintext reconnection sends no AUTH either (exit 4)', async () => {
    const fake = await server(failingHandshake);
    const result = await send(fake.port, '--tls-optional', ...heldTo12, '--auth-user', 'john@example.org', '--auth-password-file', '/dev/null');
    assert.equal(result.code, ExitCode.auth, result.stderr);
    const lines = (await fake.connections()).flat();
    assert.ok(!lines.some((line) => /^(AUTH|MAIL)/i.test(line)), lines.join(' | '));
  });
});
