import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import type { ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * `send --quit-after data` stops once DATA is answered with 354, before any byte of
 * the message; `--quit-after dot` is the whole message. What went on the wire is
 * read from the fake server after the client has hung up, so nothing sent late can
 * be missed.
 */
const track = serverPool();

interface Recording {
  port: number;
  /** Every line the client sent, complete once the client has closed. */
  wire(): Promise<string[]>;
  /** The lines the server had received when it answered MAIL: more than MAIL itself means pipelining. */
  linesAtMail: string[];
}

async function recordingServer(override?: (step: ServerStep) => string | undefined, ehlo: (tls: boolean) => string[] = () => ['PIPELINING', '8BITMIME']): Promise<Recording> {
  let peer: FakePeer | null = null;
  const recording: Recording = { port: 0, wire: async () => [], linesAtMail: [] };
  const server = await track(
    startResponder(
      smtpResponder({
        ehlo: (state) => ehlo(state.tls),
        override: (step, _line, state) => {
          peer = state.peer;
          if (step === 'mail') recording.linesAtMail = [...state.peer.received];
          return override?.(step);
        },
      }),
    ),
  );
  recording.port = server.port;
  recording.wire = async () => {
    if (peer && !peer.socket.destroyed) await once(peer.socket, 'close');
    return server.connections[0] ?? [];
  };
  return recording;
}

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--subject', 'quit-after probe', '--timeout', '2', ...extra], { timeoutMs: 10_000 });

const verbs = (lines: string[]) => lines.map((line) => line.split(/[ :]/)[0]!.toUpperCase());

describe('send --quit-after data and dot', { concurrency: true }, () => {
  it('--quit-after data sends DATA, reads the 354, then closes without a byte of the message and exits 0', async () => {
    const server = await recordingServer();
    const result = await send(server.port, '--quit-after', 'data');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    const wire = await server.wire();
    assert.deepEqual(verbs(wire), ['EHLO', 'MAIL', 'RCPT', 'DATA'], 'nothing after DATA: no header, no body, no dot, no QUIT');
    assert.match(result.stdout, /<- {2}354 /);
    assert.match(result.stdout, /✔ stopped after the 354 to DATA as asked \(--quit-after data\): connection closed, message not sent/);
    assert.doesNotMatch(result.stdout, /accepted for/);
  });

  it('--quit-after data with --json reports the 354 and no final reply', async () => {
    const server = await recordingServer();
    const result = await send(server.port, '--quit-after', 'data', '--json');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    const document = JSON.parse(result.stdout);
    assert.equal(document.result.quitAfter, 'data');
    assert.equal(document.result.dataStart.code, 354);
    assert.equal(document.result.final, undefined);
    assert.ok(!(await server.wire()).includes('.'));
  });

  it('--quit-after data with --pipeline still sends MAIL alone and waits for its reply', async () => {
    const server = await recordingServer();
    const result = await send(server.port, '--quit-after', 'data', '--pipeline');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(server.linesAtMail), ['EHLO', 'MAIL']);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'MAIL', 'RCPT', 'DATA']);
  });

  it('--quit-after data with DATA refused exits 5 and says QUIT, since no message was started', async () => {
    const server = await recordingServer((step) => (step === 'data' ? '554 5.5.1 Error: no valid recipients' : undefined));
    const result = await send(server.port, '--quit-after', 'data');
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /DATA refused: 554 5\.5\.1/);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
  });

  it('--quit-after dot sends the whole message, then QUIT, and says it stopped after the end of data', async () => {
    const server = await recordingServer();
    const result = await send(server.port, '--quit-after', 'dot');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    const wire = await server.wire();
    assert.ok(wire.includes('Subject: quit-after probe'), 'the message went out');
    assert.deepEqual(wire.slice(-2), ['.', 'QUIT']);
    assert.match(result.stdout, /accepted for 1 of 1 recipient\(s\), queued as 4XyZ1 \(stopped after the end of data, as asked\)/);
  });
});

/** A server that lists STARTTLS in plaintext, as a submission port does. */
const withStartTls = (tls: boolean) => [...(tls ? [] : ['STARTTLS']), 'PIPELINING', '8BITMIME'];

describe('send --quit-after: the stop points before AUTH, with swaks\'s names', { concurrency: true }, () => {
  it('--quit-after tls stops right after the handshake: QUIT is the first line inside TLS, no EHLO', async () => {
    const server = await recordingServer(undefined, withStartTls);
    const result = await send(server.port, '--tls', '--tls-ca', demoCaFile(), '--quit-after', 'tls');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'STARTTLS', 'QUIT']);
    assert.match(result.stdout, /✔ stopped after tls as asked/);
  });

  it('--quit-after starttls (swaks) is the same stop as tls', async () => {
    const server = await recordingServer(undefined, withStartTls);
    const result = await send(server.port, '--tls', '--tls-ca', demoCaFile(), '--quit-after', 'starttls', '--json');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'STARTTLS', 'QUIT']);
    assert.equal(JSON.parse(result.stdout).result.quitAfter, 'tls');
  });

  it('--quit-after ehlo with --tls is the EHLO inside TLS: EHLO, STARTTLS, EHLO, QUIT', async () => {
    const server = await recordingServer(undefined, withStartTls);
    const result = await send(server.port, '--tls', '--tls-ca', demoCaFile(), '--quit-after', 'ehlo');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
  });

  it('--quit-after helo (swaks) is ehlo, with --tls-optional too', async () => {
    const server = await recordingServer(undefined, withStartTls);
    const result = await send(server.port, '--tls-optional', '--tls-ca', demoCaFile(), '--quit-after', 'helo');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
  });

  for (const name of ['first-ehlo', 'first-helo']) {
    it(`--quit-after ${name} stops after the EHLO before STARTTLS`, async () => {
      const server = await recordingServer(undefined, withStartTls);
      const result = await send(server.port, '--tls', '--tls-ca', demoCaFile(), '--quit-after', name);
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.deepEqual(verbs(await server.wire()), ['EHLO', 'QUIT']);
    });
  }

  it('--quit-after tls without TLS stops after the one EHLO', async () => {
    const server = await recordingServer();
    const result = await send(server.port, '--quit-after', 'tls');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.deepEqual(verbs(await server.wire()), ['EHLO', 'QUIT']);
  });

  for (const [name, expected] of [
    ['banner', ['QUIT']],
    ['connect', ['QUIT']],
    ['from', ['EHLO', 'MAIL', 'QUIT']],
    ['to', ['EHLO', 'MAIL', 'RCPT', 'QUIT']],
  ] as const) {
    it(`--quit-after ${name} sends exactly ${expected.join(', ')}`, async () => {
      const server = await recordingServer();
      const result = await send(server.port, '--quit-after', name);
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.deepEqual(verbs(await server.wire()), expected);
    });
  }

  it('an unknown stop point is a usage error that lists the swaks names too, with nothing sent', async () => {
    const result = await send(1, '--quit-after', 'xyzzy');
    assert.equal(result.code, ExitCode.usage);
    assert.match(result.stderr, /--quit-after xyzzy is not a step/);
    assert.match(result.stderr, /first-helo/);
  });
});
