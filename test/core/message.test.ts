import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { encodedWords, mergeHeaders } from '../../src/core/header-fields.js';
import { parseMailboxList } from '../../src/core/mailbox-list.js';
import { base64EncodedSize, buildMessage, mimeTypeFor } from '../../src/core/message.js';

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts);
}

/** The header section of a built message: its physical lines, and each field unfolded (RFC 5322 §2.2.3). */
async function headerSection(message: { chunks(): AsyncIterable<Buffer> }): Promise<{ lines: string[]; fields: string[] }> {
  const text = (await collect(message.chunks())).toString('utf8');
  const block = text.slice(0, text.indexOf('\r\n\r\n'));
  return { lines: block.split('\r\n'), fields: block.split(/\r\n(?![ \t])/).map((field) => field.replace(/\r\n/g, '')) };
}

/** RFC 2047 §6.2: adjacent encoded-words are joined without the whitespace between them. */
const decodeWords = (value: string) =>
  value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_word, data: string) => Buffer.from(data, 'base64').toString('utf8'));

const fieldValue = (fields: string[], name: string) => fields.find((field) => field.startsWith(`${name}: `))!.slice(name.length + 2);

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
    const merged = mergeHeaders([['Subject', 'a', '--subject'], ['From', 'x', '--from']], ['subject: b', 'X-Test: 1'], '--header');
    assert.deepEqual(merged, [['subject', 'b', '--header'], ['From', 'x', '--from'], ['X-Test', '1', '--header']]);
  });

  it('refuses a header with a line break (header injection)', () => {
    assert.throws(() => mergeHeaders([], ['X-A: 1\r\nBcc: victim@example.net']), /CR, LF or NUL/);
  });

  it('encodes a non-ASCII subject as an RFC 2047 encoded-word', async () => {
    assert.deepEqual(encodedWords('Grüße'), ['=?UTF-8?B?R3LDvMOfZQ==?=']);
    const { fields } = await headerSection(buildMessage({ from: 'a@example.org', to: ['b@example.org'], subject: 'Grüße', messageIdDomain: 'h.example' }));
    assert.ok(fields.includes('Subject: =?UTF-8?B?R3LDvMOfZQ==?='));
  });

  it('splits long non-ASCII text into encoded-words of at most 75 characters, never inside a character', () => {
    const text = `${'€'.repeat(100)}${'😀'.repeat(30)}ü`;
    const words = encodedWords(text);
    assert.ok(words.length > 1);
    for (const word of words) {
      assert.ok(word.length <= 75, `${word.length}-character encoded-word`);
      const bytes = Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(word)![1]!, 'base64');
      assert.ok(!bytes.toString('utf8').includes('\uFFFD'), 'a character split across words');
    }
    assert.equal(decodeWords(words.join(' ')), text);
  });

  it('folds a long subject at whitespace into lines of at most 78 octets that unfold to the subject', async () => {
    const subject = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');
    const { lines, fields } = await headerSection(buildMessage({ from: 'a@example.org', to: ['b@example.org'], subject, messageIdDomain: 'h.example' }));
    assert.ok(lines.filter((line) => /^[ \t]/.test(line)).length >= 3, 'folded onto continuation lines');
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 78, `line of ${Buffer.byteLength(line)} octets: ${line}`);
    assert.equal(fieldValue(fields, 'Subject'), subject);
  });

  it('turns a subject word too long for a 998-octet line into encoded-words on lines of at most 78 octets', async () => {
    const subject = `see ${'x'.repeat(2000)} end`;
    const { lines, fields } = await headerSection(buildMessage({ from: 'a@example.org', to: ['b@example.org'], subject, messageIdDomain: 'h.example' }));
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 78, `line of ${Buffer.byteLength(line)} octets`);
    assert.equal(decodeWords(fieldValue(fields, 'Subject')), subject);
  });

  it('encodes a non-ASCII X- header, and leaves a non-ASCII Keywords header as UTF-8 in a message marked 8-bit', async () => {
    const message = buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: ['X-Note: Grüße', 'Keywords: Grüße'], messageIdDomain: 'h.example' });
    const { fields } = await headerSection(message);
    assert.ok(fields.includes('X-Note: =?UTF-8?B?R3LDvMOfZQ==?='));
    assert.ok(fields.includes('Keywords: Grüße'));
    assert.equal(message.eightBit, true);
  });

  it('refuses, as a usage error naming where the header came from (the CLI: --header), a structured header with a word too long for a 998-octet line', () => {
    assert.throws(
      () => buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: [`Reply-To: <${'a'.repeat(1000)}@example.org>`], messageIdDomain: 'h.example' }),
      (error: unknown) => error instanceof UsageError && /^a header: the Reply-To header cannot be written in lines of at most 998 octets/.test(error.message),
      'core knows no flags: without labels it names the input plainly',
    );
    assert.throws(
      () => buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: [`Reply-To: <${'a'.repeat(1000)}@example.org>`], messageIdDomain: 'h.example', labels: { header: '--header' } }),
      (error: unknown) => error instanceof UsageError && /^--header: the Reply-To header cannot be written in lines of at most 998 octets/.test(error.message),
    );
    assert.throws(
      () => buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: [`Keywords: ${'k'.repeat(1000)}`], messageIdDomain: 'h.example', labels: { header: '--header' } }),
      (error: unknown) => error instanceof UsageError && /^--header: the Keywords header cannot be written/.test(error.message),
    );
  });

  it('names the input an unwritable address came from, by the label the caller gives', () => {
    assert.throws(
      () => buildMessage({ from: 'a@example.org', to: [`${'b'.repeat(1000)}@example.org`], messageIdDomain: 'h.example', labels: { to: '--to' } }),
      (error: unknown) => error instanceof UsageError && /^--to: the To header cannot be written/.test(error.message),
    );
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

  it('quotes attachment names and escapes " and \\ in them (RFC 2045 quoted-string)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-msg-'));
    const path = join(dir, 'say "hi" \\ now.txt');
    writeFileSync(path, 'x');
    const text = (await collect(buildMessage({ from: 'a@example.org', to: ['b@example.org'], attachments: [path], messageIdDomain: 'h.example' }).chunks())).toString();
    assert.match(text, /Content-Type: text\/plain; name="say \\"hi\\" \\\\ now\.txt"\r\n/);
    assert.match(text, /Content-Disposition: attachment; filename="say \\"hi\\" \\\\ now\.txt"\r\n/);
  });

  it('gives a non-ASCII attachment name as an RFC 2231 utf-8 parameter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-msg-'));
    const path = join(dir, "Grüße (2026)'s.txt");
    writeFileSync(path, 'x');
    const text = (await collect(buildMessage({ from: 'a@example.org', to: ['b@example.org'], attachments: [path], messageIdDomain: 'h.example' }).chunks())).toString();
    assert.match(text, /Content-Type: text\/plain; name\*=utf-8''Gr%C3%BC%C3%9Fe%20%282026%29%27s\.txt\r\n/);
    assert.match(text, /Content-Disposition: attachment;\s+filename\*=utf-8''Gr%C3%BC%C3%9Fe%20%282026%29%27s\.txt\r\n/);
  });

  it('folds a long attachment header between parameters, never inside the quoted file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-msg-'));
    const fileName = `${'annual report '.repeat(12)}final.txt`;
    const path = join(dir, fileName);
    writeFileSync(path, 'x');
    const text = (await collect(buildMessage({ from: 'a@example.org', to: ['b@example.org'], attachments: [path], messageIdDomain: 'h.example' }).chunks())).toString();
    assert.ok(text.split('\r\n').includes(` filename="${fileName}"`), 'the quoted name on one continuation line');
    assert.ok(text.split('\r\n').includes(` name="${fileName}"`));
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

describe('display names in address headers', () => {
  it('writes a non-ASCII display name as encoded-words and the address as given, in an all-ASCII header', async () => {
    const message = buildMessage({ from: 'Jörg Müller <joerg@example.org>', to: ['lisa@example.org'], messageIdDomain: 'h.example' });
    const { fields } = await headerSection(message);
    assert.equal(fieldValue(fields, 'From'), '=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.org>');
    assert.equal(decodeWords(fieldValue(fields, 'From')), 'Jörg Müller <joerg@example.org>');
    assert.equal(message.eightBit, false, 'nothing 8-bit left in the message');
  });

  it('leaves a name of atoms bare, quotes one with specials, and encodes a non-ASCII one, in one list', async () => {
    const to = ['Lisa Example <lisa@example.org>, John Q. Public <jqp@example.org>', '"Müller, Jörg" <jm@example.org>', 'plain@example.org'];
    const { fields } = await headerSection(buildMessage({ from: 'a@example.org', to, messageIdDomain: 'h.example' }));
    assert.equal(fieldValue(fields, 'To'), 'Lisa Example <lisa@example.org>, "John Q. Public" <jqp@example.org>, =?UTF-8?B?TcO8bGxlciwgSsO2cmc=?= <jm@example.org>, plain@example.org');
  });

  it('escapes " and \\ in a quoted display name, and keeps its spaces', async () => {
    const { fields } = await headerSection(buildMessage({ from: '"say \\"hi\\"  \\\\ now " <a@example.org>', to: ['b@example.org'], messageIdDomain: 'h.example' }));
    assert.equal(fieldValue(fields, 'From'), '"say \\"hi\\"  \\\\ now " <a@example.org>');
  });

  it('encodes the display names of a --header address field, and never the address', async () => {
    const message = buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: ['Reply-To: Jörg <jörg@example.org>', 'Cc: Zoë <z@example.org>, x@example.org'], messageIdDomain: 'h.example' });
    const { fields } = await headerSection(message);
    assert.ok(fields.includes('Reply-To: =?UTF-8?B?SsO2cmc=?= <jörg@example.org>'), 'a UTF-8 address stays UTF-8 (RFC 6532)');
    assert.ok(fields.includes('Cc: =?UTF-8?B?Wm/Dqw==?= <z@example.org>, x@example.org'));
    assert.equal(message.eightBit, true, 'the UTF-8 address is 8-bit content');
  });

  it('folds a long list of named recipients at 78 octets, between words and never inside an address', async () => {
    const to = Array.from({ length: 12 }, (_, index) => `Jürgen Großmann-Müller ${index} <user${index}@example.org>`);
    const { lines, fields } = await headerSection(buildMessage({ from: 'a@example.org', to, messageIdDomain: 'h.example' }));
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 78 && /^[\x20-\x7e]*$/.test(line), `line of ${Buffer.byteLength(line)} octets: ${line}`);
    assert.equal(decodeWords(fieldValue(fields, 'To')), to.join(', '));
  });

  it('encodes a quoted display name too long for one line instead of refusing it', async () => {
    const name = 'Sales, Marketing and Support '.repeat(40);
    const { lines, fields } = await headerSection(buildMessage({ from: `"${name}" <team@example.org>`, to: ['b@example.org'], messageIdDomain: 'h.example' }));
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 78, `line of ${Buffer.byteLength(line)} octets`);
    assert.equal(decodeWords(fieldValue(fields, 'From')), `${name} <team@example.org>`);
  });

  it('sends an ASCII address header it cannot take apart (a group) as given', async () => {
    const { fields } = await headerSection(buildMessage({ from: 'a@example.org', to: ['undisclosed-recipients:;'], messageIdDomain: 'h.example' }));
    assert.ok(fields.includes('To: undisclosed-recipients:;'));
  });

  it('refuses, naming --header, a non-ASCII address header that is not a list of mailboxes', () => {
    assert.throws(
      () => buildMessage({ from: 'a@example.org', to: ['b@example.org'], headers: ['To: Freunde: jörg@example.org;'], messageIdDomain: 'h.example', labels: { header: '--header' } }),
      (error: unknown) => error instanceof UsageError && /^--header: the To header is not a list of addresses/.test(error.message),
    );
  });
});

describe('parseMailboxList', () => {
  it('splits at commas outside quoted-strings and angle brackets, and skips empty items', () => {
    assert.deepEqual(parseMailboxList('"Müller, Jörg" <jm@example.org>,, <"odd,local"@example.org> , plain@example.org,'), [
      { name: 'Müller, Jörg', address: 'jm@example.org' },
      { name: null, address: '"odd,local"@example.org' },
      { name: null, address: 'plain@example.org' },
    ]);
  });

  it('takes the phrase as its text: quoted-strings unescaped, words joined by one space', () => {
    assert.deepEqual(parseMailboxList('John   "Q. \\"Quiet\\""  Public <jqp@example.org>'), [{ name: 'John Q. "Quiet" Public', address: 'jqp@example.org' }]);
    assert.deepEqual(parseMailboxList('postmaster'), [{ name: null, address: 'postmaster' }]);
    assert.deepEqual(parseMailboxList('user@[192.0.2.1]'), [{ name: null, address: 'user@[192.0.2.1]' }]);
  });

  it('returns null for groups, comments, stray text and unclosed quotes or brackets', () => {
    for (const text of ['friends: a@example.org;', 'a@example.org (Anna)', 'Anna a@example.org', '"Anna <a@example.org>', 'Anna <a@example.org', 'Anna <a@example.org> x', 'Anna <>']) {
      assert.equal(parseMailboxList(text), null, text);
    }
  });
});
