import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmtpConnection } from '../../src/core/connection.js';
import { ConnectError, ProtocolError, TimeoutError } from '../../src/core/errors.js';
import { Transcript } from '../../src/core/transcript.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { serverPool, SHORT_TIMEOUTS, sleep } from '../fakes/hostile-peer.js';

/**
 * SmtpConnection on its own (core/connection.ts): the reply ledger (one reply owed per
 * command, in order, RFC 5321 §4.2 and RFC 2920 §3.1), framing across TCP chunks, the
 * per-reply deadline, and the PROXY header a server answers as a command. The session
 * and the hostile-* files test the same connection through the layers above it.
 */
const track = serverPool();

const open = async (script: (peer: FakePeer) => Promise<void>, extra: { proxyHeader?: boolean } = {}) => {
  const server = await track(startFakeServer(script));
  return SmtpConnection.open({
    host: '127.0.0.1',
    port: server.port,
    timeouts: SHORT_TIMEOUTS,
    transcript: new Transcript(),
    ...(extra.proxyHeader ? { proxyHeader: { version: 1 as const, source: { address: '192.0.2.7', port: 40000 }, destination: { address: '127.0.0.1', port: server.port } } } : {}),
  });
};

/** Wait until the connection has ended itself (the surplus reply arrived and was judged), however slow a loaded machine is. */
async function ended(connection: SmtpConnection): Promise<void> {
  for (const started = performance.now(); connection.isOpen; await sleep(20)) {
    if (performance.now() - started > 10_000) throw new Error('the connection is still open 10 s later');
  }
}

describe('SmtpConnection', { concurrency: true }, () => {
  it('frames a multi-line reply that arrives in pieces, cut inside a line, as one reply', async () => {
    const connection = await open(async (peer) => {
      peer.write('220 fake.example.org ES');
      await sleep(30);
      peer.write('MTP\r\n');
      await peer.readLine();
      peer.write('250-fake.example.org\r\n250-PIPE');
      await sleep(30);
      peer.write('LINING\r\n250 SIZE 1000\r\n');
      await peer.readLine();
    });
    assert.equal((await connection.readReply('greeting', SHORT_TIMEOUTS.greetingMs)).lines[0], 'fake.example.org ESMTP');
    connection.sendLine('EHLO client.example', 'ehlo');
    const ehlo = await connection.readReply('ehlo', SHORT_TIMEOUTS.commandMs);
    assert.deepEqual([ehlo.code, ehlo.lines], [250, ['fake.example.org', 'PIPELINING', 'SIZE 1000']]);
    connection.destroy();
  });

  it('hands replies that arrive together to the commands that are owed them, in order (pipelining)', async () => {
    const connection = await open(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.readLine();
      await peer.readLine();
      peer.write('250 2.1.0 sender ok\r\n550 5.1.1 no such user\r\n');
      await peer.readLine();
    });
    await connection.readReply('greeting', SHORT_TIMEOUTS.greetingMs);
    connection.sendLine('MAIL FROM:<a@example.org>', 'mail');
    connection.sendLine('RCPT TO:<b@example.org>', 'rcpt');
    const [mail, rcpt] = [await connection.readReply('mail', SHORT_TIMEOUTS.commandMs), await connection.readReply('rcpt', SHORT_TIMEOUTS.commandMs)];
    assert.deepEqual([mail.code, rcpt.code], [250, 550]);
    connection.destroy();
  });

  it('a reply nobody asked for ends the conversation: it is never taken as the next command\'s answer', async () => {
    // (Arriving in the same chunk as the greeting, it fails the greeting's read itself: the session is broken either way.)
    const connection = await open(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await sleep(50);
      peer.write('250 2.0.0 surplus\r\n');
      await peer.readLine();
      peer.write('550 5.7.1 the real answer to MAIL\r\n');
    });
    await connection.readReply('greeting', SHORT_TIMEOUTS.greetingMs);
    await ended(connection);
    // The surplus has ended the conversation by the time the next command would go out.
    const mail = async () => {
      connection.sendLine('MAIL FROM:<a@example.org>', 'mail');
      return connection.readReply('mail', SHORT_TIMEOUTS.commandMs);
    };
    await assert.rejects(mail(), (error: unknown) => error instanceof ProtocolError && error.reason === 'unsolicited-reply');
    connection.destroy();
  });

  it('a reply that does not come within its deadline is a timeout naming the step', async () => {
    const connection = await open(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.readLine();
    });
    await connection.readReply('greeting', SHORT_TIMEOUTS.greetingMs);
    connection.sendLine('NOOP', 'command');
    await assert.rejects(connection.readReply('command', 200), (error: unknown) => error instanceof TimeoutError && error.step === 'command');
    connection.destroy();
  });

  it('a server that answers the PROXY header as a command after its greeting: proxy-refused, not a reply to what follows', async () => {
    const connection = await open(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.readLine();
      peer.write('502 5.5.2 Error: command not recognized\r\n');
      await peer.readLine();
    }, { proxyHeader: true });
    await connection.readReply('greeting', SHORT_TIMEOUTS.greetingMs);
    await ended(connection);
    const ehlo = async () => {
      connection.sendLine('EHLO client.example', 'ehlo');
      return connection.readReply('ehlo', SHORT_TIMEOUTS.commandMs);
    };
    await assert.rejects(ehlo(), (error: unknown) => error instanceof ConnectError && error.reason === 'proxy-refused');
    connection.destroy();
  });
});
