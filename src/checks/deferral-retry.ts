import type { Deferral } from '../core/deferral.js';
import type { CheckContext } from './context.js';

/**
 * Extra connections a run may open to retry deferred probes, per target: enough for
 * every relay family's sessions to reconnect once after postscreen, few enough that a
 * server answering everything with 421 is not hammered (docs/checks.md#deferrals).
 */
export const DEFAULT_RETRY_BUDGET = 48;

/** Wait before reconnecting after a 421 or a rate limit: a client that hurries is counted again. */
const BACKOFF_MS = 1000;

/** Shared by every check of a run against one target. */
export class RetryBudget {
  private left: number;
  constructor(connections = DEFAULT_RETRY_BUDGET) {
    this.left = connections;
  }

  get remaining(): number {
    return this.left;
  }

  /** Take one connection; false when the budget is spent. */
  take(): boolean {
    if (this.left <= 0) return false;
    this.left -= 1;
    return true;
  }
}

/** One attempt that was deferred, for the evidence. */
export interface DeferredAttempt {
  attempt: number;
  deferral: Deferral;
  /** How long smtpcheck waited before the next attempt, if there was one. */
  waitedMs: number | null;
}

export interface Settled<T> {
  result: T;
  /** Every deferred attempt, in order; the last one is `result`'s when it is still deferred. */
  deferred: DeferredAttempt[];
  /** Why no further retry was made when `result` is still deferred. */
  gaveUp: string | null;
}

/**
 * Run `attempt` (which opens a session of its own) and retry it as a real client
 * would while it comes back deferred:
 * 1. at once, on a new connection (postscreen lets a client that passed its tests
 *    through on the next connection), after a back-off for 421 and rate limits;
 *    not for greylisting, which no retry passes before its delay is over;
 * 2. once more after the user's --retry-deferred delay, when one was given
 *    (greylisting accepts the same sender/recipient pair after its delay).
 * Every retry takes a connection from the target's budget. A deferral that survives
 * is returned as such: the caller's verdict is inconclusive, never a pass.
 */
export async function settleDeferrals<T>(context: CheckContext, attempt: () => Promise<T>, deferralIn: (result: T) => Deferral | null): Promise<Settled<T>> {
  const deferred: DeferredAttempt[] = [];
  const waits = [reconnectDelay, () => context.target.retryDeferredMs ?? 0];
  // `next`: the retry still to make, an index into `waits`.
  for (let index = 0, next = 0; ; index += 1) {
    const result = await attempt();
    const deferral = deferralIn(result);
    if (!deferral) return { result, deferred, gaveUp: null };
    const record: DeferredAttempt = { attempt: index + 1, deferral, waitedMs: null };
    deferred.push(record);
    if (next === 0 && deferral.class === 'greylisting') next = 1;
    if (next === 1 && !context.target.retryDeferredMs) return { result, deferred, gaveUp: 'no --retry-deferred delay given' };
    const wait = waits[next++];
    if (!wait) return { result, deferred, gaveUp: `still deferred after ${index + 1} attempts` };
    if (!context.retryBudget.take()) return { result, deferred, gaveUp: 'the run\'s retry budget is spent' };
    record.waitedMs = wait(deferral);
    await context.sleep(record.waitedMs);
  }
}

function reconnectDelay(deferral: Deferral): number {
  return deferral.reply.code === 421 || deferral.class === 'rate-limit' || deferral.class === 'error-limit' ? BACKOFF_MS : 0;
}

/** "deferred 2 times (screening: 450 4.3.2 …), waited 0 s and 3 s" — for reasons and evidence. */
export function describeAttempts(deferred: readonly DeferredAttempt[]): string {
  if (deferred.length === 0) return '';
  const waits = deferred.filter((attempt) => attempt.waitedMs !== null).map((attempt) => `${(attempt.waitedMs! / 1000).toFixed(attempt.waitedMs! % 1000 === 0 ? 0 : 1)} s`);
  return `${deferred.length} attempt${deferred.length === 1 ? '' : 's'} deferred${waits.length > 0 ? `, retried after ${waits.join(', then ')}` : ''}`;
}
