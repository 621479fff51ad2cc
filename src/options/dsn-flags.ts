import type { DsnRequest } from '../core/dsn.js';
import { encodeXtext } from '../core/dsn.js';
import { UsageError } from '../core/errors.js';

// The --dsn-* flags (RFC 3461), checked before anything is sent; core/dsn.ts has the
// request's type and the xtext encoding.

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

/** The --dsn-* flags, checked before anything is sent. */
export function dsnRequest(flags: { dsnNotify?: string; dsnRet?: string; dsnEnvid?: string }): DsnRequest {
  return {
    notify: flags.dsnNotify !== undefined ? dsnNotifyValue(flags.dsnNotify) : null,
    ret: flags.dsnRet !== undefined ? dsnRetValue(flags.dsnRet) : null,
    envid: flags.dsnEnvid !== undefined ? dsnEnvidValue(flags.dsnEnvid) : null,
  };
}
