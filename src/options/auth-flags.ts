import type { AuthRequest } from '../core/authenticate.js';
import type { TlsMode } from '../core/establish.js';
import { UsageError } from '../core/errors.js';
import type { Transcript } from '../core/transcript.js';
import { assertSingleLine } from '../core/wire-text.js';
import { resolvePassword } from './credentials.js';

export interface AuthFlags {
  authUser?: string;
  authPassword?: string;
  authPasswordFile?: string;
  authMech?: string;
  allowPlaintextAuth?: boolean;
}

/**
 * A login needs TLS unless --allow-plaintext-auth says otherwise. Asked before the
 * password is fetched, so that nobody types a password for a run that is refused.
 */
export function assertAuthCanBeEncrypted(flags: AuthFlags, tlsMode: TlsMode): void {
  if (flags.authUser && tlsMode === 'none' && !flags.allowPlaintextAuth) {
    throw new UsageError('--auth-user given without TLS', 'add --tls (STARTTLS) or --tls-on-connect so the password is encrypted, or --allow-plaintext-auth');
  }
}

/** Turn the --auth-* flags into a request, fetching the password from wherever the user keeps it. */
export async function authRequestFrom(flags: AuthFlags, transcript: Transcript, knownPassword?: string): Promise<AuthRequest | null> {
  if (!flags.authUser) {
    if (flags.authPassword !== undefined || flags.authPasswordFile !== undefined) throw new UsageError('a password was given without --auth-user', 'add --auth-user USER');
    return null;
  }
  const user = assertSingleLine(flags.authUser, '--auth-user');
  const password = knownPassword ?? (await resolvePassword(user, flags, (message) => transcript.warn(message))).password;
  return {
    user,
    secret: password,
    ...(flags.authMech && flags.authMech.toLowerCase() !== 'all' ? { mechanism: flags.authMech } : {}),
    allowPlaintext: flags.allowPlaintextAuth ?? false,
  };
}
