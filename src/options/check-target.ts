import type { CheckTarget } from '../checks/context.js';
import { ConnectionSlots } from '../checks/connection-slots.js';
import { RetryBudget } from '../checks/deferral-retry.js';
import { DEFAULT_CONCURRENCY } from '../checks/runner.js';
import type { Role } from '../checks/check.js';
import { UsageError } from '../core/errors.js';
import type { Transcript } from '../core/transcript.js';
import { assertMailbox } from '../core/wire-text.js';
import type { AuthFlags } from './auth-flags.js';
import { authRequestFrom } from './auth-flags.js';
import type { ConnectionSpec } from '../core/connection-spec.js';
import type { ConnectionFlags } from './connection-options.js';
import { connectionSpecFrom } from './connection-options.js';

export interface TargetFlags extends ConnectionFlags, PlaceholderFlags {}

/** What a check target holds besides its connection: the role, the placeholders, the login, the run's limits. */
export interface PlaceholderFlags extends AuthFlags {
  role?: string;
  localDomain?: string;
  localRecipient?: string;
  foreignDomain?: string;
  alias?: string;
  otherSender?: string;
  concurrency?: string;
  retryDeferred?: string;
}

/** The default EHLO name {h} (docs/checks.md#how-the-checks-talk-to-the-server): a name that is obviously a test and never resolves to a real host. */
export const CHECK_HELO_NAME = 'smtpcheck.example';

// RFC 2606 names: they never route, so a relay probe to them can deliver nothing.
const FOREIGN_CANDIDATES = ['example.net', 'example.com', 'example.edu'];

/** Letters, digits, hyphens and dots (IDNA names as their A-labels); nothing that could break a command line. */
export const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const ROLE_BY_PORT: Record<number, Role> = { 25: 'mta', 587: 'submission', 465: 'submissions' };

export function roleFrom(flag: string | undefined, port: number, tlsOnConnect: boolean): Role {
  if (flag !== undefined) {
    const normalised = flag === 'mx' ? 'mta' : flag;
    if (normalised === 'mta' || normalised === 'submission' || normalised === 'submissions') return normalised;
    throw new UsageError(`--role ${flag} is not a role`, 'use mta (port 25), submission (587) or submissions (465)');
  }
  return ROLE_BY_PORT[port] ?? (tlsOnConnect ? 'submissions' : 'mta');
}

/** The placeholders and connection settings every check of a run shares, from the command line. */
export async function checkTargetFrom(flags: TargetFlags, transcript: Transcript, password?: string): Promise<CheckTarget> {
  return checkTargetFor(connectionSpecFrom({ ...flags, helo: flags.helo ?? CHECK_HELO_NAME }), flags, transcript, password);
}

/** A check target for a connection already parsed (a suite target: suiteConnection in src/cli/suite.ts), with its placeholders. */
export async function checkTargetFor(connection: ConnectionSpec, flags: PlaceholderFlags, transcript: Transcript, password?: string): Promise<CheckTarget> {
  const role = roleFrom(flags.role, connection.port, connection.tlsMode === 'implicit');
  if (role === 'submissions' && connection.tlsMode !== 'implicit' && connection.tlsMode !== 'none') {
    throw new UsageError('role submissions uses implicit TLS', 'drop --tls/--tls-optional (465 speaks TLS from the first byte)');
  }
  const auth = await authRequestFrom(password !== undefined ? { ...flags, authPassword: undefined, authPasswordFile: undefined } : flags, transcript, password);
  if (flags.localRecipient) assertMailbox(flags.localRecipient, '--local-recipient');
  for (const [flag, value] of [['--local-domain', flags.localDomain], ['--foreign-domain', flags.foreignDomain]] as const) {
    if (value !== undefined && !DOMAIN.test(value)) throw new UsageError(`${flag} is not a domain name: ${JSON.stringify(value)}`, 'give a name like example.org');
  }
  const localDomain = (flags.localDomain ?? flags.localRecipient?.split('@')[1] ?? auth?.user.split('@')[1])?.toLowerCase();
  if (!localDomain) {
    throw new UsageError('no local domain to test with', 'give --local-recipient ADDRESS (a mailbox the server hosts) or --local-domain DOMAIN');
  }
  const foreign = flags.foreignDomain ? [flags.foreignDomain, ...FOREIGN_CANDIDATES] : FOREIGN_CANDIDATES;
  const [foreignDomain, foreignDomain2] = foreign.filter((domain, index, all) => domain !== localDomain && all.indexOf(domain) === index);
  for (const [flag, value] of [['--alias', flags.alias], ['--other-sender', flags.otherSender]] as const) if (value) assertMailbox(value, flag);
  const concurrency = flags.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw new UsageError(`--concurrency ${flags.concurrency} is not a number from 1 to 100`, 'e.g. --concurrency 4 for a server that limits connections per client');
  const retryDeferred = flags.retryDeferred === undefined ? 0 : Number(flags.retryDeferred);
  // An hour covers every greylisting delay in use (postgrey's default is 300 s).
  if (!Number.isFinite(retryDeferred) || retryDeferred < 0 || retryDeferred > 3600) throw new UsageError(`--retry-deferred ${flags.retryDeferred} is not a number of seconds from 0 to 3600`, 'e.g. --retry-deferred 300 for a greylisting delay of five minutes');
  return {
    connection,
    role,
    roleAssumed: flags.role === undefined && !(connection.port in ROLE_BY_PORT),
    localDomain,
    localRecipient: flags.localRecipient ?? `postmaster@${localDomain}`,
    recipientGiven: flags.localRecipient !== undefined,
    foreignDomain: foreignDomain!,
    foreignDomain2: foreignDomain2!,
    ...(auth ? { credentials: { user: auth.user, password: auth.secret } } : {}),
    ...(flags.alias ? { alias: flags.alias } : {}),
    ...(flags.otherSender ? { otherSender: flags.otherSender } : {}),
    slots: new ConnectionSlots(concurrency),
    retryDeferredMs: Math.round(retryDeferred * 1000),
    retryBudget: new RetryBudget(),
  };
}
