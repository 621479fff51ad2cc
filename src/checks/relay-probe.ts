import type { Reply } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome, Role, Severity } from './check.js';
import { fail, inconclusive, pass } from './check.js';
import type { CheckContext, SessionTls } from './context.js';

/** One relay attempt: the envelope a probe sends. */
export interface RelayVector {
  /** The address form under test, e.g. `<r%example.net@example.org>`. */
  form: string;
  mailFrom: string;
  rcptTo: string;
}

export type RelayProbeOutcome = 'relayed' | 'refused' | 'inconclusive';

export interface RelayProbeResult {
  form: string;
  mailFrom: string;
  rcptTo: string;
  mail: string;
  control: string | null;
  probe: string | null;
  outcome: RelayProbeOutcome;
  reason: string;
}

const accepted = (reply: Reply) => reply.code === 250 || reply.code === 251;

/**
 * One probe, on its own session (catalogue §1.5: stop at RCPT, then RSET; never
 * DATA). On an MX the session also asks for the control recipient: a server that
 * refuses hosted mail too proves nothing by refusing the relay (rule 3). A probe
 * that is accepted is a relay whatever the control said. An MX that demands TLS
 * first (530) is probed again inside TLS: refusing plaintext says nothing about
 * what it relays once TLS is up.
 */
export async function probeRelay(context: CheckContext, vector: RelayVector, tls: SessionTls = context.role === 'mta' ? 'none' : 'tls'): Promise<RelayProbeResult> {
  const session = await context.open(tls);
  let outcome: RelayProbeResult | 'needs-tls';
  try {
    outcome = await attemptRelay(context, session, vector, tls === 'none' && (session.capabilities?.startTls ?? false));
  } finally {
    await context.done(session);
  }
  return outcome === 'needs-tls' ? probeRelay(context, vector, 'tls') : outcome;
}

async function attemptRelay(context: CheckContext, session: SmtpSession, vector: RelayVector, canStartTls: boolean): Promise<RelayProbeResult | 'needs-tls'> {
  const base = { form: vector.form, mailFrom: vector.mailFrom, rcptTo: vector.rcptTo };
  const mail = await session.mailFrom(vector.mailFrom);
  if (mail.code === 530 && canStartTls) return 'needs-tls';
  if (mail.code !== 250) return { ...base, mail: replySummary(mail), control: null, probe: null, outcome: 'refused', reason: `sender refused: ${replySummary(mail)}` };
  const control = context.role === 'mta' ? await session.rcptTo(context.target.localRecipient) : null;
  const probe = await session.rcptTo(vector.rcptTo);
  await session.reset();
  const result = { ...base, mail: replySummary(mail), control: control ? replySummary(control) : null, probe: replySummary(probe) };
  if (accepted(probe)) return { ...result, outcome: 'relayed', reason: `accepted: ${replySummary(probe)}` };
  if (control && !accepted(control)) {
    return { ...result, outcome: 'inconclusive', reason: `control recipient ${context.target.localRecipient} refused too (${replySummary(control)}): a server that refuses hosted mail proves nothing by refusing relay` };
  }
  return { ...result, outcome: 'refused', reason: replySummary(probe) };
}

const controlAccepted = (result: RelayProbeResult) => result.control !== null && /^25[01]/.test(result.control);

/** Probes run concurrently, each in its own session, bounded by the run's connection slots. */
export async function probeAll(context: CheckContext, vectors: readonly RelayVector[]): Promise<RelayProbeResult[]> {
  return Promise.all(vectors.map((vector) => probeRelay(context, vector)));
}

/** Judge a family of probes: any relay fails it; otherwise any inconclusive control makes it inconclusive. */
export function judgeRelayProbes(context: CheckContext, results: RelayProbeResult[]): CheckOutcome {
  const relayed = results.filter((result) => result.outcome === 'relayed');
  const evidence = results.map((result) => `${result.outcome.toUpperCase().padEnd(12)} MAIL FROM:<${result.mailFrom}> RCPT TO:<${result.rcptTo}> → ${result.probe ?? result.mail}${result.control ? `  [control: ${result.control}]` : ''}`);
  const details = results;
  if (relayed.length > 0) {
    // Catalogue §1.6: a server relays for $mynetworks by design, so say where we probed from.
    const trusted = context.role === 'mta' && (context.serverAddress === '127.0.0.1' || context.serverAddress === '::1') ? ' (probed from loopback: if the server trusts it in mynetworks, this is by design; confirm from an untrusted address)' : '';
    return fail(`${relayed.length} of ${results.length} address forms relayed: ${relayed.map((result) => result.form).join(', ')}${trusted}`, { evidence, details });
  }
  const unsettled = results.filter((result) => result.outcome === 'inconclusive');
  if (unsettled.length > 0) {
    return inconclusive(`no form relayed, but ${unsettled[0]!.reason}`, { evidence, details });
  }
  // Rule 3 for the family as a whole: refusals count only if hosted mail got through
  // at least once (a server refusing every sender would otherwise pass).
  if (context.role === 'mta' && !results.some(controlAccepted)) {
    return inconclusive(`no form relayed, but no probe got as far as the control recipient (${results[0]?.reason ?? 'no probes'})`, { evidence, details });
  }
  const refusedBy = [...new Set(results.map((result) => (result.probe ?? result.mail).slice(0, 3)))].join('/');
  return pass(`all ${results.length} address forms refused (${refusedBy})${context.role === 'mta' ? ', control recipient accepted' : ', no AUTH'}`, { evidence, details });
}

export const RELAY_FIX =
  'Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination (or reject_unauth_destination), and a mynetworks that lists only hosts you trust (never 0.0.0.0/0); Exim: keep relay_from_hosts narrow and "require verify = recipient"; OpenSMTPD: relay only "from local" or "auth"';

/** A relay-family check whose vectors depend on the target's placeholders. */
export function relayFormCheck(spec: {
  id: string;
  title: string;
  roles?: readonly Role[];
  severity?: Severity;
  fix?: string;
  vectors(context: CheckContext, names: RelayNames): RelayVector[];
}): CheckDefinition {
  return {
    id: spec.id,
    title: spec.title,
    roles: spec.roles ?? ['mta'],
    severity: spec.severity ?? 'crit',
    fix: spec.fix ?? RELAY_FIX,
    async run(context) {
      const names = await relayNames(context);
      return judgeRelayProbes(context, await probeAll(context, spec.vectors(context, names)));
    },
  };
}

/** The placeholders relay vectors are built from. {srv} and {ip} come from a first greeting. */
export interface RelayNames {
  ext: string;
  ext2: string;
  loc: string;
  srv: string;
  ip: string;
}

export async function relayNames(context: CheckContext): Promise<RelayNames> {
  if (!context.bannerHost || !context.serverAddress) {
    const session = await context.open('none', { ehlo: false });
    await context.done(session);
  }
  return {
    ext: context.target.foreignDomain,
    ext2: context.target.foreignDomain2,
    loc: context.target.localDomain,
    srv: context.bannerHost ?? context.target.host,
    ip: context.serverAddress ?? context.target.host,
  };
}
