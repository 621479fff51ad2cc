import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { BenchOptions } from '../../src/bench/bench-runner.js';
import { runBench } from '../../src/bench/bench-runner.js';
import type { FakePeer, FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { ehloReply } from '../fakes/smtp-responder.js';

/**
 * `bench --pipeline` pipelines across transactions (RFC 2920 §3.1): what follows a
 * message's end of data (the next envelope, or QUIT) goes out before its verdict.
 * The fake server holds back its reply to each end of data for a while and notes
 * what the client sent meanwhile: a client waiting for the reply sends nothing.
 */
const TIMEOUTS = { connectMs: 5000, greetingMs: 5000, commandMs: 5000, dataMs: 5000 };
const HOLD_MS = 250;

interface SessionLog {
  /** For each message: the first line the client sent after "." while the reply was held back. */
  sentBeforeVerdict: (string | null)[];
}

/** A pipelining server; `afterMessage` may end the session after a message (return true). */
async function pipeliningServer(logs: SessionLog[], afterMessage: (peer: FakePeer, messages: number) => Promise<boolean> = async () => false): Promise<FakeServer> {
  return startFakeServer(async (peer) => {
    const log: SessionLog = { sentBeforeVerdict: [] };
    logs.push(log);
    peer.write('220 fake.example.org ESMTP\r\n');
    await peer.answer(ehloReply(['PIPELINING', 'SIZE 10000000']));
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      if (line.startsWith('QUIT')) {
        peer.write('221 2.0.0 Bye\r\n');
        peer.close();
        return;
      }
      if (!line.startsWith('MAIL')) throw new Error(`unexpected ${line}`);
      // The envelope comes as one group: answer it only once DATA has arrived.
      const rcpt = await peer.readLine();
      const data = await peer.readLine();
      assert.ok(rcpt?.startsWith('RCPT') && data === 'DATA');
      peer.write('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n');
      for (let body = await peer.readLine(); body !== '.'; body = await peer.readLine()) if (body === null) return;
      await sleep(HOLD_MS);
      // Only the end marker is a lone dot: the client dot-stuffs the body.
      log.sentBeforeVerdict.push(peer.received[peer.received.lastIndexOf('.') + 1] ?? null);
      peer.write('250 2.0.0 Ok: queued\r\n');
      if (await afterMessage(peer, log.sentBeforeVerdict.length)) return;
    }
  });
}

const options = (port: number, overrides: Partial<BenchOptions>): BenchOptions => ({
  session: { host: '127.0.0.1', port, heloName: 'bench.example', tlsMode: 'none', timeouts: TIMEOUTS },
  auth: null,
  from: 'load@example.net',
  to: ['john@example.org'],
  connections: 1,
  messages: 3,
  size: 600,
  reuse: true,
  pipeline: true,
  rate: null,
  ...overrides,
});

describe('bench pipelines across transactions', { timeout: 20_000 }, () => {
  const servers: FakeServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  it('with --reuse --pipeline, the next envelope goes out behind the end of data, before its verdict', async () => {
    const logs: SessionLog[] = [];
    const server = await pipeliningServer(logs);
    servers.push(server);
    const { stats } = await runBench(options(server.port, {}));
    assert.equal(stats.accepted, 3);
    assert.equal(stats.sessions, 1);
    // Messages 1 and 2 carried the next MAIL; the last one carried nothing (QUIT waits for the verdict).
    assert.deepEqual(logs[0]!.sentBeforeVerdict, ['MAIL FROM:<load@example.net> SIZE=600', 'MAIL FROM:<load@example.net> SIZE=600', null]);
    assert.equal(stats.latency('data').count, 3);
    assert.equal(stats.latency('mail').count, 3);
  });

  it('without --reuse, QUIT goes out behind the end of data: one session per message', async () => {
    const logs: SessionLog[] = [];
    const server = await pipeliningServer(logs);
    servers.push(server);
    const { stats } = await runBench(options(server.port, { reuse: false, connections: 2, messages: 4 }));
    assert.equal(stats.accepted, 4);
    assert.equal(stats.sessions, 4);
    assert.deepEqual(
      logs.map((log) => log.sentBeforeVerdict),
      [['QUIT'], ['QUIT'], ['QUIT'], ['QUIT']],
    );
  });

  it('with --rate, nothing goes out before the verdict: each message waits for its own start time', async () => {
    const logs: SessionLog[] = [];
    const server = await pipeliningServer(logs);
    servers.push(server);
    const { stats } = await runBench(options(server.port, { rate: 1000 }));
    assert.equal(stats.accepted, 3);
    assert.deepEqual(logs[0]!.sentBeforeVerdict, [null, null, null]);
  });

  it('counts every message exactly once when the server ends the session under a pipelined envelope', async () => {
    const logs: SessionLog[] = [];
    // Each session takes one message, then refuses the next MAIL with 421 and hangs up.
    const server = await pipeliningServer(logs, async (peer) => {
      await peer.readLine();
      peer.write('421 4.3.2 Service shutting down\r\n');
      peer.destroy();
      return true;
    });
    servers.push(server);
    const { stats } = await runBench(options(server.port, { messages: 5 }));
    assert.equal(stats.attempted, 5);
    assert.equal(stats.accepted + stats.refused + stats.failed, 5);
    // Sessions alternate: one message accepted, the next one's envelope refused with the hang-up.
    assert.equal(stats.accepted, 3);
    assert.equal(logs.length, 3);
  });
});
