import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * send --xclient (Postfix's XCLIENT_README): sent after the EHLO that counts when the
 * server lists it, EHLO again after its 220; an unlisted command or attribute stops
 * the run with nothing more sent. The wire is read once the client has hung up.
 */
const track = serverPool();

async function server(options: { listed?: string | null; answer?: string } = {}) {
  const sockets = new Set<net.Socket>();
  const listed = options.listed === undefined ? 'XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT' : options.listed;
  const started = await track(
    startResponder(
      smtpResponder({
        ehlo: (state) => [...(state.tls ? [] : ['STARTTLS']), 'PIPELINING', ...(listed ? [listed] : [])],
        override: (step, line, state) => {
          sockets.add(state.tcp);
          if (step === 'other' && /^XCLIENT /i.test(line)) return options.answer ?? '220 fake.example.org ESMTP';
          return undefined;
        },
      }),
    ),
  );
  return {
    port: started.port,
    wire: async () => {
      await Promise.all([...sockets].filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close')));
      return started.connections.flat();
    },
  };
}

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', ...extra], { timeoutMs: 10_000 });
const verbs = (lines: string[]) => lines.map((line) => line.split(/[ :]/)[0]!.toUpperCase());

describe('send --xclient', { concurrency: true }, () => {
  it('sends XCLIENT after EHLO, EHLO again after its 220, then the transaction', async () => {
    const fake = await server();
    const result = await send(fake.port, '--xclient', 'ADDR=192.0.2.7 NAME=mail.example.net');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    const wire = await fake.wire();
    assert.deepEqual(verbs(wire).slice(0, 5), ['EHLO', 'XCLIENT', 'EHLO', 'MAIL', 'RCPT']);
    assert.equal(wire[1], 'XCLIENT ADDR=192.0.2.7 NAME=mail.example.net');
  });

  it('the named shortcuts add attributes, values as xtext ("+" is +2B)', async () => {
    const fake = await server();
    const result = await send(fake.port, '--xclient-addr', '192.0.2.7', '--xclient-login', 'a+b@example.org', '--quit-after', 'xclient');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    const wire = await fake.wire();
    assert.deepEqual(verbs(wire), ['EHLO', 'XCLIENT', 'QUIT']);
    assert.equal(wire[1], 'XCLIENT ADDR=192.0.2.7 LOGIN=a+2Bb@example.org');
  });

  it('--quit-after xclient-helo (swaks) stops after the EHLO that follows XCLIENT', async () => {
    const fake = await server();
    const result = await send(fake.port, '--xclient-addr', '192.0.2.7', '--quit-after', 'xclient-helo');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(verbs(await fake.wire()), ['EHLO', 'XCLIENT', 'EHLO', 'QUIT']);
  });

  it('with --tls, XCLIENT follows the EHLO inside TLS', async () => {
    const fake = await server();
    const result = await send(fake.port, '--tls', '--tls-ca', demoCaFile(), '--xclient-addr', '192.0.2.7', '--quit-after', 'xclient-ehlo');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(verbs(await fake.wire()), ['EHLO', 'STARTTLS', 'EHLO', 'XCLIENT', 'EHLO', 'QUIT']);
  });

  it('XCLIENT not listed: exit 5, a clear error, nothing sent after EHLO but QUIT', async () => {
    const fake = await server({ listed: null });
    const result = await send(fake.port, '--xclient-addr', '192.0.2.7');
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /server does not list XCLIENT to this client — .*smtpd_authorized_xclient_hosts/);
    assert.deepEqual(verbs(await fake.wire()), ['EHLO', 'QUIT']);
  });

  it('an attribute the server does not list: exit 5 before XCLIENT is sent', async () => {
    const fake = await server({ listed: 'XCLIENT NAME ADDR' });
    const result = await send(fake.port, '--xclient', 'ADDR=192.0.2.7 LOGIN=john');
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /XCLIENT does not list LOGIN \(it lists NAME ADDR\)/);
    assert.deepEqual(verbs(await fake.wire()), ['EHLO', 'QUIT']);
  });

  it('XCLIENT refused (550 5.7.0): exit 5 with the reply, no MAIL', async () => {
    const fake = await server({ answer: '550 5.7.0 Error: insufficient authorization' });
    const result = await send(fake.port, '--xclient-addr', '192.0.2.7');
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /XCLIENT refused: 550 5\.7\.0/);
    assert.deepEqual(verbs(await fake.wire()), ['EHLO', 'XCLIENT', 'QUIT']);
  });

  for (const [flags, message] of [
    [['--xclient', 'ADDR'], /--xclient: "ADDR" is not NAME=VALUE/],
    [['--xclient', 'COLOR=blue'], /COLOR is not an XCLIENT attribute/],
    [['--xclient', 'ADDR=1 ADDR=2'], /ADDR is given twice/],
    [['--xclient', 'ADDR=192.0.2.7', '--xclient-addr', '192.0.2.8'], /ADDR is given twice/],
    [['--quit-after', 'xclient'], /--quit-after xclient needs --xclient/],
  ] as const) {
    it(`bad input (${flags.join(' ')}) is a one-line usage error before connecting`, async () => {
      const fake = await server();
      const result = await send(fake.port, ...flags);
      assert.equal(result.code, ExitCode.usage, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
      assert.deepEqual(await fake.wire(), []);
    });
  }
});
