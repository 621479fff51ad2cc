import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { establishSession } from '../../src/core/establish.js';
import { ReplyError } from '../../src/core/errors.js';
import { hintFor } from '../../src/outcome/error-hints.js';
import { Transcript } from '../../src/core/transcript.js';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';

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
  it('keeps its own state for lines sent raw (the REPL): EHLO, MAIL, RSET and AUTH through noteRawReply; EHLO ends a transaction', async () => {
    const server = await startResponder((line) => {
      if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING', 'SIZE 1000']);
      if (/^(MAIL|RSET)/i.test(line)) return '250 2.0.0 Ok';
      if (/^AUTH/i.test(line)) return '235 2.7.0 Authentication successful';
      return null;
    });
    servers.push(server);
    const session = await establishSession(options(server.port));
    const raw = async (line: string, user?: string) => session.noteRawReply(line.split(' ')[0]!.toUpperCase(), await session.command(line), user);
    await raw('MAIL FROM:<a@example.com>');
    assert.equal(session.inTransaction, true);
    await raw('RSET');
    assert.equal(session.inTransaction, false);
    await raw('MAIL FROM:<a@example.com>');
    await session.hello();
    assert.equal(session.inTransaction, false, 'RFC 5321 §4.1.4: EHLO ends the transaction');
    await raw('EHLO again.example.com');
    assert.equal(session.capabilities!.size, 1000);
    await raw('AUTH PLAIN AGpvaG4AcGFzcw==', 'john');
    assert.equal(session.authenticatedAs, 'john');
    await session.quit();
  });

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

  /** An LMTP server (RFC 2033 §4.2): after the message, one verdict per accepted recipient, in RCPT order. */
  const lmtpServer = (verdicts: Record<string, string>) => {
    const accepted: string[] = [];
    return startResponder((line) => {
      if (/^LHLO/i.test(line)) return ehloLines(['PIPELINING', 'CHUNKING']);
      if (/^MAIL/i.test(line)) return '250 2.1.0 Ok';
      const rcpt = /^RCPT TO:<(.*)>/i.exec(line);
      if (rcpt) {
        if (rcpt[1]!.startsWith('unknown')) return '550 5.1.1 unknown user';
        accepted.push(rcpt[1]!);
        return '250 2.1.5 Ok';
      }
      if (/^DATA/i.test(line)) return '354 go';
      if (/^RSET/i.test(line)) return '250 2.0.0 Ok';
      if (line === '.' || /^BDAT \d+ LAST/i.test(line)) return accepted.splice(0).map((address) => verdicts[address] ?? '250 2.0.0 delivered').join('\n');
      return null;
    });
  };

  it('LMTP: reads one verdict per accepted recipient after the message, and returns the first refusal', async () => {
    const server = await lmtpServer({ 'full@example.org': '452 4.2.2 Mailbox full' });
    servers.push(server);
    const session = await establishSession({ ...options(server.port), protocol: 'lmtp' });
    await session.mailFrom('a@example.org');
    for (const address of ['john@example.org', 'unknown@example.org', 'full@example.org', 'lisa@example.org']) await session.rcptTo(address);
    const verdict = await session.data([Buffer.from('Subject: t\r\n\r\nhi\r\n')]);
    assert.equal(verdict.code, 452);
    assert.deepEqual(session.messageReplies.map((reply) => reply.code), [250, 452, 250]);
    // No verdict is left over to be taken for the answer to the next command.
    assert.equal((await session.reset()).code, 250);
    await session.quit();
  });

  it('LMTP: pipelined envelopes and BDAT LAST get one verdict per recipient too', async () => {
    const server = await lmtpServer({});
    servers.push(server);
    const session = await establishSession({ ...options(server.port), protocol: 'lmtp' });
    const { recipients } = await session.pipelineEnvelope('a@example.org', [], ['john@example.org', 'lisa@example.org']);
    assert.deepEqual(recipients.map((reply) => reply.code), [250, 250]);
    assert.equal((await session.sendMessageBody([Buffer.from('Subject: t\r\n\r\nhi\r\n')])).code, 250);
    assert.equal(session.messageReplies.length, 2);
    await session.mailFrom('a@example.org');
    for (const address of ['john@example.org', 'lisa@example.org', 'unknown@example.org']) await session.rcptTo(address);
    assert.equal((await session.bdat([Buffer.from('Subject: t\r\n\r\nhi\r\n')])).code, 250);
    assert.equal(session.messageReplies.length, 2);
    assert.equal((await session.reset()).code, 250);
    await session.quit();
  });

  it('a refused LHLO is reported as LHLO, with an LMTP hint', async () => {
    const server = await startResponder(() => '500 5.5.1 command unrecognized');
    servers.push(server);
    await assert.rejects(establishSession({ ...options(server.port), protocol: 'lmtp' }), (error: Error) => {
      assert.ok(error instanceof ReplyError);
      assert.match(error.message, /^LHLO refused: 500/);
      assert.match(hintFor(error) ?? '', /LMTP/);
      return true;
    });
  });

  it('refuses a command line with a CR or LF where it is written, whatever let it through: nothing reaches the server', async () => {
    const server = await startResponder((line) => (/^EHLO/i.test(line) ? ehloLines(['PIPELINING']) : '250 2.0.0 Ok'));
    servers.push(server);
    const session = await establishSession(options(server.port));
    await assert.rejects(session.mailFrom('a@example.org', ['X-PARAM=1\r\nRCPT TO:<victim@example.net>']), /the MAIL command line contains a CR, LF or NUL character/);
    await session.quit();
    assert.ok(!server.connections[0]!.some((line) => /^(MAIL|RCPT)/.test(line)), server.connections[0]!.join('\n'));
  });
});
