import { UsageError } from './errors.js';
import type { Mailbox } from './mailbox-list.js';
import { parseMailboxList } from './mailbox-list.js';
import { assertSingleLine, hasNonAscii } from './wire-text.js';

/**
 * Header fields as they go on the wire (RFC 5322 §2.2): folded, with non-ASCII text as
 * RFC 2047 encoded-words where that is allowed, and the user's --header values merged in.
 */

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
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
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

export const quotedString = (text: string): string => `"${text.replace(/["\\]/g, '\\$&')}"`;

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

function tooLongForLines(name: string, source: string | undefined, hint: string): UsageError {
  return new UsageError(`${source ? `${source}: ` : ''}the ${name} header cannot be written in lines of at most ${MAX_LINE_OCTETS} octets (RFC 5322 §2.1.1)`, hint);
}

/**
 * One header field as it goes on the wire (without the final CRLF): folded at
 * whitespace; in address fields display names written by displayName; in
 * unstructured fields non-ASCII text, or a word too long for any line, as
 * encoded-words. A field with a word that cannot be written validly is a usage error
 * naming `source`, what the caller says the value came from, rather than a line the server may
 * cut or refuse.
 */
export function formatHeader(name: string, value: string, source?: string): string {
  if (ADDRESS_FIELD.test(name)) {
    const mailboxes = parseMailboxList(value);
    if (mailboxes === null && hasNonAscii(value)) {
      throw new UsageError(
        `${source ? `${source}: ` : ''}the ${name} header is not a list of addresses, so its non-ASCII display names cannot be encoded (RFC 2047 §5)`,
        'write it as Name <user@example.org>, … with double quotes around a name that holds a comma (groups and comments are not supported)',
      );
    }
    if (mailboxes !== null && mailboxes.length > 0) {
      const folded = formatAddressField(name, mailboxes);
      if (folded === null) throw tooLongForLines(name, source, 'an address in it is too long for one line: shorten it');
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
    source,
    unstructured ? 'use a shorter header name' : 'a word in it is too long to fold: shorten it or put spaces in it (only Subject, Comments and X- headers can be split into encoded-words)',
  );
}

/** A header before formatting, with what its value came from (the caller's label), so that an error can name it. */
export type HeaderField = [name: string, value: string, source?: string];

/** Apply "Name: value" headers the user gave (`label` in errors): each replaces a header of the same name, or is appended. */
export function mergeHeaders(defaults: HeaderField[], overrides: string[], label = 'a header'): HeaderField[] {
  const merged = [...defaults];
  for (const header of overrides) {
    assertSingleLine(header, label);
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(colon, 0)).trim();
    // RFC 5322 §2.2: a field name is printable ASCII without ":" or space. A user's
    // typo is a usage error (exit 1), not an internal one.
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new UsageError(`${label} must look like "Name: value", got ${JSON.stringify(header)}`, 'e.g. "X-Test: 1"');
    const field: HeaderField = [name, header.slice(colon + 1).trim(), label];
    const index = merged.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (index >= 0) merged[index] = field;
    else merged.push(field);
  }
  return merged;
}
