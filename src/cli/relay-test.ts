import { CHECKS } from '../checks/registry.js';
import { runChecks } from '../checks/runner.js';
import { ExitCode, exitCodeForResults } from '../outcome/exit-codes.js';
import type { CheckFlags } from './check-flags.js';
import { interruptionNote } from '../render/check-report.js';
import { jsonReport } from '../render/json-report.js';
import { writeReportFormats } from './report-formats.js';
import { checkTargetFrom } from '../options/check-target.js';
import { interruptible } from './interrupt.js';
import { CommandOutput } from './output.js';
import { probesOf, renderRelayTable } from '../render/relay-table.js';
import { hintFor } from '../outcome/error-hints.js';

/**
 * `smtpcheck relay-test`: every relay address form (docs/relay-test.md), probed in
 * groups that share a sender and the control recipient (src/checks/relay-probe.ts),
 * as a table form → reply → relayed or refused. Exit 0 when nothing relayed, 10 when
 * anything did.
 */
export async function runRelayTest(flags: CheckFlags): Promise<number> {
  const output = new CommandOutput('relay-test', flags);
  try {
    const target = await checkTargetFrom({ ...flags, role: flags.role ?? 'mta' }, output.transcript);
    const checks = CHECKS.filter((check) => check.id.startsWith('relay-') && check.roles.includes(target.role));
    const started = performance.now();
    // Every family at once: only --concurrency bounds the connections, so a higher one
    // overlaps Postfix's in-flow waits (docs/relay-test.md, "Speed").
    const { value: results, interrupted } = await interruptible((signal) => runChecks(checks, target, { concurrency: checks.length, signal, explainError: hintFor }));
    const durationMs = Math.round(performance.now() - started);
    if (interrupted) output.transcript.warn(interruptionNote(checks.length, results.length));
    output.print(renderRelayTable(results, output.palette, flags.verbose ?? false).join('\n'));
    const relayed = results.flatMap((result) => probesOf(result)).filter((probe) => probe.outcome === 'relayed');
    const total = results.flatMap((result) => probesOf(result)).length;
    const exitCode = interrupted ? ExitCode.interrupted : exitCodeForResults(results, false);
    const name = `${target.connection.host}:${target.connection.port}`;
    // An interrupted family has no verdict: "none relayed" would read as a pass.
    const verdict = relayed.length > 0 ? `${name} relayed ${relayed.length} of ${total} address forms: OPEN RELAY` : interrupted ? `${name}: interrupted, no verdict` : `${name}: none of ${total} address forms relayed${exitCode === ExitCode.ok ? '' : ' (but see the inconclusive results)'} in ${(durationMs / 1000).toFixed(1)} s`;
    output.summary(verdict, relayed.length === 0 && exitCode === ExitCode.ok);
    await writeReportFormats(flags, [{ name, results, durationMs }]);
    return output.finish(jsonReport(target, results, durationMs, interrupted), exitCode);
  } catch (error) {
    return output.fail(error);
  }
}
