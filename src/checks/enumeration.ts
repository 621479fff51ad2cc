import type { Deferral } from '../core/deferral.js';
import { DEFERRAL_ADVICE, deferralOf, replyDisposition } from '../core/deferral.js';
import type { Reply } from '../core/reply.js';
import { isSyntaxRefusal } from '../core/reply.js';
import type { CheckOutcome } from './check.js';
import { fail, inconclusive, pass } from './check.js';

/** One VRFY or EXPN question: an address the server hosts, and a random one it cannot. */
export interface EnumerationPair {
  hosted: string;
  hostedReply: Reply;
  random: string;
  randomReply: Reply;
}

export type EnumerationVerb = 'VRFY' | 'EXPN';

// RFC 5321 §4.2.4: 500/502 the command is not implemented, 504 the parameter is not.
const NOT_IMPLEMENTED = new Set([500, 502, 504]);
// How servers word a refusal by policy when they send no enhanced code (Exim's
// "Administrative prohibition"); with one, X.7.X says it (RFC 3463 §3.8).
const POLICY_TEXT = /administrative|prohibit|disabled|not (allowed|permitted|available)|denied/i;

/**
 * A refusal of the probe's form, not of the user (isSyntaxRefusal), other than "not
 * implemented", which has its own rule. Exim answers `VRFY john` with `501 john:
 * recipient address must contain a domain` for every local part alike.
 */
const isFormRefusal = (reply: Reply): boolean => !NOT_IMPLEMENTED.has(reply.code) && isSyntaxRefusal(reply);

const isPolicyRefusal = (reply: Reply): boolean => replyDisposition(reply) === 'refused' && (reply.enhanced?.subject === 7 || POLICY_TEXT.test(reply.lines.join(' ')));

/** The first deferred answer of the pairs, if any: it is retried before anything is judged. */
export function enumerationDeferral(pairs: readonly EnumerationPair[]): Deferral | null {
  for (const pair of pairs) {
    const deferral = deferralOf(pair.hostedReply) ?? deferralOf(pair.randomReply);
    if (deferral) return deferral;
  }
  return null;
}

/**
 * The verdict rules of enum-vrfy and enum-expn (docs/checks.md#enum-vrfy), as a pure
 * function of the answers. A leak: EXPN expands a hosted address (250), or either verb
 * accepts a hosted address and refuses a random one. "Not available" needs proof: every
 * answer 500/502/504, 252 for every address (RFC 5321 §3.5.3: cannot verify), a refusal
 * by policy, or the same positive answer for both. An answer that calls the hosted
 * address unknown shows the command works: it proves nothing either way. A pair
 * refused as a syntax error is left out; when every pair is, nothing is known.
 */
export function judgeEnumeration(verb: EnumerationVerb, pairs: readonly EnumerationPair[], where = ''): CheckOutcome {
  const answered = pairs.map((pair) => `${pair.hosted} → ${pair.hostedReply.code}, ${pair.random} → ${pair.randomReply.code}`).join('; ');
  for (const pair of pairs) {
    if (verb === 'EXPN' && pair.hostedReply.code === 250) return fail(`EXPN ${pair.hosted} expanded: ${pair.hostedReply.raw.join(' | ')}`);
  }
  // A pair refused as a syntax error says nothing about users (isFormRefusal): the
  // other pairs are judged without it, and a syntax error never counts as "no such user".
  const judged = pairs.filter((pair) => !isFormRefusal(pair.hostedReply) && !isFormRefusal(pair.randomReply));
  for (const pair of judged) {
    if (replyDisposition(pair.hostedReply) === 'accepted' && replyDisposition(pair.randomReply) === 'refused') {
      return fail(`${verb} tells users apart: ${answered}`);
    }
  }
  const deferral = enumerationDeferral(pairs);
  if (deferral) return inconclusive(`${verb} was deferred (${deferral.class}: ${deferral.reply.raw[0]}): ${DEFERRAL_ADVICE[deferral.class]}`, { details: { kind: 'deferral', deferral } });
  if (judged.length === 0) {
    return inconclusive(`${verb} refused every address form it was asked as a syntax error${where}: ${answered}; the answers say nothing about users`);
  }
  const skipped = judged.length < pairs.length ? ` (${pairs.length - judged.length} of ${pairs.length} address forms refused as a syntax error: no answer about users)` : '';
  const replies = judged.flatMap((pair) => [pair.hostedReply, pair.randomReply]);
  if (replies.every((reply) => NOT_IMPLEMENTED.has(reply.code))) return pass(`${verb} not available${where}: ${answered}${skipped}`);
  if (replies.every((reply) => reply.code === 252)) return pass(`${verb} answers 252 (cannot verify) for every address${where}: ${answered}${skipped}`);
  if (replies.every(isPolicyRefusal)) return pass(`${verb} refused by policy${where}: ${answered}${skipped}`);
  if (judged.every((pair) => replyDisposition(pair.hostedReply) === 'accepted' && pair.hostedReply.code === pair.randomReply.code)) {
    return pass(`${verb} gives the same answer for every address${where}: ${answered}${skipped}`);
  }
  const unknownHosted = judged.find((pair) => replyDisposition(pair.hostedReply) === 'refused' && !isPolicyRefusal(pair.hostedReply));
  if (unknownHosted) {
    return inconclusive(`${verb} works but answered the hosted address ${unknownHosted.hosted} with ${unknownHosted.hostedReply.raw[0]}${where}: name an address it hosts with --local-recipient (and --alias)`);
  }
  return inconclusive(`${verb} answers neither leak nor refuse${where}: ${answered}`);
}
