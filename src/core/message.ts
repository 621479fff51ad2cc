import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { HeaderField } from './header-fields.js';
import { formatHeader, mergeHeaders, PRINTABLE_ASCII, quotedString } from './header-fields.js';
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
  /**
   * What an error calls each input. Core knows no command line: the CLI passes its
   * option names (src/cli/send.ts) so that a refusal names the flag to fix.
   */
  labels?: Partial<MessageLabels>;
}

export interface MessageLabels {
  from: string;
  to: string;
  cc: string;
  subject: string;
  /** An attachment's file name. */
  attachment: string;
  /** A "Name: value" header of `headers`. */
  header: string;
  messageIdDomain: string;
}

const DEFAULT_LABELS: MessageLabels = {
  from: 'the sender',
  to: 'a recipient',
  cc: 'a Cc recipient',
  subject: 'the subject',
  attachment: "an attachment's file name",
  header: 'a header',
  messageIdDomain: 'the Message-ID domain',
};

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

// RFC 2231 §7 attribute-char, narrowed to RFC 5987's attr-char (no "*", "'", "%" or tspecials).
const ATTRIBUTE_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

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

export function buildMessage(spec: MessageSpec, now = new Date()): BuiltMessage {
  const token = newToken();
  const label = { ...DEFAULT_LABELS, ...spec.labels };
  // The addresses, subject and attachment names become header lines too: a CR or LF in them would add headers.
  assertSingleLine(spec.from, label.from);
  for (const to of spec.to) assertSingleLine(to, label.to);
  for (const cc of spec.cc ?? []) assertSingleLine(cc, label.cc);
  const subject = assertSingleLine(spec.subject ?? `smtpcheck test ${token}`, label.subject);
  for (const path of spec.attachments ?? []) assertSingleLine(basename(path), label.attachment);
  const defaultBody = `This is a test message sent by smtpcheck.\r\nToken: ${token}\r\n`;
  const body: BodySource = spec.body ?? { kind: 'text', text: defaultBody };
  const attachments = spec.attachments ?? [];
  const boundary = `=_smtpcheck_${randomBytes(8).toString('hex')}`;
  const bodyIsText = body.kind === 'text';
  const bodyEightBit = bodyIsText ? hasNonAscii(body.text) : true;

  const headers = mergeHeaders(
    [
      ['Date', now.toUTCString().replace('GMT', '+0000')],
      ['Message-ID', `<${token}@${spec.messageIdDomain}>`, label.messageIdDomain],
      ['From', spec.from, label.from],
      ['To', spec.to.join(', '), label.to],
      ...(spec.cc && spec.cc.length > 0 ? ([['Cc', spec.cc.join(', '), label.cc]] as HeaderField[]) : []),
      ['Subject', subject, label.subject],
      ['MIME-Version', '1.0'],
      [
        'Content-Type',
        attachments.length > 0 ? `multipart/mixed; boundary="${boundary}"` : 'text/plain; charset=utf-8',
      ],
      ...(attachments.length > 0 ? [] : ([['Content-Transfer-Encoding', bodyEightBit ? '8bit' : '7bit']] as HeaderField[])),
    ],
    spec.headers ?? [],
    label.header,
  );
  const headerText = headers.map(([name, value, flag]) => `${formatHeader(name, value, flag)}\r\n`).join('') + '\r\n';
  const headerBlock = Buffer.from(headerText, 'utf8');

  const textPartHeader = Buffer.from(
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${bodyEightBit ? '8bit' : '7bit'}\r\n\r\n`,
    'utf8',
  );
  const attachmentHeaders = attachments.map((path) =>
    Buffer.from(
      `\r\n--${boundary}\r\n${formatHeader('Content-Type', `${mimeTypeFor(path)}; ${fileNameParameter('name', basename(path))}`, label.attachment)}\r\n${formatHeader('Content-Disposition', `attachment; ${fileNameParameter('filename', basename(path))}`, label.attachment)}\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
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
