import type { ChalkInstance } from 'chalk';
import { authenticate, selectMechanism } from '../core/authenticate.js';
import { establishSession } from '../core/establish.js';
import type { EstablishOptions } from '../core/establish.js';
import { AuthError, UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import { replySummary } from '../core/reply.js';
import { findMechanism } from '../core/sasl.js';
import { printable } from '../render/printable.js';
import type { AuthFlags } from '../options/auth-flags.js';
import { authRequestFrom } from '../options/auth-flags.js';
import type { ConnectionFlags } from '../options/connection-options.js';
import { establishOptionsFrom, saveChain } from '../options/connection-options.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';

export type AuthCommandFlags = ConnectionFlags & OutputFlags & AuthFlags;

/**
 * `smtpcheck auth`: connect, bring TLS up (STARTTLS is required unless
 * --allow-plaintext-auth), log in, report, QUIT. `--auth-mech all` tries every
 * advertised mechanism, each on its own connection (a session can log in only once).
 */
export async function runAuth(flags: AuthCommandFlags): Promise<number> {
  const output = new CommandOutput('auth', flags);
  try {
    if (!flags.authUser) throw new UsageError('no user to authenticate as', 'add --auth-user USER (the password comes from SMTPCHECK_PASSWORD, --auth-password-file or a prompt)');
    const options = establishOptionsFrom(flags, output.transcript, flags.allowPlaintextAuth ? 'starttls-optional' : 'starttls');
    const request = (await authRequestFrom(flags, output.transcript))!;
    if (flags.authMech?.toLowerCase() === 'all') return await authWithEveryMechanism(options, request, flags, output);
    const session = await establishSession(options);
    saveChain(flags, session.tls?.chain);
    let outcome;
    try {
      outcome = await authenticate(session, request);
    } finally {
      await session.quit();
    }
    output.summary(`authenticated as ${request.user} with ${outcome.mechanism}: ${replySummary(outcome.reply)}`, true);
    return output.finish({ server: `${options.host}:${options.port}`, user: request.user, mechanism: outcome.mechanism, reply: outcome.reply, tls: session.tls?.protocol ?? null }, ExitCode.ok);
  } catch (error) {
    return output.fail(error);
  }
}

async function authWithEveryMechanism(options: EstablishOptions, request: NonNullable<Awaited<ReturnType<typeof authRequestFrom>>>, flags: AuthCommandFlags, output: CommandOutput): Promise<number> {
  const probe = await establishSession(options);
  saveChain(flags, probe.tls?.chain);
  const offered = probe.capabilities?.authMechanisms ?? [];
  await probe.quit();
  if (offered.length === 0) selectMechanism(probe, {}); // throws the explanatory "no AUTH" error
  const rows: MechanismRow[] = [];
  for (const name of offered) {
    const mechanism = findMechanism(name);
    if (!mechanism || mechanism.usesToken) {
      rows.push({ mechanism: name, result: mechanism ? 'skipped: needs a bearer token, not a password' : 'not supported by smtpcheck', ok: null });
      continue;
    }
    output.print(output.palette.dim(`=== trying ${printable(name)}`));
    const session = await establishSession(options);
    try {
      const outcome = await authenticate(session, { ...request, mechanism: name });
      rows.push({ mechanism: name, result: replySummary(outcome.reply), ok: true });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      rows.push({ mechanism: name, result: error.reply ? replySummary(error.reply) : error.message, ok: false });
    } finally {
      await session.quit();
    }
  }
  output.print(['', ...renderMechanismTable(rows, output.palette)].join('\n'));
  const failed = rows.filter((row) => row.ok === false).length;
  const passed = rows.filter((row) => row.ok).length;
  output.summary(`${passed} of ${rows.length} mechanisms accepted ${request.user}`, failed === 0 && passed > 0);
  return output.finish({ server: `${options.host}:${options.port}`, user: request.user, mechanisms: rows }, failed === 0 && passed > 0 ? ExitCode.ok : ExitCode.auth);
}

export interface MechanismRow {
  /** As the server advertised it. */
  mechanism: string;
  /** The server's reply, or why the mechanism was not tried. */
  result: string;
  /** null: not tried. */
  ok: boolean | null;
}

/**
 * The `--auth-mech all` table. Mechanism names come from the server's EHLO and
 * results quote its replies: escaped before they are padded and coloured.
 */
export function renderMechanismTable(rows: MechanismRow[], c: ChalkInstance): string[] {
  const shown = rows.map((row) => ({ ...row, mechanism: printable(row.mechanism), result: printable(row.result) }));
  const width = Math.max(9, ...shown.map((row) => row.mechanism.length));
  return [c.bold(`${'MECHANISM'.padEnd(width)}  RESULT`), ...shown.map((row) => `${(row.ok ? c.green : row.ok === false ? c.red : c.dim)(row.mechanism.padEnd(width))}  ${row.result}`)];
}
