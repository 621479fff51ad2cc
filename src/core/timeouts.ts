/**
 * Kept apart from connection.ts so that the CLI can show the defaults in --help
 * without loading the network and TLS code (start-up time is measured).
 *
 * Separate limits per step, because the RFC gives very different ones (§4.5.3.2):
 * 5 minutes for the greeting and most commands, 10 for the end of DATA. A diagnostic
 * tool should not wait that long by default; these are the documented defaults
 * (docs/exit-codes.md), all overridable with --timeout.
 */
export interface Timeouts {
  connectMs: number;
  greetingMs: number;
  commandMs: number;
  dataMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 10_000,
  greetingMs: 30_000,
  commandMs: 30_000,
  dataMs: 120_000,
};
