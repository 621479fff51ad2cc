import { UsageError } from './errors.js';

/**
 * Everything the user gives us that goes into a command line is checked here: a CR,
 * LF or NUL inside an address, HELO name or header would let one flag smuggle in a
 * whole extra SMTP command. Checks that send odd forms on purpose use the raw path.
 */
const LINE_BREAKING = /[\r\n\0]/;

export function assertSingleLine(value: string, what: string): string {
  if (LINE_BREAKING.test(value)) {
    throw new UsageError(`${what} contains a CR, LF or NUL character: ${JSON.stringify(value)}`, 'remove the line break; smtpcheck refuses to inject extra commands');
  }
  return value;
}

/**
 * RFC 5321 §4.1.2 mailbox syntax, checked loosely enough for real addresses
 * (quoted local parts, address literals, UTF-8 when SMTPUTF8 is used) but strictly
 * enough to reject what would break the command line.
 */
const MAILBOX = /^(?:"(?:[^"\\\r\n]|\\[\x20-\x7e])*"|[^\s"<>()\[\]\\,;:@]+)@(?:\[[^\[\]\s]+\]|[^\s@<>()\[\]\\,;:"]+)$/u;

export function assertMailbox(address: string, what: string, options: { allowEmpty?: boolean; allowLocalOnly?: boolean } = {}): string {
  assertSingleLine(address, what);
  if (address === '' && options.allowEmpty) return address;
  if (options.allowLocalOnly && /^[^\s@<>]+$/.test(address)) return address;
  if (!MAILBOX.test(address)) {
    throw new UsageError(`${what} is not a valid mail address: ${JSON.stringify(address)}`, 'use the form user@example.org');
  }
  return address;
}

export function hasNonAscii(text: string): boolean {
  return /[^\x00-\x7f]/.test(text);
}
