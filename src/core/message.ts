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

/** RFC 2047 encoded-word for non-ASCII header text; ASCII passes unchanged. */
export function encodeHeaderText(text: string): string {
  if (!hasNonAscii(text)) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
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
      ['Subject', encodeHeaderText(subject)],
      ['MIME-Version', '1.0'],
      [
        'Content-Type',
        attachments.length > 0 ? `multipart/mixed; boundary="${boundary}"` : 'text/plain; charset=utf-8',
      ],
      ...(attachments.length > 0 ? [] : ([['Content-Transfer-Encoding', bodyEightBit ? '8bit' : '7bit']] as [string, string][])),
    ],
    spec.headers ?? [],
  );
  const headerBlock = Buffer.from(headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') + '\r\n', 'utf8');

  const textPartHeader = Buffer.from(
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${bodyEightBit ? '8bit' : '7bit'}\r\n\r\n`,
    'utf8',
  );
  const attachmentHeaders = attachments.map((path) =>
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Type: ${mimeTypeFor(path)}; name="${basename(path)}"\r\nContent-Disposition: attachment; filename="${basename(path)}"\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
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
    eightBit: bodyEightBit,
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
