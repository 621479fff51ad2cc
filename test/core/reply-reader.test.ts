import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import { MAX_REPLY_BYTES, MAX_REPLY_LINE, MAX_REPLY_LINES, ReplyReader } from '../../src/core/reply-reader.js';
import { classifyReply, replyMessage } from '../../src/core/reply.js';

function readAll(...chunks: string[]) {
  const reader = new ReplyReader();
  const replies = [];
  for (const chunk of chunks) {
    reader.push(Buffer.from(chunk, 'utf8'));
    for (let reply = reader.shift(); reply; reply = reader.shift()) replies.push(reply);
  }
  return { reader, replies };
}

describe('ReplyReader', () => {
  it('frames a multi-line EHLO reply that arrives one line per packet as one reply', () => {
    const { replies } = readAll('250-mail.example.org\r\n', '250-PIPELINING\r\n', '250 CHUNKING\r\n');
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.code, 250);
    assert.deepEqual(replies[0]!.lines, ['mail.example.org', 'PIPELINING', 'CHUNKING']);
  });

  it('frames a reply split in the middle of a line and of the CRLF', () => {
    const { replies } = readAll('25', '0 2.0.0 O', 'k\r', '\n');
    assert.equal(replies.length, 1);
    assert.deepEqual(replies[0]!.raw, ['250 2.0.0 Ok']);
  });

  it('counts pipelined replies that arrive in one packet', () => {
    const { replies } = readAll('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n');
    assert.deepEqual(replies.map((reply) => reply.code), [250, 250, 354]);
  });

  it('splits out the enhanced status code (RFC 3463)', () => {
    const { replies } = readAll('454 4.7.1 <r@example.net>: Relay access denied\r\n');
    assert.deepEqual(replies[0]!.enhanced, { class: 4, subject: 7, detail: 1, text: '4.7.1' });
    assert.equal(replyMessage(replies[0]!), '<r@example.net>: Relay access denied');
  });

  it('has no enhanced code when the text does not start with one', () => {
    const { replies } = readAll('220 mail.example.org ESMTP Postfix\r\n');
    assert.equal(replies[0]!.enhanced, null);
  });

  it('accepts a reply that is only a code, without text', () => {
    const { replies } = readAll('250\r\n');
    assert.equal(replies[0]!.code, 250);
    assert.deepEqual(replies[0]!.lines, ['']);
  });

  it('accepts bare LF line ends', () => {
    const { replies } = readAll('250-a\n250 b\n');
    assert.deepEqual(replies[0]!.lines, ['a', 'b']);
  });

  it('rejects mixed codes inside one multi-line reply (RFC 5321 §4.2.1)', () => {
    assert.throws(() => readAll('250-first\r\n550 second\r\n'), (error: unknown) => error instanceof ProtocolError && /mixed reply codes 250 and 550/.test(error.message));
  });

  it('rejects a line whose code is not three digits', () => {
    assert.throws(() => readAll('25 ok\r\n'), ProtocolError);
    assert.throws(() => readAll('HTTP/1.1 400 Bad Request\r\n'), ProtocolError);
    assert.throws(() => readAll('2500 ok\r\n'), ProtocolError);
  });

  it('stops buffering a line without CRLF at the limit and names it', () => {
    const reader = new ReplyReader();
    assert.throws(() => {
      for (let i = 0; i < 10; i += 1) reader.push(Buffer.alloc(MAX_REPLY_LINE / 4, 0x41));
    }, (error: unknown) => error instanceof ProtocolError && error.message.includes(String(MAX_REPLY_LINE)));
  });

  it('refuses a multi-line reply with more lines than the limit', () => {
    const reader = new ReplyReader();
    assert.throws(() => {
      for (let i = 0; i <= MAX_REPLY_LINES; i += 1) reader.push(Buffer.from('250-x\r\n'));
    }, (error: unknown) => error instanceof ProtocolError && error.message.includes(String(MAX_REPLY_LINES)));
  });

  it('stays failed after a protocol error', () => {
    const reader = new ReplyReader();
    assert.throws(() => reader.push(Buffer.from('garbage\r\n')));
    assert.throws(() => reader.push(Buffer.from('250 ok\r\n')), ProtocolError);
  });

  it('reports bytes left after the replies taken (STARTTLS injection detection)', () => {
    const reader = new ReplyReader();
    reader.push(Buffer.from('220 Ready\r\n250-example.org\r\n250 AUTH LOGIN\r\n'));
    assert.equal(reader.shift()!.code, 220);
    assert.equal(reader.hasUnconsumedInput(), true);
    assert.ok(reader.unconsumedByteCount() > 20);
  });

  it('reports nothing left when the reply was all there was', () => {
    const reader = new ReplyReader();
    reader.push(Buffer.from('220 2.0.0 Ready to start TLS\r\n'));
    reader.shift();
    assert.equal(reader.hasUnconsumedInput(), false);
  });

  it('classifies replies by first digit', () => {
    assert.equal(classifyReply(250), 'positive');
    assert.equal(classifyReply(354), 'intermediate');
    assert.equal(classifyReply(454), 'transient');
    assert.equal(classifyReply(554), 'permanent');
  });
});

describe('reply size bound', () => {
  it('refuses a reply of more than MAX_REPLY_BYTES, however its lines are cut', () => {
    const reader = new ReplyReader();
    const line = `250-${'x'.repeat(8000)}\r\n`;
    assert.throws(() => {
      for (let index = 0; index * line.length <= MAX_REPLY_BYTES; index += 1) reader.push(Buffer.from(line));
    }, new RegExp(`more than ${MAX_REPLY_BYTES} bytes`));
  });
});
