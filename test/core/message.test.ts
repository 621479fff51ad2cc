import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { base64EncodedSize, buildMessage, encodeHeaderText, mergeHeaders, mimeTypeFor } from '../../src/core/message.js';

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts);
}

describe('buildMessage', () => {
  it('writes Date, Message-ID, From, To and a Subject carrying the token', async () => {
    const message = buildMessage({ from: 'john@example.org', to: ['lisa@example.org'], messageIdDomain: 'client.example.com' }, new Date('2026-11-24T10:00:00Z'));
    const text = (await collect(message.chunks())).toString();
    assert.match(text, /^Date: Tue, 24 Nov 2026 10:00:00 \+0000\r\n/);
    assert.match(text, new RegExp(`Message-ID: <${message.token}@client\\.example\\.com>\\r\\n`));
    assert.match(text, /From: john@example\.org\r\nTo: lisa@example\.org\r\n/);
    assert.match(text, new RegExp(`Subject: smtpcheck test ${message.token}\\r\\n`));
    assert.match(text, new RegExp(`\\r\\n\\r\\n[^]*Token: ${message.token}`));
    assert.equal(message.size, Buffer.byteLength(text));
  });

  it('replaces a default header case-insensitively and appends new ones', () => {
    const merged = mergeHeaders([['Subject', 'a'], ['From', 'x']], ['subject: b', 'X-Test: 1']);
    assert.deepEqual(merged, [['subject', 'b'], ['From', 'x'], ['X-Test', '1']]);
  });

  it('refuses a header with a line break (header injection)', () => {
    assert.throws(() => mergeHeaders([], ['X-A: 1\r\nBcc: victim@example.net']), /CR, LF or NUL/);
  });

  it('encodes a non-ASCII subject as an RFC 2047 encoded-word', () => {
    assert.equal(encodeHeaderText('Grüße'), '=?UTF-8?B?R3LDvMOfZQ==?=');
    assert.equal(encodeHeaderText('plain'), 'plain');
  });

  it('attaches files as base64 MIME parts that decode to the original bytes, with an exact size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-msg-'));
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    writeFileSync(join(dir, 'data.bin'), binary);
    writeFileSync(join(dir, 'note.txt'), 'hello\n');
    const message = buildMessage({ from: 'a@example.org', to: ['b@example.org'], body: { kind: 'text', text: 'Body ü\r\n' }, attachments: [join(dir, 'data.bin'), join(dir, 'note.txt')], messageIdDomain: 'h.example' });
    const text = (await collect(message.chunks())).toString('utf8');
    assert.equal(message.size, Buffer.byteLength(text));
    assert.equal(message.eightBit, true);
    const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
    const parts = text.split(`--${boundary}`);
    assert.equal(parts.length, 5, 'preamble, text, two attachments, closing');
    const binaryPart = parts[2]!;
    assert.match(binaryPart, /Content-Type: application\/octet-stream; name="data\.bin"/);
    const encoded = binaryPart.split('\r\n\r\n')[1]!;
    assert.ok(encoded.split('\r\n').every((line) => line.length <= 76));
    assert.deepEqual(Buffer.from(encoded.replace(/\r\n/g, ''), 'base64'), binary);
    assert.match(parts[3]!, /Content-Type: text\/plain; name="note\.txt"/);
  });

  it('knows common MIME types and falls back to octet-stream', () => {
    assert.equal(mimeTypeFor('report.PDF'), 'application/pdf');
    assert.equal(mimeTypeFor('x.unknown'), 'application/octet-stream');
  });

  it('computes base64 size with a CRLF per 76-character line', () => {
    assert.equal(base64EncodedSize(57), 78);
    assert.equal(base64EncodedSize(58), 80 + 4);
    assert.equal(base64EncodedSize(0), 0);
  });
});
