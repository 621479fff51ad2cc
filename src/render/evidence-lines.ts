import { Chalk } from 'chalk';
import type { Evidence, EvidenceBlock } from '../checks/evidence.js';
import type { RelayProbeResult } from '../checks/relay-rules.js';
import { replySummary } from '../core/reply.js';
import { renderEvent } from './text-transcript.js';

const PLAIN = new Chalk({ level: 0 });

// A check's evidence is a handful of sessions of a dozen lines; a screenful of reply
// is plenty to show a flood. RFC 5321 §4.5.3.1.5: reply lines are at most 512 octets.
export const MAX_EVIDENCE_LINES = 400;
export const MAX_EVIDENCE_LINE = 1024;

/**
 * Evidence as plain lines, for the report (-v), JSON, JUnit and annotations alike.
 * Bounded (MAX_EVIDENCE_LINES, MAX_EVIDENCE_LINE): a flooding server must not make a
 * report of megabytes; a note says how much was left out. The server's words are not
 * escaped here: each renderer escapes for its medium (printable.ts, XML, JSON).
 */
export function evidenceLines(evidence: Evidence): string[] {
  const sessions = evidence.filter((block) => block.kind === 'session').length;
  let session = 0;
  const lines = evidence.flatMap((block) => {
    if (block.kind !== 'session') return blockLines(block);
    session += 1;
    return [...(sessions > 1 ? [`--- session ${session}`] : []), ...blockLines(block)];
  });
  return boundEvidence(lines);
}

function blockLines(block: EvidenceBlock): string[] {
  switch (block.kind) {
    case 'session':
      return block.events.flatMap((event) => {
        const rendered = renderEvent(event, { palette: PLAIN });
        // A TLS session's first and last lines: the version and cipher, and the certificate verdict.
        return event.type === 'tls' ? [rendered[0]!, rendered[rendered.length - 1]!] : rendered;
      });
    case 'relay-probes':
      return block.probes.map(relayProbeLine);
    case 'lines':
      return [...block.lines];
  }
}

/** `REFUSED      MAIL FROM:<p@x> RCPT TO:<r@y> → 454 4.7.1 …  [control: 250 2.1.5 Ok]`, with the reason where the outcome is not plain. */
export function relayProbeLine(probe: RelayProbeResult): string {
  const control = probe.control ? `  [control: ${replySummary(probe.control)}]` : '';
  const reason = probe.outcome === 'refused' || probe.outcome === 'relayed' ? '' : `  (${probe.reason})`;
  return `${probe.outcome.toUpperCase().padEnd(12)} MAIL FROM:<${probe.mailFrom}> RCPT TO:<${probe.rcptTo}> → ${relayProbeReply(probe)}${control}${reason}`;
}

/** The reply that decided a probe: its RCPT's, or MAIL's when MAIL was not accepted. */
export function relayProbeReply(probe: RelayProbeResult): string {
  const reply = probe.probe ?? probe.mail;
  return reply ? replySummary(reply) : '(no reply)';
}

/** Cut evidence to its bounds, saying what was left out. */
export function boundEvidence(lines: readonly string[]): string[] {
  let cutChars = 0;
  const shortened = lines.map((line) => {
    if (line.length <= MAX_EVIDENCE_LINE) return line;
    cutChars += line.length - MAX_EVIDENCE_LINE;
    return `${line.slice(0, MAX_EVIDENCE_LINE)}…`;
  });
  const kept = shortened.slice(0, MAX_EVIDENCE_LINES);
  const leftLines = shortened.length - kept.length;
  const leftBytes = shortened.slice(MAX_EVIDENCE_LINES).reduce((sum, line) => sum + line.length + 1, 0);
  if (leftLines > 0 || cutChars > 0) {
    const parts = [leftLines > 0 ? `${leftLines} more lines (${leftBytes} bytes)` : null, cutChars > 0 ? `${cutChars} characters of long lines` : null].filter(Boolean);
    kept.push(`… evidence cut: ${parts.join(' and ')} left out`);
  }
  return kept;
}
