import { UsageError } from './errors.js';

/** The DSN parameters of a message (RFC 3461), checked and in wire form. */
export interface DsnRequest {
  /** RCPT NOTIFY= value, e.g. "SUCCESS,FAILURE". */
  notify: string | null;
  /** MAIL RET= value: FULL or HDRS. */
  ret: string | null;
  /** MAIL ENVID= value, xtext-encoded. */
  envid: string | null;
}

const NOTIFY_KEYWORDS = new Set(['SUCCESS', 'FAILURE', 'DELAY']);
// RFC 3461 §4.4: "the ENVID … MUST be no more than 100 characters in length".
const MAX_ENVID_LENGTH = 100;

/** RFC 3461 §4.1: NEVER alone, or a comma list of SUCCESS, FAILURE and DELAY. */
export function dsnNotifyValue(value: string): string {
  const keywords = value.split(',').map((keyword) => keyword.trim().toUpperCase());
  const valid = keywords.length === 1 && keywords[0] === 'NEVER' ? true : keywords.every((keyword) => NOTIFY_KEYWORDS.has(keyword)) && new Set(keywords).size === keywords.length;
  if (!valid) throw new UsageError(`--dsn-notify ${JSON.stringify(value)} is not a DSN NOTIFY list`, 'use NEVER, or any of SUCCESS, FAILURE, DELAY separated by commas (RFC 3461 §4.1)');
  return keywords.join(',');
}

/** RFC 3461 §4.3: FULL or HDRS. */
export function dsnRetValue(value: string): string {
  const ret = value.trim().toUpperCase();
  if (ret !== 'FULL' && ret !== 'HDRS') throw new UsageError(`--dsn-ret ${JSON.stringify(value)} is neither FULL nor HDRS`, 'FULL returns the whole message in a bounce, HDRS only its headers (RFC 3461 §4.3)');
  return ret;
}

/**
 * RFC 3461 §4.4: the envelope id is printable US-ASCII, at most 100 characters,
 * and goes on the wire as xtext (§4), so a space, "+" or "=" in it can neither end
 * the parameter nor start another.
 */
export function dsnEnvidValue(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new UsageError(`--dsn-envid may only hold printable US-ASCII (no CR, LF, NUL or other control characters): ${JSON.stringify(value)}`, 'RFC 3461 §4.4; the server echoes it in the DSN');
  if (value.length === 0 || value.length > MAX_ENVID_LENGTH) throw new UsageError(`--dsn-envid must be 1 to ${MAX_ENVID_LENGTH} characters (got ${value.length})`, 'RFC 3461 §4.4');
  return encodeXtext(value);
}

/** RFC 3461 §4: "!" to "~" stand for themselves, except "+" and "="; every other octet is "+" and two upper-case hex digits. */
export function encodeXtext(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    encoded += byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The --dsn-* flags, checked before anything is sent. */
export function dsnRequest(flags: { dsnNotify?: string; dsnRet?: string; dsnEnvid?: string }): DsnRequest {
  return {
    notify: flags.dsnNotify !== undefined ? dsnNotifyValue(flags.dsnNotify) : null,
    ret: flags.dsnRet !== undefined ? dsnRetValue(flags.dsnRet) : null,
    envid: flags.dsnEnvid !== undefined ? dsnEnvidValue(flags.dsnEnvid) : null,
  };
}
