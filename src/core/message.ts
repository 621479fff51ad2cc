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
  from: string;
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
// own, which RFC 5322 §3.6.8 makes unstructured (X-…). In From, To or Message-ID an
// encoded-word would change an address, so those go out as given.
const UNSTRUCTURED_FIELD = /^(?:subject|comments|x-.*)$/i;
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

/**
 * One header field as it goes on the wire (without the final CRLF): folded at
 * whitespace, and in unstructured fields non-ASCII text, or a word too long for any
 * line, as encoded-words. A structured field with such a word cannot be written
 * validly, so it is a usage error rather than a line the server may cut or refuse.
 */
function formatHeader(name: string, value: string): string {
  const unstructured = UNSTRUCTURED_FIELD.test(name);
  const folded = unstructured && hasNonAscii(value) ? null : foldAtWhitespace(name, value, !unstructured);
  if (folded !== null) return folded;
  const encoded = unstructured ? foldAtWhitespace(name, encodedWords(value, FOLD_TARGET - octets(`${name}: `)).join(' '), false) : null;
  if (encoded !== null) return encoded;
  throw new UsageError(
    `the ${name} header cannot be written in lines of at most ${MAX_LINE_OCTETS} octets (RFC 5322 §2.1.1)`,
    unstructured ? 'use a shorter header name' : 'a word in it is too long to fold: shorten it or put spaces in it (only Subject, Comments and X- headers can be split into encoded-words)',
  );
}

/**
 * A MIME parameter for a file name: a quoted-string with " and \ escaped (RFC 2045
 * §5.1) when the name is printable ASCII, else RFC 2231 §4's attribute*=utf-8''
 * with the UTF-8 bytes percent-encoded.
 */
function fileNameParameter(attribute: string, fileName: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName)) return `${attribute}="${fileName.replace(/["\\]/g, '\\$&')}"`;
  const encoded = [...Buffer.from(fileName, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    return ATTRIBUTE_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return `${attribute}*=utf-8''${encoded.join('')}`;
}

/** Apply --header values: replace a header of the same name, or append. */
export function mergeHeaders(defaults: [string, string][], overrides: string[]): [string, string][] {
  const merged = [...defaults];
  for (const header of overrides) {
    assertSingleLine(header, '--header');
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(colon, 0)).trim();
    // RFC 5322 §2.2: a field name is printable ASCII without ":" or space. A user's
    // typo is a usage error (exit 1), not an internal one.
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new UsageError(`--header must look like "Name: value", got ${JSON.stringify(header)}`, 'e.g. --header "X-Test: 1"');
    const value = header.slice(colon + 1).trim();
    const index = merged.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (index >= 0) merged[index] = [name, value];
    else merged.push([name, value]);
  }
  return merged;
}

export function buildMessage(spec: MessageSpec, now = new Date()): BuiltMessage {
  const token = newToken();
  // The subject and attachment names become header lines too: a CR or LF in them would add headers.
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
      ['Message-ID', `<${token}@${spec.messageIdDomain}>`],
      ['From', spec.from],
      ['To', spec.to.join(', ')],
      ...(spec.cc && spec.cc.length > 0 ? ([['Cc', spec.cc.join(', ')]] as [string, string][]) : []),
      ['Subject', subject],
      ['MIME-Version', '1.0'],
      [
        'Content-Type',
        attachments.length > 0 ? `multipart/mixed; boundary="${boundary}"` : 'text/plain; charset=utf-8',
      ],
      ...(attachments.length > 0 ? [] : ([['Content-Transfer-Encoding', bodyEightBit ? '8bit' : '7bit']] as [string, string][])),
    ],
    spec.headers ?? [],
  );
  const headerText = headers.map(([name, value]) => `${formatHeader(name, value)}\r\n`).join('') + '\r\n';
  const headerBlock = Buffer.from(headerText, 'utf8');

  const textPartHeader = Buffer.from(
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${bodyEightBit ? '8bit' : '7bit'}\r\n\r\n`,
    'utf8',
  );
  const attachmentHeaders = attachments.map((path) =>
    Buffer.from(
      `\r\n--${boundary}\r\n${formatHeader('Content-Type', `${mimeTypeFor(path)}; ${fileNameParameter('name', basename(path))}`)}\r\n${formatHeader('Content-Disposition', `attachment; ${fileNameParameter('filename', basename(path))}`)}\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
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
