import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { UsageError } from './errors.js';
import { hasNonAscii, assertSingleLine } from './wire-text.js';

/**
 * Builds an RFC 5322 message (with MIME parts for attachments, RFC 2045/2046) as a
 * stream of chunks, so attachments are read from disk while sending and memory does
 * not grow with the message.
 */
export type BodySource = { kind: 'text'; text: string } | { kind: 'file'; path: string } | { kind: 'stream'; stream: AsyncIterable<Buffer | string> };

export interface MessageSpec {
  /** Header text of one mailbox: "user@example.org" or "Name <user@example.org>". */
  from: string;
  /** Header text of mailbox lists, joined with commas. */
  to: string[];
  cc?: string[];
  subject?: string;
  /** "Name: value" pairs; each replaces a default header of the same name (case-insensitive) or is added. */
  headers?: string[];
  body?: BodySource;
  attachments?: string[];
  /** Host part of the Message-ID. */
  messageIdDomain: string;
}

/** A mailbox as written in an address header (RFC 5322 §3.4): the address, and the display name if any. */
export interface Mailbox {
  name: string | null;
  address: string;
}

export interface BuiltMessage {
  /** Unique token in Subject and body, to find the message in a mailbox; null for a raw --data message. */
  token: string | null;
  /** Exact size in octets when every part's size is known in advance (for SIZE=), else null. */
  size: number | null;
  /** True when the content has 8-bit bytes (needs BODY=8BITMIME). */
  eightBit: boolean;
  chunks(): AsyncIterable<Buffer>;
}

// RFC 2045 §6.8: base64 lines of at most 76 characters = 57 input bytes.
const BASE64_LINE_INPUT = 57;
const ATTACHMENT_READ_SIZE = BASE64_LINE_INPUT * 1024;

const MIME_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.csv': 'text/csv',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ics': 'text/calendar',
  '.eml': 'message/rfc822',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function mimeTypeFor(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export function newToken(): string {
  return `smtpcheck-${randomBytes(6).toString('hex')}`;
}

// RFC 5322 §2.1.1: a line MUST be at most 998 octets and SHOULD be at most 78
// characters, both without the CRLF. Octets are counted for both, so UTF-8 header text
// (RFC 6532) is never too long either.
const MAX_LINE_OCTETS = 998;
const FOLD_TARGET = 78;
// RFC 2047 §2: an encoded-word, "=?UTF-8?B?" + base64 + "?=", is at most 75 characters.
const MAX_ENCODED_WORD = 75;
// Only in unstructured fields may encoded-words stand for the whole value (RFC 2047
// §5 (1)): Subject and Comments (RFC 5322 §3.6.5) and fields without a syntax of their
// own, which RFC 5322 §3.6.8 makes unstructured (X-…). In address fields only a display
// name may be one (below); other structured fields (Message-ID, Keywords) go out as given.
const UNSTRUCTURED_FIELD = /^(?:subject|comments|x-.*)$/i;
// RFC 5322 §3.6.2, §3.6.3, §3.6.6: the fields whose value is a list of mailboxes. Only
// the display names in them may become encoded-words (RFC 2047 §5 (3)), never an address.
const ADDRESS_FIELD = /^(?:(?:resent-)?(?:from|sender|to|cc|bcc)|reply-to)$/i;
// RFC 5322 §3.2.3: a display name made of atoms needs no quotes.
const ATOM_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
// RFC 5322 §3.2.3 specials that end a word of a phrase; "." is left in (obs-phrase, "John Q. Public").
const PHRASE_SPECIAL = /[()<>[\]:;@\\,]/;
// RFC 5322 §3.2.2 folding whitespace; other Unicode spaces are text, as in any word.
const WHITESPACE = /[ \t\r\n]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// RFC 2231 §7 attribute-char, narrowed to RFC 5987's attr-char (no "*", "'", "%" or tspecials).
const ATTRIBUTE_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

const octets = (text: string): number => Buffer.byteLength(text, 'utf8');
const encodedWord = (text: string): string => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

/**
 * `text` as RFC 2047 B-encoded words of at most 75 characters, cut only between
 * characters (§5 (3)); the first word fits in `firstRoom` when one character can.
 * Readers join adjacent encoded-words without the space between them (§6.2).
 */
export function encodedWords(text: string, firstRoom = MAX_ENCODED_WORD): string[] {
  const words: string[] = [];
  let room = Math.min(firstRoom, MAX_ENCODED_WORD);
  let pending = '';
  for (const char of text) {
    if (pending !== '' && encodedWord(pending + char).length > room) {
      words.push(encodedWord(pending));
      pending = '';
      room = MAX_ENCODED_WORD;
    }
    pending += char;
  }
  if (pending !== '') words.push(encodedWord(pending));
  return words;
}

/**
 * Where a field may fold (RFC 5322 §2.2.3): before the last space or tab of a run that
 * has text after it, so that no line is whitespace only (§3.2.2); in structured fields
 * never inside a quoted-string (a file name, a display name), where some readers keep
 * the line break.
 */
function foldablePieces(value: string, structured: boolean): string[] {
  const pieces: string[] = [];
  let start = 0;
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index]!;
    if (structured && char === '\\' && quoted) index += 1;
    else if (structured && char === '"') quoted = !quoted;
    else if (!quoted && index > start && (char === ' ' || char === '\t') && value[index + 1] !== undefined && !/[ \t]/.test(value[index + 1]!)) {
      pieces.push(value.slice(start, index));
      start = index;
    }
  }
  pieces.push(value.slice(start));
  return pieces;
}

/** "Name: value" folded into lines of at most 78 octets where the words allow; null when a word cannot fit in 998. */
function foldAtWhitespace(name: string, value: string, structured: boolean): string | null {
  const [first = '', ...rest] = foldablePieces(value, structured);
  const lines = [`${name}: ${first}`];
  for (const piece of rest) {
    if (octets(lines[lines.length - 1]! + piece) <= FOLD_TARGET) lines[lines.length - 1] += piece;
    else lines.push(piece);
  }
  return lines.every((line) => octets(line) <= MAX_LINE_OCTETS) ? lines.join('\r\n') : null;
}

type AddressToken = { kind: 'space' | 'comma' | 'word' | 'quoted' | 'angle' | 'literal' | 'special'; raw: string; text: string };

/** Index of the " that closes the quoted-string opening at `start`, skipping \-escaped characters; -1 if none. */
function closingQuote(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === '\\') index += 1;
    else if (text[index] === '"') return index;
  }
  return -1;
}

/** Index of `close` after `start`, outside quoted-strings; -1 if none, or if `open` comes first (nothing nests here). */
function closing(text: string, start: number, open: string, close: string): number {
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === close) return index;
    if (text[index] === open) return -1;
    if (text[index] === '"') {
      index = closingQuote(text, index);
      if (index < 0) return -1;
    }
  }
  return -1;
}

/** The lexical pieces of an address list (RFC 5322 §3.2); null when a quote, "<" or "[" is never closed. */
function addressTokens(text: string): AddressToken[] | null {
  const tokens: AddressToken[] = [];
  let index = 0;
  const take = (kind: AddressToken['kind'], end: number, tokenText?: string) => {
    const raw = text.slice(index, end);
    tokens.push({ kind, raw, text: tokenText ?? raw });
    index = end;
  };
  const runEnd = (inRun: (char: string) => boolean): number => {
    let end = index + 1;
    while (end < text.length && inRun(text[end]!)) end += 1;
    return end;
  };
  while (index < text.length) {
    const char = text[index]!;
    if (WHITESPACE.test(char)) take('space', runEnd((next) => WHITESPACE.test(next)), ' ');
    else if (char === '"') {
      const end = closingQuote(text, index);
      if (end < 0) return null;
      take('quoted', end + 1, text.slice(index + 1, end).replace(/\\([^])/g, '$1'));
    } else if (char === '<' || char === '[') {
      const end = closing(text, index, char, char === '<' ? '>' : ']');
      if (end < 0) return null;
      take(char === '<' ? 'angle' : 'literal', end + 1, text.slice(index + 1, end).trim());
    } else if (char === ',') take('comma', index + 1);
    else if (PHRASE_SPECIAL.test(char)) take('special', index + 1);
    else take('word', runEnd((next) => !WHITESPACE.test(next) && next !== '"' && !PHRASE_SPECIAL.test(next)));
  }
  return tokens;
}

/** One item of a mailbox list: `[display-name] <address>` or a bare address (RFC 5322 §3.4); null for anything else. */
function mailboxOf(tokens: AddressToken[]): Mailbox | null {
  const last = tokens[tokens.length - 1]!;
  if (last.kind === 'angle') {
    const phrase = tokens.slice(0, -1);
    if (last.text === '' || !phrase.every((token) => token.kind === 'word' || token.kind === 'quoted' || token.kind === 'space')) return null;
    if (phrase[phrase.length - 1]?.kind === 'space') phrase.pop();
    const name = phrase.map((token) => token.text).join('');
    return { name: name === '' ? null : name, address: last.text };
  }
  const addressSpec = tokens.every((token) => token.kind === 'word' || token.kind === 'quoted' || token.kind === 'literal' || (token.kind === 'special' && token.raw === '@'));
  return addressSpec ? { name: null, address: tokens.map((token) => token.raw).join('') } : null;
}

/**
 * The mailboxes of a mailbox-list (RFC 5322 §3.4), as given to --from/--to or in an
 * address header: split at the commas outside quoted-strings and angle brackets, so
 * `"Müller, Jörg" <j@example.org>` is one mailbox; empty items ("a@example.org,") are
 * skipped, as in every list flag. A display name is the phrase's text: quoted-strings
 * unquoted, whitespace between words one space. Null for what is not a plain mailbox
 * list (a group, a comment), which smtpcheck does not take apart.
 */
export function parseMailboxList(text: string): Mailbox[] | null {
  const tokens = addressTokens(text);
  if (tokens === null) return null;
  const mailboxes: Mailbox[] = [];
  let item: AddressToken[] = [];
  for (const token of [...tokens, { kind: 'comma', raw: ',', text: ',' } as const]) {
    if (token.kind !== 'comma') {
      if (item.length > 0 || token.kind !== 'space') item.push(token);
      continue;
    }
    if (item[item.length - 1]?.kind === 'space') item.pop();
    if (item.length > 0) {
      const mailbox = mailboxOf(item);
      if (mailbox === null) return null;
      mailboxes.push(mailbox);
    }
    item = [];
  }
  return mailboxes;
}

const quotedString = (text: string): string => `"${text.replace(/["\\]/g, '\\$&')}"`;

/**
 * A display name as a phrase: atoms as they are, other printable ASCII as a
 * quoted-string, anything else — or everything, with `encode` — as encoded-words,
 * which RFC 2047 §5 (3) allows in a phrase and never in a quoted-string or an address.
 * A name the user already wrote as encoded-words is made of atoms, so it stays as written.
 */
function displayName(name: string, encode: boolean, firstRoom?: number): string {
  if (encode || !PRINTABLE_ASCII.test(name)) return encodedWords(name, firstRoom).join(' ');
  return ATOM_PHRASE.test(name) ? name : quotedString(name);
}

/**
 * An address field from its mailboxes, addresses as given (UTF-8 ones too, RFC 6532).
 * A quoted name too long for a line cannot fold (see foldablePieces), so then every
 * name is written as encoded-words, which fold anywhere between them.
 */
function formatAddressField(name: string, mailboxes: Mailbox[]): string | null {
  const firstRoom = FOLD_TARGET - octets(`${name}: `);
  for (const encodeNames of [false, true]) {
    const value = mailboxes
      .map((mailbox, index) => (mailbox.name === null ? mailbox.address : `${displayName(mailbox.name, encodeNames, index === 0 ? firstRoom : undefined)} <${mailbox.address}>`))
      .join(', ');
    const folded = foldAtWhitespace(name, value, true);
    if (folded !== null) return folded;
  }
  return null;
}

function tooLongForLines(name: string, flag: string | undefined, hint: string): UsageError {
  return new UsageError(`${flag ? `${flag}: ` : ''}the ${name} header cannot be written in lines of at most ${MAX_LINE_OCTETS} octets (RFC 5322 §2.1.1)`, hint);
}

/**
 * One header field as it goes on the wire (without the final CRLF): folded at
 * whitespace; in address fields display names written by displayName; in
 * unstructured fields non-ASCII text, or a word too long for any line, as
 * encoded-words. A field with a word that cannot be written validly is a usage error
 * naming `flag`, the option the value came from, rather than a line the server may
 * cut or refuse.
 */
function formatHeader(name: string, value: string, flag?: string): string {
  if (ADDRESS_FIELD.test(name)) {
    const mailboxes = parseMailboxList(value);
    if (mailboxes === null && hasNonAscii(value)) {
      throw new UsageError(
        `${flag ? `${flag}: ` : ''}the ${name} header is not a list of addresses, so its non-ASCII display names cannot be encoded (RFC 2047 §5)`,
        'write it as Name <user@example.org>, … with double quotes around a name that holds a comma (groups and comments are not supported)',
      );
    }
    if (mailboxes !== null && mailboxes.length > 0) {
      const folded = formatAddressField(name, mailboxes);
      if (folded === null) throw tooLongForLines(name, flag, 'an address in it is too long for one line: shorten it');
      return folded;
    }
  }
  const unstructured = UNSTRUCTURED_FIELD.test(name);
  const folded = unstructured && hasNonAscii(value) ? null : foldAtWhitespace(name, value, !unstructured);
  if (folded !== null) return folded;
  const encoded = unstructured ? foldAtWhitespace(name, encodedWords(value, FOLD_TARGET - octets(`${name}: `)).join(' '), false) : null;
  if (encoded !== null) return encoded;
  throw tooLongForLines(
    name,
    flag,
    unstructured ? 'use a shorter header name' : 'a word in it is too long to fold: shorten it or put spaces in it (only Subject, Comments and X- headers can be split into encoded-words)',
  );
}

/**
 * A MIME parameter for a file name: a quoted-string with " and \ escaped (RFC 2045
 * §5.1) when the name is printable ASCII, else RFC 2231 §4's attribute*=utf-8''
 * with the UTF-8 bytes percent-encoded.
 */
function fileNameParameter(attribute: string, fileName: string): string {
  if (PRINTABLE_ASCII.test(fileName)) return `${attribute}=${quotedString(fileName)}`;
  const encoded = [...Buffer.from(fileName, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    return ATTRIBUTE_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return `${attribute}*=utf-8''${encoded.join('')}`;
}

/** A header before formatting, with the flag its value came from, so that an error can name it. */
export type HeaderField = [name: string, value: string, flag?: string];

/** Apply --header values: replace a header of the same name, or append. */
export function mergeHeaders(defaults: HeaderField[], overrides: string[]): HeaderField[] {
  const merged = [...defaults];
  for (const header of overrides) {
    assertSingleLine(header, '--header');
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(colon, 0)).trim();
    // RFC 5322 §2.2: a field name is printable ASCII without ":" or space. A user's
    // typo is a usage error (exit 1), not an internal one.
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new UsageError(`--header must look like "Name: value", got ${JSON.stringify(header)}`, 'e.g. --header "X-Test: 1"');
    const field: HeaderField = [name, header.slice(colon + 1).trim(), '--header'];
    const index = merged.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (index >= 0) merged[index] = field;
    else merged.push(field);
  }
  return merged;
}

export function buildMessage(spec: MessageSpec, now = new Date()): BuiltMessage {
  const token = newToken();
  // The addresses, subject and attachment names become header lines too: a CR or LF in them would add headers.
  assertSingleLine(spec.from, '--from');
  for (const to of spec.to) assertSingleLine(to, '--to');
  for (const cc of spec.cc ?? []) assertSingleLine(cc, '--cc');
  const subject = assertSingleLine(spec.subject ?? `smtpcheck test ${token}`, '--subject');
  for (const path of spec.attachments ?? []) assertSingleLine(basename(path), 'the --attach file name');
  const defaultBody = `This is a test message sent by smtpcheck.\r\nToken: ${token}\r\n`;
  const body: BodySource = spec.body ?? { kind: 'text', text: defaultBody };
  const attachments = spec.attachments ?? [];
  const boundary = `=_smtpcheck_${randomBytes(8).toString('hex')}`;
  const bodyIsText = body.kind === 'text';
  const bodyEightBit = bodyIsText ? hasNonAscii(body.text) : true;

  const headers = mergeHeaders(
    [
      ['Date', now.toUTCString().replace('GMT', '+0000')],
      ['Message-ID', `<${token}@${spec.messageIdDomain}>`, '--helo'],
      ['From', spec.from, '--from'],
      ['To', spec.to.join(', '), '--to'],
      ...(spec.cc && spec.cc.length > 0 ? ([['Cc', spec.cc.join(', '), '--cc']] as HeaderField[]) : []),
      ['Subject', subject, '--subject'],
      ['MIME-Version', '1.0'],
      [
        'Content-Type',
        attachments.length > 0 ? `multipart/mixed; boundary="${boundary}"` : 'text/plain; charset=utf-8',
      ],
      ...(attachments.length > 0 ? [] : ([['Content-Transfer-Encoding', bodyEightBit ? '8bit' : '7bit']] as HeaderField[])),
    ],
    spec.headers ?? [],
  );
  const headerText = headers.map(([name, value, flag]) => `${formatHeader(name, value, flag)}\r\n`).join('') + '\r\n';
  const headerBlock = Buffer.from(headerText, 'utf8');

  const textPartHeader = Buffer.from(
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${bodyEightBit ? '8bit' : '7bit'}\r\n\r\n`,
    'utf8',
  );
  const attachmentHeaders = attachments.map((path) =>
    Buffer.from(
      `\r\n--${boundary}\r\n${formatHeader('Content-Type', `${mimeTypeFor(path)}; ${fileNameParameter('name', basename(path))}`, '--attach')}\r\n${formatHeader('Content-Disposition', `attachment; ${fileNameParameter('filename', basename(path))}`, '--attach')}\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
      'utf8',
    ),
  );
  const closing = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');

  const bodySize = body.kind === 'text' ? Buffer.byteLength(body.text) : body.kind === 'file' ? statSync(body.path).size : null;
  let size: number | null = bodySize === null ? null : headerBlock.length + bodySize;
  if (size !== null && attachments.length > 0) {
    size += textPartHeader.length + closing.length;
    attachments.forEach((path, index) => {
      size! += attachmentHeaders[index]!.length + base64EncodedSize(statSync(path).size);
    });
  }

  return {
    token,
    size,
    // Non-ASCII left as UTF-8 in a structured header (RFC 6532) is 8-bit content too.
    eightBit: bodyEightBit || hasNonAscii(headerText),
    async *chunks() {
      yield headerBlock;
      if (attachments.length > 0) yield textPartHeader;
      yield* bodyChunks(body);
      for (const [index, path] of attachments.entries()) {
        yield attachmentHeaders[index]!;
        yield* base64File(path);
      }
      if (attachments.length > 0) yield closing;
    },
  };
}

async function* bodyChunks(body: BodySource): AsyncIterable<Buffer> {
  if (body.kind === 'text') {
    yield Buffer.from(body.text, 'utf8');
    return;
  }
  const source = body.kind === 'file' ? createReadStream(body.path) : body.stream;
  for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** Octets of base64 with CRLF after every 76 characters (and after the last line). */
export function base64EncodedSize(inputBytes: number): number {
  if (inputBytes === 0) return 0;
  const lines = Math.ceil(inputBytes / BASE64_LINE_INPUT);
  return Math.ceil(inputBytes / 3) * 4 + lines * 2;
}

async function* base64File(path: string): AsyncIterable<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: ATTACHMENT_READ_SIZE })) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const whole = data.length - (data.length % BASE64_LINE_INPUT);
    carry = data.subarray(whole);
    if (whole > 0) yield encodeBase64Lines(data.subarray(0, whole));
  }
  if (carry.length > 0) yield encodeBase64Lines(carry);
}

function encodeBase64Lines(bytes: Buffer): Buffer {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += BASE64_LINE_INPUT) {
    lines.push(bytes.subarray(offset, offset + BASE64_LINE_INPUT).toString('base64'));
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'ascii');
}
