import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { establishSession } from '../../src/core/establish.js';
import { Transcript } from '../../src/core/transcript.js';
import type { FakeServer } from './fake-smtp-server.js';
import { ehloLines, startResponder } from './fake-smtp-server.js';

const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((server) => server.close())));

const options = (port: number) => ({
  host: '127.0.0.1',
  port,
  heloName: 'client.example.com',
  transcript: new Transcript(),
  tlsMode: 'none' as const,
  timeouts: { connectMs: 2000, greetingMs: 1000, commandMs: 1000, dataMs: 1000 },
});

describe('session features', () => {
  it('speaks LHLO for --protocol lmtp', async () => {
    const server = await startResponder((line) => (/^LHLO /i.test(line) ? ehloLines(['PIPELINING']) : '500 5.5.1 say LHLO'));
    servers.push(server);
    const session = await establishSession({ ...options(server.port), protocol: 'lmtp' });
    assert.equal(session.capabilities!.pipelining, true);
    await session.quit();
    assert.equal(server.connections[0]![0], 'LHLO client.example.com');
  });

  it('pipelines MAIL, RCPT and DATA in one batch and reads one reply each, in order (RFC 2920)', async () => {
    const server = await startResponder((line) => {
      if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
      if (/^MAIL/i.test(line)) return '250 2.1.0 Ok';
      if (/^RCPT TO:<bad/i.test(line)) return '550 5.1.1 unknown';
      if (/^RCPT/i.test(line)) return '250 2.1.5 Ok';
      if (/^DATA/i.test(line)) return '354 go';
      return null;
    });
    servers.push(server);
    const session = await establishSession(options(server.port));
    const replies = await session.pipeline([
      { line: 'MAIL FROM:<a@example.org>', step: 'mail' },
      { line: 'RCPT TO:<good@example.org>', step: 'rcpt' },
      { line: 'RCPT TO:<bad@example.org>', step: 'rcpt' },
      { line: 'DATA', step: 'data' },
    ]);
    assert.deepEqual(replies.map((reply) => reply.code), [250, 250, 550, 354]);
    session.close();
  });
});
