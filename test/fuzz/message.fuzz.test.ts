import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

// RFC 5322 §2.2: field-name = printable ASCII except ":"; then the body, once unfolded on one line.
const HEADER_FIELD = /^[\x21-\x39\x3b-\x7e]+: [^\r\n\0]*$/;
// RFC 5322 §2.1.1, without the CRLF.
const MAX_LINE_OCTETS = 998;
// Words at least this long may not fit on a 998-octet line; all others do with room to spare.
const LONG_WORD = 900;
// Where encoded-words may stand for the whole value (RFC 2047 §5 (1)).
const UNSTRUCTURED = /^(?:subject|comments|x-.*)$/i;
// Fields holding mailboxes, whose display names the builder writes itself (RFC 5322 §3.6.2, §3.6.3).
const ADDRESS = /^(?:(?:resent-)?(?:from|sender|to|cc|bcc)|reply-to)$/i;
// A display name the user may type without quotes: words without specials, one space between them.
const UNQUOTED_NAME = /^[^\s"()<>[\]:;@\\,]+(?: [^\s"()<>[\]:;@\\,]+)*$/;

/** RFC 2047 B-encoded words back to text, as a mail client shows them: adjacent words join without the space between (§6.2). */
const decodeWords = (value: string) =>
  value.replace(/\?=[ \t]+=\?/g, '?==?').replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_word, data: string) => Buffer.from(data, 'base64').toString('utf8'));

/** The physical lines of a header section, and its fields unfolded (RFC 5322 §2.2.3). */
function headerSection(block: string): { lines: string[]; fields: string[] } {
  return { lines: block.split('\r\n'), fields: block.split(/\r\n(?![ \t])/).map((field) => field.replace(/\r\n/g, '')) };
}

/** The file name a reader gets from a Content-Disposition field: quoted-string (RFC 2045) or RFC 2231 utf-8''. */
function fileNameOf(field: string): string {
  const quoted = /filename="((?:[^"\\]|\\.)*)"/.exec(field);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  return decodeURIComponent(/filename\*=utf-8''([^\s;]*)/.exec(field)![1]!);
}

// RFC 5322 §3.2.4 quoted-string, RFC 2047 encoded-words separated by spaces, RFC 5322 §3.2.3 atoms.
const QUOTED_STRING = /^"(?:[^"\\]|\\.)*"$/;
const ENCODED_WORDS = /^=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=(?: =\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=)*$/;
const ATOMS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * The display names of an unfolded address field, as a mail client shows them
 * (null for a bare address): a quoted-string unescaped, encoded-words decoded, atoms
 * as they are. The addresses are known and in order, so each name is the text before
 * " <address>".
 */
function displayNamesOf(value: string, addresses: string[]): (string | null)[] {
  let rest = value;
  return addresses.map((address) => {
    rest = rest.replace(/^, /, '');
    if (rest.startsWith(address) && !rest.startsWith(`${address} <`)) {
      rest = rest.slice(address.length);
      return null;
    }
    const end = rest.indexOf(` <${address}>`);
    assert.ok(end > 0, `no display name before <${address}> in ${value}`);
    const phrase = rest.slice(0, end);
    rest = rest.slice(end + address.length + 3);
    if (QUOTED_STRING.test(phrase)) return phrase.slice(1, -1).replace(/\\(.)/g, '$1');
    if (ENCODED_WORDS.test(phrase)) return decodeWords(phrase);
    assert.match(phrase, ATOMS, 'a display name neither quoted, encoded nor made of atoms');
    return phrase;
  });
}

const longestRun = (text: string) => Math.max(0, ...text.split(/[ \t]/).map((word) => Buffer.byteLength(word)));

const shortText = fc.string({ unit: 'grapheme', maxLength: 60 });
// A subject or header with a word that no fold can shorten.
const longText = fc.tuple(shortText, fc.integer({ min: 990, max: 2100 }), shortText).map(([before, length, after]) => `${before} ${'w'.repeat(length)} ${after}`);
const headerText = fc.oneof({ weight: 4, arbitrary: shortText }, { weight: 1, arbitrary: longText });
const fileName = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((name) => !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..' && Buffer.byteLength(name) <= 200),
  fc.constantFrom('say "hi".txt', 'back\\slash.txt', 'Grüße (2026).pdf', 'new\nline.txt', `${'long name '.repeat(19)}.txt`),
);
// Random Unicode, and the characters that need quoting or escaping in a phrase.
const displayName = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('"', ',', '\\', ' ', '.', '<', '>', '(', ':', ';', '@', 'ö', '😀', 'a', 'Z', '=?', '\t'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('Jörg Müller', 'Müller, Jörg', 'John Q. Public', 'say "hi"', ' spaced  out ', 'x\r\nBcc: victim@example.net') },
  // Too long for one line: a quoted name that cannot fold, or a word that cannot.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a,', 'ö', 'x y ', 'w'), fc.integer({ min: 300, max: 1100 })).map(([unit, count]) => unit.repeat(count)) },
);
const mailbox = fc.record({ name: fc.option(displayName), address: fc.emailAddress(), quoted: fc.boolean() });
/** A mailbox as a user types it: the name quoted and escaped, or bare when it can be. */
const typed = ({ name, address, quoted }: { name: string | null; address: string; quoted: boolean }) =>
  name === null ? address : `${quoted || !UNQUOTED_NAME.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : name} <${address}>`;

const spec = fc.record({
  subject: fc.option(fc.oneof(headerText, fc.constantFrom('a\r\nBcc: victim@example.net', 'x\n', 'nul\0'))),
  headers: fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('X-Test', 'Reply-To', 'Keywords', 'Bad Name', 'X:Colon'), fc.string({ maxLength: 12 })), fc.oneof(headerText, fc.constantFrom('1\r\nBcc: victim@example.net'))).map(([name, value]) => `${name}: ${value}`),
    { maxLength: 4 },
  ),
  body: fc.option(fc.string({ unit: 'grapheme', maxLength: 300 })),
  attachments: fc.array(fc.record({ name: fileName, bytes: fc.uint8Array({ maxLength: 400 }) }), { maxLength: 3 }),
  from: mailbox,
  to: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
});

/** Every line at most 998 octets, none only whitespace, every field well-formed once unfolded. */
function assertHeaderSection(block: string): string[] {
  const { lines, fields } = headerSection(block);
  for (const line of lines) {
    assert.ok(Buffer.byteLength(line) <= MAX_LINE_OCTETS, `header line of ${Buffer.byteLength(line)} octets (RFC 5322 §2.1.1)`);
    assert.ok(/[^ \t]/.test(line), 'a header line of whitespace only (RFC 5322 §3.2.2)');
  }
  for (const field of fields) assert.match(field, HEADER_FIELD);
  return fields;
}

let runNumber = 0;

describe('buildMessage under fuzzing', () => {
  it('either refuses the input as a usage error, or builds headers of lines of at most 998 octets that decode to the input, display names in ASCII that decode to the names given, attachments that decode to their bytes and names, and an exact size', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async ({ subject, headers, body, attachments, from, to }) => {
        runNumber += 1;
        const paths = attachments.map(({ name, bytes }, index) => {
          const folder = join(dir, `run${runNumber}-part${index}`);
          mkdirSync(folder);
          const path = join(folder, name);
          writeFileSync(path, bytes);
          return path;
        });
        let message;
        try {
          message = buildMessage({ from: typed(from), to: to.map(typed), messageIdDomain: 'client.example.com', headers, attachments: paths, ...(subject !== null ? { subject } : {}), ...(body !== null ? { body: { kind: 'text', text: body } } : {}) });
        } catch (error) {
          assert.ok(error instanceof UsageError, `threw ${String(error)}`);
          const names = [from, ...to].map(({ name }) => name ?? '');
          const lineBreaking = [subject ?? '', ...headers, ...names, ...attachments.map(({ name }) => name)].some((text) => /[\r\n\0]/.test(text));
          const badName = headers.some((header) => !/^[\x21-\x39\x3b-\x7e]+:/.test(header.trimStart()));
          const fieldName = (header: string) => header.slice(0, header.indexOf(':')).trim();
          const unfoldable = /998 octets/.test(error.message) && headers.some((header) => !UNSTRUCTURED.test(fieldName(header)) && longestRun(header) >= LONG_WORD);
          // Free text in Reply-To is not a list of mailboxes: with non-ASCII in it, no display name can be told apart to encode.
          const notMailboxes = /not a list of addresses/.test(error.message) && headers.some((header) => ADDRESS.test(fieldName(header)) && /[^\x00-\x7f]/.test(header));
          assert.ok(lineBreaking || badName || unfoldable || notMailboxes, `refused acceptable input: ${error.message}`);
          return;
        }
        const bytes = await collect(message.chunks());
        if (message.size !== null) assert.equal(message.size, bytes.length, 'SIZE= would lie');
        const text = bytes.toString('utf8');
        const headerEnd = text.indexOf('\r\n\r\n');
        assert.ok(headerEnd > 0);
        const fields = assertHeaderSection(text.slice(0, headerEnd));
        const shown = (name: string) => fields.find((field) => field.toLowerCase().startsWith(`${name.toLowerCase()}: `))!.slice(name.length + 2);
        const subjectOverridden = headers.some((header) => /^\s*subject\s*:/i.test(header));
        if (subject !== null && !subjectOverridden) assert.equal(decodeWords(shown('Subject')), subject);
        const lastXTest = headers.filter((header) => /^\s*x-test\s*:/i.test(header)).pop();
        if (lastXTest !== undefined) assert.equal(decodeWords(shown('X-Test')), lastXTest.slice(lastXTest.indexOf(':') + 1).trim());
        if (body !== null) assert.ok(text.includes(body));
        // Built before the server (and its SMTPUTF8) is known, a display name is always encoded: with ASCII addresses, From and To are ASCII.
        const overridden = (name: string) => headers.some((header) => new RegExp(`^\\s*${name}\\s*:`, 'i').test(header));
        for (const [name, mailboxes] of [['From', [from]], ['To', to]] as const) {
          if (overridden(name)) continue;
          const { lines } = headerSection(text.slice(0, headerEnd).split(/\r\n(?! )/).find((field) => field.startsWith(`${name}: `))!);
          for (const line of lines) assert.match(line, /^[\x20-\x7e]*$/, `non-ASCII in ${name}`);
          const expected = mailboxes.map(({ name: given }) => (given === null || given === '' ? null : given));
          assert.deepEqual(displayNamesOf(shown(name), mailboxes.map(({ address }) => address)), expected);
        }
        if (paths.length > 0) {
          const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
          // Before the first delimiter: the headers; then the text part, the attachments, and the closing "--".
          const parts = text.split(`\r\n--${boundary}`).slice(2, -1);
          assert.equal(parts.length, paths.length);
          parts.forEach((part, index) => {
            const partFields = assertHeaderSection(part.slice(2, part.indexOf('\r\n\r\n')));
            assert.equal(fileNameOf(partFields.find((field) => field.startsWith('Content-Disposition: '))!), attachments[index]!.name);
            const encoded = part.slice(part.indexOf('\r\n\r\n') + 4);
            for (const line of encoded.split('\r\n')) assert.ok(line.length <= 76, 'base64 line longer than 76 (RFC 2045 §6.8)');
            assert.deepEqual(new Uint8Array(Buffer.from(encoded.replace(/\r\n/g, ''), 'base64')), attachments[index]!.bytes);
          });
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
