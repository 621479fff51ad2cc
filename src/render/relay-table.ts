import type { ChalkInstance } from 'chalk';
import type { CheckResult } from '../checks/check.js';
import type { RelayProbeResult } from '../checks/relay-rules.js';
import { evidenceLines, relayProbeReply } from './evidence-lines.js';
import { printable } from './printable.js';

/** The probes a relay family's result holds (none for relay-control and other checks). */
export function probesOf(result: CheckResult): readonly RelayProbeResult[] {
  return result.details?.kind === 'relay-probes' ? result.details.probes : [];
}

/**
 * `smtpcheck relay-test`'s table (docs/relay-test.md#reading-the-table): one row per
 * probe, form → outcome → the reply that decided it, then a row for each check without
 * probes (relay-control); with `verbose`, each check's evidence under it.
 */
export function renderRelayTable(results: readonly CheckResult[], c: ChalkInstance, verbose: boolean): string[] {
  // Replies and summaries are the server's words: escaped before they are padded and coloured.
  const rows = results.flatMap((result) => probesOf(result).map((probe) => ({ form: printable(probe.form), probe })));
  const formWidth = Math.max(20, ...rows.map((row) => row.form.length));
  const lines = [c.bold(`${'ADDRESS FORM'.padEnd(formWidth)}  ${'RESULT'.padEnd(12)}  REPLY`)];
  for (const { form, probe } of rows) {
    const colour = probe.outcome === 'relayed' ? c.red : probe.outcome === 'refused' ? c.green : c.magenta;
    lines.push(`${form.padEnd(formWidth)}  ${colour(probe.outcome.toUpperCase().padEnd(12))}  ${printable(relayProbeReply(probe))}`);
  }
  for (const result of results) {
    if (probesOf(result).length === 0) lines.push(`${result.id.padEnd(formWidth)}  ${result.verdict.toUpperCase().padEnd(12)}  ${printable(result.summary)}`);
    if (verbose) for (const line of evidenceLines(result.evidence)) lines.push(c.dim(`  │ ${printable(line)}`));
  }
  return lines;
}
