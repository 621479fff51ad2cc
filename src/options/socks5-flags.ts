import { readFileSync } from 'node:fs';
import type { Socks5Proxy } from '../core/socks5.js';
import { UsageError } from '../core/errors.js';
import { canPrompt, promptSecret } from './credentials.js';
import { parsePort } from './target.js';

/** --socks5 and its credentials (docs/connection.md#socks5). */
export interface Socks5Flags {
  socks5?: string;
  socks5User?: string;
  socks5PasswordFile?: string;
  /** Typed at the prompt (promptSocks5Password); never a flag, so never in argv. */
  socks5PasswordTyped?: string;
}

/**
 * On a terminal, ask for the SOCKS5 password when neither $SMTPCHECK_SOCKS5_PASSWORD
 * nor --socks5-password-file gives it: before anything connects, like the AUTH password.
 */
export async function promptSocks5Password(flags: Socks5Flags): Promise<void> {
  if (flags.socks5 === undefined || flags.socks5User === undefined || flags.socks5PasswordFile !== undefined) return;
  if (process.env.SMTPCHECK_SOCKS5_PASSWORD || !canPrompt()) return;
  flags.socks5PasswordTyped = await promptSecret(`SOCKS5 password for ${flags.socks5User}:`, 'connect');
}

/**
 * The SOCKS5 server to connect through, checked before connecting. Its password
 * comes from $SMTPCHECK_SOCKS5_PASSWORD or --socks5-password-file, never argv.
 */
export function socks5ProxyFrom(flags: Socks5Flags): Socks5Proxy | undefined {
  if (flags.socks5 === undefined) {
    if (flags.socks5User !== undefined || flags.socks5PasswordFile !== undefined) throw new UsageError('--socks5-user and --socks5-password-file need --socks5 HOST:PORT', 'add --socks5 HOST:PORT');
    return undefined;
  }
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(flags.socks5) ?? /^([^:\s[\]]+):(\d+)$/.exec(flags.socks5);
  if (!match) throw new UsageError(`--socks5 ${JSON.stringify(flags.socks5)} is not HOST:PORT`, 'e.g. --socks5 127.0.0.1:1080, or [::1]:1080 for IPv6');
  const proxy: Socks5Proxy = { host: match[1]!, port: parsePort(match[2]!, '--socks5') };
  if (flags.socks5User === undefined) {
    if (flags.socks5PasswordFile !== undefined) throw new UsageError('--socks5-password-file needs --socks5-user', 'add --socks5-user USER');
    return proxy;
  }
  const user = Buffer.byteLength(flags.socks5User);
  if (user < 1 || user > 255) throw new UsageError('--socks5-user must be 1 to 255 octets (RFC 1929)', 'give the user name the SOCKS server knows');
  return { ...proxy, user: flags.socks5User, password: socks5Password(flags) };
}

function socks5Password(flags: Socks5Flags): string {
  const fromEnv = process.env.SMTPCHECK_SOCKS5_PASSWORD;
  let password: string | undefined = fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
  if (password === undefined && flags.socks5PasswordFile !== undefined) {
    try {
      // One trailing newline is what editors and `echo` add; it is never part of the password.
      password = readFileSync(flags.socks5PasswordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`cannot read --socks5-password-file ${flags.socks5PasswordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path and its permissions');
    }
  }
  password ??= flags.socks5PasswordTyped;
  if (password === undefined) throw new UsageError(`no SOCKS5 password for ${flags.socks5User}`, 'set SMTPCHECK_SOCKS5_PASSWORD, or use --socks5-password-file FILE (or run on a terminal to be prompted)');
  const length = Buffer.byteLength(password);
  if (length < 1 || length > 255) throw new UsageError('the SOCKS5 password must be 1 to 255 octets (RFC 1929)', 'check SMTPCHECK_SOCKS5_PASSWORD or the password file');
  return password;
}
