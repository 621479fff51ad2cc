import { SmtpCheckError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import { deferralOf, replyDisposition } from '../core/deferral.js';
import { recipientAccepted, replySummary } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import type { CheckDefinition, Role, Severity } from './check.js';
import type { CheckContext, SessionTls } from './context.js';
import { describeAttempts, settleDeferrals } from './deferral-retry.js';
import type { GroupAttempt, GroupStep, RelayProbeResult, RelayVector } from './relay-rules.js';
import {
  acceptedReason,
  envelope,
  groupBySender,
  groupSteps,
  judgeGroup,
  judgeRefusal,
  judgeRelayProbes,
  MAX_PROBES_PER_SESSION,
  MAX_SYNTAX_ERRORS_PER_SESSION,
  senderNotAccepted,
  withinSyntaxBudget,
  withNullSenderTwins,
} from './relay-rules.js';
import { attemptInSession, NEEDS_TLS } from './tls-on-demand.js';

const defaultTls = (context: CheckContext): SessionTls => (context.role === 'mta' ? 'none' : 'tls');


/**
 * One probe, on its own session (docs/checks.md#safety-rules-and-the-source-address, rule 2:
 * stop at RCPT, then RSET; never DATA). On an MX the session also asks for the control recipient: a server that
 * refuses hosted mail too proves nothing by refusing the relay (rule 3 there). A probe
 * that is accepted is a relay whatever the control said. A deferred probe is asked
 * again as a real client would (settleDeferrals); one still deferred stays deferred.
 */
export async function probeRelay(context: CheckContext, vector: RelayVector, tls: SessionTls = defaultTls(context)): Promise<RelayProbeResult> {
  const { result, deferred, gaveUp } = await settleDeferrals(
    context,
    async () => (await attemptInSession(context, tls, (session, canStartTls) => attemptRelay(context, session, vector, canStartTls))).result,
    (result) => result.deferral,
  );
  if (deferred.length === 0) return result;
  const history = describeAttempts(deferred);
  return { ...result, reason: `${result.reason} (${history}${result.outcome === 'deferred' && gaveUp ? `; ${gaveUp}` : ''})` };
}

async function attemptRelay(context: CheckContext, session: SmtpSession, vector: RelayVector, canStartTls: boolean): Promise<RelayProbeResult | typeof NEEDS_TLS> {
  const mail = await session.mailFrom(vector.mailFrom);
  if (mail.code === 530 && canStartTls) return NEEDS_TLS;
  if (replyDisposition(mail) !== 'accepted') return senderNotAccepted(vector, mail);
  const control = context.role === 'mta' ? await session.rcptTo(context.target.localRecipient) : null;
  const probe = await session.rcptTo(vector.rcptTo);
  await session.reset();
  const controlAccepted = control ? recipientAccepted(control) : null;
  const result = { ...envelope(vector), mail, control, controlAccepted, probe, deferral: null };
  if (recipientAccepted(probe)) return { ...result, outcome: 'relayed', reason: acceptedReason(probe) };
  if (control && !controlAccepted) {
    const controlDeferral = deferralOf(control, { controlDeferred: true });
    if (controlDeferral) return { ...result, outcome: 'deferred', reason: `the control recipient ${context.target.localRecipient} was deferred too (${replySummary(control)})`, deferral: controlDeferral };
    return { ...result, outcome: 'inconclusive', reason: `control recipient ${context.target.localRecipient} refused too (${replySummary(control)}): a server that refuses hosted mail proves nothing by refusing relay` };
  }
  return { ...result, ...judgeRefusal(probe, 'RCPT') };
}

/**
 * Probes sharing a sender share a session and a transaction (docs/checks.md#safety-rules-and-the-source-address, rule 2: stop at
 * RCPT, then RSET): MAIL FROM, the groupSteps RCPTs in lockstep, RSET. An accepted
 * probe is a relay wherever it was asked. The group's refusals count only if both
 * controls were accepted and the whole exchange completed; otherwise every probe not
 * accepted is asked again alone (probeRelay), and that answer is the one judged. An
 * MX that demands TLS first (530 to MAIL) gets the whole group again inside TLS. A
 * group left unsettled by a deferral (postscreen's 450 to every RCPT, greylisting of
 * each new sender/recipient pair) is asked again whole, as a real client retries its
 * transaction (settleDeferrals), before anything is asked alone: one retry a group,
 * not one a form, so the run's retry budget covers every family. Never after an
 * acceptance, which a retry that refuses must not hide.
 *
 * Lockstep, not pipelined: SmtpSession.pipeline returns all replies or none, and an
 * acceptance that came before a break must never be lost to a re-run that refuses.
 */
async function probeGroup(context: CheckContext, group: RelayVector[]): Promise<RelayProbeResult[]> {
  const { result: attempt, deferred } = await settleDeferrals(
    context,
    () => attemptInSession(context, defaultTls(context), (session, canStartTls) => attemptGroup(context, session, group, canStartTls)),
    ({ result }) => (result.results.some((probe) => probe?.outcome === 'relayed') ? null : result.deferral),
  );
  const { result, tls } = attempt;
  const { results, unsettled } = result;
  const history = deferred.length > 0 ? ` (the group's session: ${describeAttempts(deferred)})` : '';
  return Promise.all(
    group.map(async (vector, index) => {
      const settled = results[index];
      if (settled) return history ? { ...settled, reason: `${settled.reason}${history}` } : settled;
      const alone = await probeRelay(context, vector, tls);
      return { ...alone, reason: `${alone.reason} (asked alone: ${unsettled})` };
    }),
  );
}

async function attemptGroup(context: CheckContext, session: SmtpSession, group: RelayVector[], canStartTls: boolean): Promise<GroupAttempt | typeof NEEDS_TLS> {
  const steps = groupSteps(group, context.role === 'mta');
  const answers: { step: GroupStep; reply: Reply }[] = [];
  let mail: Reply | null = null;
  let broken: string | null = null;
  try {
    const sender = await session.mailFrom(group[0]!.mailFrom);
    mail = sender;
    if (sender.code === 530 && canStartTls) return NEEDS_TLS;
    if (replyDisposition(sender) === 'refused') return { results: group.map((vector) => senderNotAccepted(vector, sender)), unsettled: null, deferral: null };
    // Deferred or odd: each probe is asked alone, where deferrals are retried.
    if (replyDisposition(sender) !== 'accepted') return { results: group.map(() => null), unsettled: `MAIL was answered ${replySummary(sender)}`, deferral: deferralOf(sender) };
    for (const step of steps) {
      if (!withinSyntaxBudget(answers.map((answer) => answer.reply))) {
        broken = `the group stopped after ${MAX_SYNTAX_ERRORS_PER_SESSION} syntax errors, to stay under the server's error limit`;
        break;
      }
      answers.push({ step, reply: await session.rcptTo(step === 'control' ? context.target.localRecipient : step.rcptTo) });
    }
    await session.reset();
  } catch (error) {
    if (!(error instanceof SmtpCheckError)) throw error;
    broken = `the group's session broke: ${error.message}`;
  }
  return judgeGroup(context.target.localRecipient, group, answers, mail, broken);
}

/**
 * Every probe of a family: those sharing a sender in groups (probeGroup), the groups
 * concurrently, bounded by the run's connection slots. Results in the order given.
 */
export async function probeAll(context: CheckContext, vectors: readonly RelayVector[]): Promise<RelayProbeResult[]> {
  const results = new Map<RelayVector, RelayProbeResult>();
  // Only the controls show that a refusal in a shared transaction was not caused by an
  // earlier one (a server that refuses everything after one error): without them
  // (submission), one probe to a session, as before groups.
  const perSession = context.role === 'mta' ? MAX_PROBES_PER_SESSION : 1;
  await Promise.all(
    groupBySender(vectors, perSession).map(async (group) => {
      const answers = await probeGroup(context, group);
      group.forEach((vector, index) => results.set(vector, answers[index]!));
    }),
  );
  return vectors.map((vector) => results.get(vector)!);
}

export const RELAY_FIX =
  'Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination (or reject_unauth_destination), and a mynetworks that lists only hosts you trust (never 0.0.0.0/0); Exim: a relay_from_hosts that lists only hosts you trust, and in acl_smtp_rcpt, after the accepts for +relay_from_hosts and authenticated = *, "require domains = +local_domains : +relay_to_domains" and "require verify = recipient"; OpenSMTPD: relay only "from local" or "auth"';

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
      return judgeRelayProbes(context.role, await probeAll(context, withNullSenderTwins(spec.vectors(context, names))), names.ip);
    },
  };
}

/** The placeholders relay vectors are built from. {srv} and {ip} come from the run's first greeting. */
export interface RelayNames {
  ext: string;
  ext2: string;
  loc: string;
  srv: string;
  ip: string;
}

export async function relayNames(context: CheckContext): Promise<RelayNames> {
  const identity = await context.serverIdentity();
  return {
    ext: context.target.foreignDomain,
    ext2: context.target.foreignDomain2,
    loc: context.target.localDomain,
    srv: identity.bannerHost ?? context.target.host,
    ip: identity.address,
  };
}
