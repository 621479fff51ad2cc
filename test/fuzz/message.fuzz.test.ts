import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/core/errors.js';
import { buildMessage } from '../../src/core/message.js';
import { RUNS } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-message-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts);
}

// RFC 5322 §2.2: field-name = printable ASCII except ":"; then the body, here on one line.
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+: [^\r\n\0]*$/;

/** RFC 2047 B-encoded words back to text, as a mail client shows the Subject. */
const decodeWords = (value: string) => value.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_word, data: string) => Buffer.from(data, 'base64').toString('utf8'));

const headerText = fc.string({ unit: 'grapheme', maxLength: 60 });
const spec = fc.record({
  subject: fc.option(fc.oneof(headerText, fc.constantFrom('a\r\nBcc: victim@example.net', 'x\n', 'nul\0'))),
  headers: fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('X-Test', 'Reply-To', 'Keywords', 'Bad Name', 'X:Colon'), fc.string({ maxLength: 12 })), fc.oneof(headerText, fc.constantFrom('1\r\nBcc: victim@example.net'))).map(([name, value]) => `${name}: ${value}`),
    { maxLength: 4 },
  ),
  body: fc.option(fc.string({ unit: 'grapheme', maxLength: 300 })),
  attachments: fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 3 }),
  to: fc.array(fc.emailAddress(), { minLength: 1, maxLength: 3 }),
});

let runNumber = 0;

describe('buildMessage under fuzzing', () => {
  it('either refuses the input as a usage error, or builds well-formed headers, attachments that decode to their bytes, and an exact size', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async ({ subject, headers, body, attachments, to }) => {
        runNumber += 1;
        const paths = attachments.map((bytes, index) => {
          const path = join(dir, `run${runNumber}-part${index}.bin`);
          writeFileSync(path, bytes);
          return path;
        });
        let message;
        try {
          message = buildMessage({ from: 'john@example.org', to, messageIdDomain: 'client.example.com', headers, attachments: paths, ...(subject !== null ? { subject } : {}), ...(body !== null ? { body: { kind: 'text', text: body } } : {}) });
        } catch (error) {
          assert.ok(error instanceof UsageError, `threw ${String(error)}`);
          const offending = [subject ?? '', ...headers].some((text) => /[\r\n\0]/.test(text)) || headers.some((header) => !/^[\x21-\x39\x3b-\x7e]+:/.test(header.trimStart()));
          assert.ok(offending, `refused acceptable input: ${error.message}`);
          return;
        }
        const bytes = await collect(message.chunks());
        if (message.size !== null) assert.equal(message.size, bytes.length, 'SIZE= would lie');
        const text = bytes.toString('utf8');
        const headerEnd = text.indexOf('\r\n\r\n');
        assert.ok(headerEnd > 0);
        const headerLines = text.slice(0, headerEnd).split('\r\n');
        for (const line of headerLines) assert.match(line, HEADER_LINE);
        const subjectOverridden = headers.some((header) => /^\s*subject\s*:/i.test(header));
        if (subject !== null && !subjectOverridden) {
          const shown = headerLines.find((line) => line.startsWith('Subject: '))!.slice('Subject: '.length);
          assert.equal(decodeWords(shown), subject);
        }
        if (body !== null) assert.ok(text.includes(body));
        if (paths.length > 0) {
          const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
          // Before the first delimiter: the headers; then the text part, the attachments, and the closing "--".
          const parts = text.split(`\r\n--${boundary}`).slice(2, -1);
          assert.equal(parts.length, paths.length);
          parts.forEach((part, index) => {
            const encoded = part.slice(part.indexOf('\r\n\r\n') + 4);
            for (const line of encoded.split('\r\n')) assert.ok(line.length <= 76, 'base64 line longer than 76 (RFC 2045 §6.8)');
            assert.deepEqual(new Uint8Array(Buffer.from(encoded.replace(/\r\n/g, ''), 'base64')), attachments[index]);
          });
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
