import type { SmtpStep } from '../core/errors.js';
import type { ReplyByteDefect, ReplyDefects } from '../core/reply-defects.js';
import type { WarnEvent } from '../core/transcript.js';

/**
 * A warning event as one line of plain text, for every place that shows warnings:
 * the transcript's `***` line, `smtpcheck: warning:` under --quiet and --json, the
 * JSON event's `message`, bench's list of warnings. Callers escape it (printable,
 * terminalSafe) like any text that may quote the server.
 */
export function warningText(event: WarnEvent): string {
  if (event.kind === undefined) return event.message;
  return `${replyName(event.step)} (${event.code}) has bytes that are not reply text: ${describeDefects(event.defects)}`;
}

function replyName(step: SmtpStep): string {
  if (step === 'greeting') return 'the greeting';
  if (step === 'command') return 'a reply';
  return `the reply to ${step.toUpperCase()}`;
}

/** "line 3: NUL byte at offset 12, invalid UTF-8 (0xC3) at offset 20; line 5: …; 4 more" */
function describeDefects(defects: ReplyDefects): string {
  const lines: string[] = [];
  let current = 0;
  for (const defect of defects.found) {
    if (defect.line !== current) lines.push(`line ${defect.line}: ${describeDefect(defect)}`);
    else lines[lines.length - 1] += `, ${describeDefect(defect)}`;
    current = defect.line;
  }
  if (defects.omitted > 0) lines.push(`${defects.omitted} more`);
  return lines.join('; ');
}

function describeDefect(defect: ReplyByteDefect): string {
  const at = `at offset ${defect.offset}`;
  switch (defect.problem) {
    case 'nul':
      return defect.length === 1 ? `NUL byte ${at}` : `${defect.length} NUL bytes ${at}`;
    case 'control':
      return `control ${defect.length === 1 ? 'byte' : 'bytes'} ${hexBytes(defect)} ${at}`;
    case 'invalid-utf8':
      return `invalid UTF-8 (${hexBytes(defect)}) ${at}`;
  }
}

/** "0xC3 0x28", with "… (40 bytes)" when only the first ones were kept. */
function hexBytes(defect: ReplyByteDefect): string {
  const shown = (defect.bytes.match(/../g) ?? []).map((pair) => `0x${pair.toUpperCase()}`).join(' ');
  return defect.bytes.length / 2 < defect.length ? `${shown} … (${defect.length} bytes)` : shown;
}
