import { SmtpCheckError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import { DEFERRAL_ADVICE, deferralOf, replyDisposition } from '../core/deferral.js';
import type { Deferral } from '../core/deferral.js';
import { isSyntaxRefusal, oddAcceptance, recipientAccepted, replySummary } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import type { CheckDefinition, CheckOutcome, Role, Severity } from './check.js';
import { fail, inconclusive, pass } from './check.js';
import type { CheckContext, SessionTls } from './context.js';
import type { CheckDetails, Evidence } from './evidence.js';
import { describeAttempts, settleDeferrals } from './deferral-retry.js';
import { attemptInSession, NEEDS_TLS } from './tls-on-demand.js';

/** One relay attempt: the envelope a probe sends. */
export interface RelayVector {
  /** The address form under test, e.g. `<r%example.net@example.org>`. */
  form: string;
  mailFrom: string;
  rcptTo: string;
  /** Set on a form's null-sender twin (withNullSenderTwins): the form it repeats from `<>`. */
  twinOf?: string;
}

export type RelayProbeOutcome = 'relayed' | 'refused' | 'deferred' | 'inconclusive';

export interface RelayProbeResult {
  form: string;
  twinOf?: string;
  mailFrom: string;
  rcptTo: string;
  /** The reply to MAIL; null when the session broke before one came. */
  mail: Reply | null;
  /** The (last) reply to the control recipient; null where none was asked. */
  control: Reply | null;
  /** The control recipient was accepted in the probe's session; null where there is no control (submission). */
  controlAccepted: boolean | null;
  /** The reply to the probe's RCPT; null when MAIL was not accepted. */
  probe: Reply | null;
  outcome: RelayProbeOutcome;
  reason: string;
  /** Set when the outcome is `deferred`: the class and the reply (docs/checks.md#deferrals). */
  deferral: Deferral | null;
}


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

/** The outcome of a reply that is not an acceptance: only a definite refusal is a refusal (docs/checks.md#deferrals). */
function judgeRefusal(reply: Reply, command: string): Pick<RelayProbeResult, 'outcome' | 'reason' | 'deferral'> {
  const disposition = replyDisposition(reply);
  if (disposition === 'refused') return { outcome: 'refused', reason: replySummary(reply), deferral: null };
  const deferral = deferralOf(reply);
  if (deferral) return { outcome: 'deferred', reason: `${command} deferred (${deferral.class}): ${replySummary(reply)}`, deferral };
  return { outcome: 'inconclusive', reason: `${command} answered ${replySummary(reply)}: neither an acceptance nor a refusal`, deferral: null };
}

/** RFC 5321 §4.2.1: any 2yz accepts; an odd one is said so. */
function acceptedReason(reply: Reply, how = ''): string {
  return `accepted${how}${oddAcceptance(reply) ? ` with the odd code ${reply.code} (any 2yz is an acceptance, RFC 5321 §4.2.1)` : ''}: ${replySummary(reply)}`;
}

const envelope = (vector: RelayVector) => ({ form: vector.form, mailFrom: vector.mailFrom, rcptTo: vector.rcptTo, ...(vector.twinOf === undefined ? {} : { twinOf: vector.twinOf }) });

/** MAIL not accepted: a refused sender is a refusal; a deferred or odd answer settles nothing. */
const senderNotAccepted = (vector: RelayVector, mail: Reply): RelayProbeResult => {
  const judged = judgeRefusal(mail, 'MAIL');
  return {
    ...envelope(vector),
    mail,
    control: null,
    controlAccepted: null,
    probe: null,
    ...judged,
    reason: judged.outcome === 'refused' ? `sender refused: ${replySummary(mail)}` : judged.reason,
  };
};

// Postfix slows a session down once it has made smtpd_soft_error_limit (10) errors
// without delivering mail (smtpd_error_sleep_time, 1 s a reply). A group of four
// refuses at most five RCPTs (its first probe is asked twice): well below.
export const MAX_PROBES_PER_SESSION = 4;

// Exim drops a session at its fourth syntax or protocol error (smtp_max_synprot_errors,
// 3 by default) and logs a line that fail2ban's exim filter bans the client on. Malformed
// forms draw 501s there, so a group stops once it has drawn three and asks the rest
// alone: no session of a relay check reaches the limit (a one-form session makes one).
export const MAX_SYNTAX_ERRORS_PER_SESSION = 3;

/** Whether a session that got these replies may ask one more RCPT: fewer syntax refusals than the budget. */
export function withinSyntaxBudget(replies: readonly Reply[], budget = MAX_SYNTAX_ERRORS_PER_SESSION): boolean {
  return replies.filter(isSyntaxRefusal).length < budget;
}

/** Probes with the same MAIL FROM, in the order given, at most `perSession` to a group. */
export function groupBySender(vectors: readonly RelayVector[], perSession = MAX_PROBES_PER_SESSION): RelayVector[][] {
  const groups: RelayVector[][] = [];
  const filling = new Map<string, RelayVector[]>();
  for (const vector of vectors) {
    let group = filling.get(vector.mailFrom);
    if (!group || group.length === perSession) {
      group = [];
      groups.push(group);
      filling.set(vector.mailFrom, group);
    }
    group.push(vector);
  }
  return groups;
}

/** What a group session asks, in order: a probe's address, or the control recipient. */
export type GroupStep = RelayVector | 'control';

/**
 * The RCPTs of one group session. On an MX: the first probe alone (a server might
 * relay only a transaction's first recipient); the control; every probe, each now
 * after an accepted hosted recipient, as in a probe of its own; the control again,
 * which proves the session still took hosted mail after the refusals. Each accepted
 * control of a transaction shares one queue file, so a group costs Postfix one
 * in-flow token, as one solo probe did (docs/relay-test.md). Other roles have no
 * control (docs/checks.md#relay-checks-common-rules): the probes only.
 */
export function groupSteps(group: readonly RelayVector[], withControl: boolean): GroupStep[] {
  return withControl ? [group[0]!, 'control', ...group, 'control'] : [...group];
}

interface GroupAttempt {
  /** One per probe; null where the group proves nothing and the probe must be asked alone. */
  results: (RelayProbeResult | null)[];
  /** Why some probes must be asked alone, when they must. */
  unsettled: string | null;
  /** Set when what left the group unsettled was a deferral (a control or a form answered 4yz, not a relay refusal): the group is worth asking again. */
  deferral: Deferral | null;
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
 * The verdict rules of a group, as a pure function of what was answered: `answers`
 * in the order asked, `mail` the MAIL reply (null if none came), `broken` why the
 * exchange did not complete, if it did not.
 */
export function judgeGroup(control: string, group: readonly RelayVector[], answers: readonly { step: GroupStep; reply: Reply }[], mail: Reply | null, broken: string | null): GroupAttempt {
  const controls = answers.filter((answer) => answer.step === 'control').map((answer) => answer.reply);
  const refusedControl = controls.find((reply) => !recipientAccepted(reply));
  // A form deferred anywhere in the group (greylisting, screening…) is asked alone, where deferrals are retried.
  const deferredProbe = answers.find((answer) => answer.step !== 'control' && replyDisposition(answer.reply) !== 'refused' && !recipientAccepted(answer.reply));
  const unsettled =
    broken ??
    (refusedControl
      ? `the control recipient ${control} was refused in the group's session (${replySummary(refusedControl)})`
      : deferredProbe
        ? `a form was answered ${replySummary(deferredProbe.reply)} in the group's session`
        : null);
  const lastControl = controls[controls.length - 1];
  const results = group.map((vector): RelayProbeResult | null => {
    const replies = answers.filter((answer) => answer.step === vector).map((answer) => answer.reply);
    const base = {
      ...envelope(vector),
      mail,
      control: lastControl ?? null,
      controlAccepted: lastControl ? recipientAccepted(lastControl) : null,
      deferral: null,
    };
    const relay = replies.find(recipientAccepted);
    if (relay) {
      const onlyFirst = replies.indexOf(relay) === 0 && replies.length > 1 && !replies.slice(1).some(recipientAccepted);
      return { ...base, probe: relay, outcome: 'relayed', reason: acceptedReason(relay, onlyFirst ? ' as the first recipient of the transaction' : '') };
    }
    if (unsettled) return null;
    const last = replies[replies.length - 1]!;
    return { ...base, probe: last, outcome: 'refused', reason: replySummary(last) };
  });
  // A broken exchange proves nothing about deferrals; a refused control that is a 4yz, or a deferred form, is one.
  const deferral = broken ? null : refusedControl ? deferralOf(refusedControl, { controlDeferred: true }) : deferredProbe ? deferralOf(deferredProbe.reply) : null;
  return { results, unsettled, deferral };
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

/**
 * Judge a family of probes: any relay fails it; otherwise any inconclusive control
 * makes it inconclusive. `serverAddress` is {ip}, for the loopback note.
 */
export function judgeRelayProbes(context: CheckContext, results: RelayProbeResult[], serverAddress: string): CheckOutcome {
  const relayed = results.filter((result) => result.outcome === 'relayed');
  const evidence: Evidence = [{ kind: 'relay-probes', probes: results }];
  const details: CheckDetails = { kind: 'relay-probes', probes: results };
  if (relayed.length > 0) {
    // docs/checks.md#safety-rules-and-the-source-address (the source address): a server relays for $mynetworks by design, so say where we probed from.
    const trusted = context.role === 'mta' && (serverAddress === '127.0.0.1' || serverAddress === '::1') ? ' (probed from loopback: if the server trusts it in mynetworks, this is by design; confirm from an untrusted address)' : '';
    return fail(`${relayed.length} of ${results.length} address forms relayed: ${relayedFormNames(relayed).join(', ')}${trusted}`, { evidence, details });
  }
  const deferred = results.filter((result) => result.outcome === 'deferred');
  if (deferred.length > 0) {
    const classes = [...new Set(deferred.map((result) => result.deferral!.class))];
    const advice = classes.map((klass) => DEFERRAL_ADVICE[klass]).join('; ');
    return inconclusive(`no form relayed, but ${deferred.length} of ${results.length} deferred (${classes.join(', ')}: ${deferred[0]!.reason}); deferrals are never evidence: ${advice}`, { evidence, details });
  }
  const unsettled = results.filter((result) => result.outcome === 'inconclusive');
  if (unsettled.length > 0) {
    return inconclusive(`no form relayed, but ${unsettled[0]!.reason}`, { evidence, details });
  }
  // Rule 3 for the family as a whole: refusals count only if hosted mail got through
  // at least once (a server refusing every sender would otherwise pass).
  if (context.role === 'mta' && !results.some((result) => result.controlAccepted === true)) {
    return inconclusive(`no form relayed, but no probe got as far as the control recipient (${results[0]?.reason ?? 'no probes'})`, { evidence, details });
  }
  const refusedBy = [...new Set(results.map((result) => (result.probe ?? result.mail)?.code ?? '---'))].join('/');
  return pass(`all ${results.length} address forms refused (${refusedBy})${context.role === 'mta' ? ', control recipient accepted' : ', no AUTH'}`, { evidence, details });
}

/**
 * The relayed forms for a summary: a form and its null-sender twin are named once, as
 * the form, when both relayed; a twin that relayed alone keeps its "from <>".
 */
export function relayedFormNames(relayed: readonly RelayProbeResult[]): string[] {
  const forms = new Set(relayed.filter((result) => result.twinOf === undefined).map((result) => result.form));
  return relayed.filter((result) => result.twinOf === undefined || !forms.has(result.twinOf)).map((result) => result.form);
}

export const RELAY_FIX =
  'Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination (or reject_unauth_destination), and a mynetworks that lists only hosts you trust (never 0.0.0.0/0); Exim: a relay_from_hosts that lists only hosts you trust, and in acl_smtp_rcpt, after the accepts for +relay_from_hosts and authenticated = *, "require domains = +local_domains : +relay_to_domains" and "require verify = recipient"; OpenSMTPD: relay only "from local" or "auth"';

/**
 * Every form is asked from its sender and from the null sender. A refusal from an
 * outside sender can be a refusal of the sender, not of the relay: behind sender
 * verification (Exim's "require verify = sender", Postfix's reject_unverified_sender)
 * p@{ext}, whose domain does not route, is refused at RCPT, and a control recipient
 * that such a server exempts (postmaster, RFC 5321 §4.5.1; the default control of
 * `smtpcheck domain`) is still accepted, so the family would pass on an open relay.
 * The null sender must be taken (RFC 5321 §4.5.5) and has nothing to verify
 * (docs/checks.md#relay-checks-common-rules). Each twin follows its form; one the
 * family already asks (the same null-sender envelope) is not asked again.
 */
export function withNullSenderTwins(vectors: readonly RelayVector[]): RelayVector[] {
  const asked = new Set(vectors.map((vector) => envelopeKey(vector.mailFrom, vector.rcptTo)));
  return vectors.flatMap((vector) => {
    const key = envelopeKey('', vector.rcptTo);
    if (asked.has(key)) return [vector];
    asked.add(key);
    return [vector, { form: `${vector.form} from <>`, mailFrom: '', rcptTo: vector.rcptTo, twinOf: vector.form }];
  });
}

const envelopeKey = (mailFrom: string, rcptTo: string): string => `${mailFrom}\u0000${rcptTo}`;

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
      return judgeRelayProbes(context, await probeAll(context, withNullSenderTwins(spec.vectors(context, names))), names.ip);
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
