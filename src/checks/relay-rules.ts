import type { Deferral } from '../core/deferral.js';
import { DEFERRAL_ADVICE, deferralOf, replyDisposition } from '../core/deferral.js';
import type { Reply } from '../core/reply.js';
import { isSyntaxRefusal, oddAcceptance, recipientAccepted, replySummary } from '../core/reply.js';
import type { CheckOutcome, Role } from './check.js';
import { fail, inconclusive, pass } from './check.js';
import type { CheckDetails, Evidence } from './evidence.js';

/**
 * The relay checks' rules as pure functions of what was asked and answered
 * (docs/checks.md#relay-checks-common-rules): which forms share a session, in what
 * order a group asks, when a group's refusals count, and the family's verdict.
 * relay-probe.ts runs the sessions.
 */

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


/** The outcome of a reply that is not an acceptance: only a definite refusal is a refusal (docs/checks.md#deferrals). */
export function judgeRefusal(reply: Reply, command: string): Pick<RelayProbeResult, 'outcome' | 'reason' | 'deferral'> {
  const disposition = replyDisposition(reply);
  if (disposition === 'refused') return { outcome: 'refused', reason: replySummary(reply), deferral: null };
  const deferral = deferralOf(reply);
  if (deferral) return { outcome: 'deferred', reason: `${command} deferred (${deferral.class}): ${replySummary(reply)}`, deferral };
  return { outcome: 'inconclusive', reason: `${command} answered ${replySummary(reply)}: neither an acceptance nor a refusal`, deferral: null };
}

/** RFC 5321 §4.2.1: any 2yz accepts; an odd one is said so. */
export function acceptedReason(reply: Reply, how = ''): string {
  return `accepted${how}${oddAcceptance(reply) ? ` with the odd code ${reply.code} (any 2yz is an acceptance, RFC 5321 §4.2.1)` : ''}: ${replySummary(reply)}`;
}

export const envelope = (vector: RelayVector) => ({ form: vector.form, mailFrom: vector.mailFrom, rcptTo: vector.rcptTo, ...(vector.twinOf === undefined ? {} : { twinOf: vector.twinOf }) });

/** MAIL not accepted: a refused sender is a refusal; a deferred or odd answer settles nothing. */
export const senderNotAccepted = (vector: RelayVector, mail: Reply): RelayProbeResult => {
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

export interface GroupAttempt {
  /** One per probe; null where the group proves nothing and the probe must be asked alone. */
  results: (RelayProbeResult | null)[];
  /** Why some probes must be asked alone, when they must. */
  unsettled: string | null;
  /** Set when what left the group unsettled was a deferral (a control or a form answered 4yz, not a relay refusal): the group is worth asking again. */
  deferral: Deferral | null;
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
 * Judge a family of probes: any relay fails it; otherwise any inconclusive control
 * makes it inconclusive. `serverAddress` is {ip}, for the loopback note.
 */
export function judgeRelayProbes(role: Role, results: RelayProbeResult[], serverAddress: string): CheckOutcome {
  const relayed = results.filter((result) => result.outcome === 'relayed');
  const evidence: Evidence = [{ kind: 'relay-probes', probes: results }];
  const details: CheckDetails = { kind: 'relay-probes', probes: results };
  if (relayed.length > 0) {
    // docs/checks.md#safety-rules-and-the-source-address (the source address): a server relays for $mynetworks by design, so say where we probed from.
    const trusted = role === 'mta' && (serverAddress === '127.0.0.1' || serverAddress === '::1') ? ' (probed from loopback: if the server trusts it in mynetworks, this is by design; confirm from an untrusted address)' : '';
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
  if (role === 'mta' && !results.some((result) => result.controlAccepted === true)) {
    return inconclusive(`no form relayed, but no probe got as far as the control recipient (${results[0]?.reason ?? 'no probes'})`, { evidence, details });
  }
  const refusedBy = [...new Set(results.map((result) => (result.probe ?? result.mail)?.code ?? '---'))].join('/');
  return pass(`all ${results.length} address forms refused (${refusedBy})${role === 'mta' ? ', control recipient accepted' : ', no AUTH'}`, { evidence, details });
}

/**
 * The relayed forms for a summary: a form and its null-sender twin are named once, as
 * the form, when both relayed; a twin that relayed alone keeps its "from <>".
 */
export function relayedFormNames(relayed: readonly RelayProbeResult[]): string[] {
  const forms = new Set(relayed.filter((result) => result.twinOf === undefined).map((result) => result.form));
  return relayed.filter((result) => result.twinOf === undefined || !forms.has(result.twinOf)).map((result) => result.form);
}

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
