import type { AuthRequest } from '../core/authenticate.js';
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
