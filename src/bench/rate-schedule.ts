/**
 * --rate R: message k (counted from 0 over all connections) starts no earlier than
 * k/R seconds after the run began. Scheduling by index instead of sleeping 1/R
 * between messages keeps the average rate exact when sends are slow for a while: a
 * late message does not push back every later one (no drift), and connections that
 * fall behind catch up at the pace the server allows, never above it for long.
 */
export function scheduledStartMs(index: number, ratePerSecond: number): number {
  return (index * 1000) / ratePerSecond;
}

/** How long to wait before message `index` may start, given the time since the run began. */
export function delayBeforeMs(index: number, ratePerSecond: number | null, elapsedMs: number): number {
  if (ratePerSecond === null) return 0;
  return Math.max(0, scheduledStartMs(index, ratePerSecond) - elapsedMs);
}
