import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';

/**
 * swaks's options of several letters behind one dash that commander would read as a
 * short option and its value: `-tls` as `-t ls` (a recipient "ls", and no TLS at all),
 * `-stl` as `-s tl` (a server "tl"). Each with its smtpcheck spelling
 * (docs/coming-from-swaks.md#same-letters-other-meanings).
 */
const SWAKS_SINGLE_DASH: Readonly<Record<string, string>> = {
  '-tls': '--tls',
  '-tlso': '--tls-optional',
  '-tlsos': '--tls (STARTTLS required) or --tls-optional (STARTTLS when it works)',
  '-tlsc': '--tls-on-connect',
  '-tlsp': '--tls-min VERSION and --tls-max VERSION',
  '-stl': '--show-time',
};

/**
 * The usage error for the first swaks spelling among `args` (what follows the command
 * name), or undefined. A word that is the value of the option before it (`--subject -tls`)
 * is text, not an option.
 */
export function swaksSpellingError(command: Command | undefined, args: readonly string[]): UsageError | undefined {
  const takesValue = (token: string) => command?.options.some((option) => (option.long === token || option.short === token) && (option.required || option.optional)) ?? false;
  for (let index = 0; index < args.length; index++) {
    const token = args[index]!;
    if (token === '--') return undefined;
    const spelling = SWAKS_SINGLE_DASH[token];
    if (spelling !== undefined && !(index > 0 && takesValue(args[index - 1]!))) {
      return new UsageError(`${token} is swaks's spelling; here it would read as ${token.slice(0, 2)} ${token.slice(2)}`, `write ${spelling}`);
    }
  }
  return undefined;
}
