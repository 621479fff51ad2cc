import { UsageError } from '../core/errors.js';
import { printable } from '../render/printable.js';

/**
 * `:b64`: the `printf '\0user\0password' | base64` step of a hand-made AUTH PLAIN,
 * and its reverse. TEXT understands the escapes printf users reach for.
 */
export function unescapeText(text: string): string {
  return text.replace(/\\(0|n|r|t|\\)/g, (_, char: string) => ({ '0': '\0', n: '\n', r: '\r', t: '\t', '\\': '\\' })[char]!);
}

export function encodeBase64Text(text: string): string {
  return Buffer.from(unescapeText(text), 'utf8').toString('base64');
}

/** The decoded text on one line, NUL shown as \0 and line ends as \n, other control characters escaped: safe for the terminal. */
export function decodeBase64Text(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new UsageError(`not base64: ${JSON.stringify(text.slice(0, 60))}`, 'base64 uses A-Z, a-z, 0-9, + and /, padded with =');
  }
  return printable(Buffer.from(compact, 'base64').toString('utf8').replace(/\0/g, '\\0').replace(/\n/g, '\\n'));
}
