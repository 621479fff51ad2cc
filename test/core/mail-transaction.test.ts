import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { establishSession } from '../../src/core/establish.js';
import { sendMail } from '../../src/core/mail-transaction.js';
import { queueIdOf } from '../../src/core/queue-id.js';
import type { Reply } from '../../src/core/reply.js';
import { ReplyReader } from '../../src/core/reply-reader.js';
import { Transcript } from '../../src/core/transcript.js';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';

function received(line: string): Reply {
  const reader = new ReplyReader();
  reader.push(Buffer.from(`${line}\r\n`));
  return reader.shift()!;
}

describe('queueIdOf', () => {
  it("reads Postfix's and Exim's forms", () => {
    assert.equal(queueIdOf(received('250 2.0.0 Ok: queued as 4Xyz1234AB')), '4Xyz1234AB');
    assert.equal(queueIdOf(received('250 OK id=1tXyZa-000123-AB')), '1tXyZa-000123-AB');
  });
  it('guesses no id from a reply that names none', () => {
    assert.equal(queueIdOf(received('250 2.0.0 Message accepted for delivery')), null);
  });
});

const servers: FakeServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

/** A server that answers each command by its verb; `odd` maps a verb (or the end of data, ".") to another reply. */
async function server(keywords: string[], odd: Record<string, string> = {}): Promise<FakeServer> {
  let inData = false;
  const started = await startResponder((line) => {
    if (inData) {
      if (line !== '.') return null;
      inData = false;
      return odd['.'] ?? '250 OK id=1tXyZa-000123-AB';
    }
    const verb = line.split(/[ :]/)[0]!.toUpperCase();
    if (verb === 'EHLO') return ehloLines(keywords);
    if (verb === 'DATA' && !odd.DATA) inData = true;
    return odd[verb] ?? (verb === 'DATA' ? '354 go ahead' : line.startsWith('RCPT TO:<nobody') ? '550 5.1.1 no such user' : '250 2.0.0 Ok');
    // Strict like Exim: input sent early outside RFC 2920's groups ends the session.
  }, { strict: true });
  servers.push(started);
  return started;
}

const options = (port: number) => ({ host: '127.0.0.1', port, heloName: 'client.example', tlsMode: 'none' as const, transcript: new Transcript() });
const body = () => [Buffer.from('Subject: t\r\n\r\nbody\r\n')];

describe('sendMail: one transaction, the same rules for every caller', () => {
  it('any 2yz to MAIL and RCPT is an acceptance, and the queue id comes from the final reply', async () => {
    const fake = await server([], { MAIL: '220 2.1.0 odd but positive', RCPT: '251 2.1.5 will forward' });
    const session = await establishSession(options(fake.port));
    const result = await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org'], message: body });
    assert.equal(result.outcome, 'sent');
    assert.equal(result.delivered.length, 1);
    assert.equal(result.queueId, '1tXyZa-000123-AB');
    await session.quit();
  });

  it('a refused recipient among accepted ones is reported, and the message goes to the others', async () => {
    const fake = await server(['PIPELINING']);
    const session = await establishSession(options(fake.port));
    const result = await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org', 'nobody@example.org'], message: body, pipeline: true });
    assert.equal(result.pipelined, true);
    assert.equal(result.outcome, 'sent');
    assert.deepEqual(result.recipients.map((recipient) => recipient.accepted), [true, false]);
    assert.deepEqual(result.delivered.map((recipient) => recipient.address), ['b@example.org']);
    await session.quit();
  });

  it('no recipient accepted after a pipelined 354: the empty message is ended before anything else, and nothing is delivered', async () => {
    const fake = await server(['PIPELINING']);
    const session = await establishSession(options(fake.port));
    const result = await sendMail(session, { from: 'a@example.net', recipients: ['nobody@example.org'], message: body, pipeline: true });
    assert.equal(result.outcome, 'recipients-refused');
    assert.ok(fake.connections[0]!.includes('.'), 'the end of data went out after the 354');
    await session.quit();
  });

  it('without PIPELINING listed the envelope goes one command at a time', async () => {
    const fake = await server([]);
    const session = await establishSession(options(fake.port));
    const result = await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org'], message: body, pipeline: true });
    assert.equal(result.pipelined, false);
    assert.equal(result.outcome, 'sent');
    await session.quit();
  });

  it('stops where asked with the transaction open, and a refused DATA or end of data is typed', async () => {
    const stopping = await server([]);
    let session = await establishSession(options(stopping.port));
    assert.equal((await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org'], message: body, stopAfter: 'rcpt' })).outcome, 'stopped');
    await session.quit();
    const refusing = await server([], { DATA: '554 5.5.1 no valid recipients' });
    session = await establishSession(options(refusing.port));
    assert.equal((await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org'], message: body })).outcome, 'data-refused');
    await session.quit();
    const rejecting = await server([], { '.': '550 5.7.1 content rejected' });
    session = await establishSession(options(rejecting.port));
    const rejected = await sendMail(session, { from: 'a@example.net', recipients: ['b@example.org'], message: body });
    assert.equal(rejected.outcome, 'message-refused');
    assert.equal(rejected.final?.code, 550);
    assert.deepEqual(rejected.delivered, []);
    assert.equal(rejected.queueId, null);
    await session.quit();
  });
});
