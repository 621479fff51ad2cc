import type { ChalkInstance } from 'chalk';
import { SmtpCheckError } from '../core/errors.js';
import type { TranscriptEvent } from '../core/transcript.js';
import { Transcript } from '../core/transcript.js';
import { paletteFor } from '../render/palette.js';
import { terminalSafe } from '../render/terminal-safe.js';
import { textTranscriptRenderer } from '../render/text-transcript.js';
import { warningText } from '../render/warning-text.js';
import type { DescribedError } from '../outcome/describe-error.js';
import { describeError } from '../outcome/describe-error.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { ExitCode } from '../outcome/exit-codes.js';

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  showTime?: boolean;
}

/**
 * Where a command's transcript and result go: streamed colour text (default), only
 * the summary line (--quiet), or one JSON document at the end (--json). Errors are
 * one line on stderr with the fix, never a stack trace; so are warnings when the
 * transcript is not shown.
 */
export class CommandOutput {
  readonly transcript = new Transcript();
  readonly palette: ChalkInstance;
  private readonly flags: OutputFlags;
  private readonly command: string;

  constructor(command: string, flags: OutputFlags) {
    this.command = command;
    this.flags = flags;
    this.palette = paletteFor(process.stdout);
    if (!flags.json && !flags.quiet) {
      this.transcript.on(textTranscriptRenderer({ palette: this.palette, showTime: flags.showTime ?? false, write: (line) => process.stdout.write(`${terminalSafe(line, true, this.palette.level > 0)}\n`) }));
    } else {
      // --quiet and --json hide the transcript, not its warnings: a password on the
      // command line, a certificate taken with --insecure or an unverified SCRAM server
      // must still reach the user. Standard error keeps the JSON document and the one
      // summary line on standard output intact.
      const stderrPalette = paletteFor(process.stderr);
      this.transcript.on((event) => {
        if (event.type === 'warn') writeWarningLine(warningText(event), stderrPalette);
      });
    }
  }

  get json(): boolean {
    return this.flags.json ?? false;
  }

  /** Extra text output (tables, notes): suppressed with --json and --quiet. */
  print(text: string): void {
    if (!this.flags.json && !this.flags.quiet) process.stdout.write(terminalSafe(text.endsWith('\n') ? text : `${text}\n`, true, this.palette.level > 0));
  }

  /** The one line --quiet keeps. */
  summary(text: string, ok: boolean): void {
    if (this.flags.json) return;
    process.stdout.write(`${ok ? this.palette.green('✔') : this.palette.red('✘')} ${terminalSafe(text, false)}\n`);
  }

  finish(result: Record<string, unknown>, exitCode: ExitCodeValue): ExitCodeValue {
    if (this.flags.json) this.writeJson({ ok: exitCode === ExitCode.ok, exitCode, result });
    return exitCode;
  }

  fail(error: unknown): ExitCodeValue {
    const described = describeError(error);
    if (this.flags.json) {
      // In text mode the error line on stderr says it; here it also closes the event list.
      if (error instanceof SmtpCheckError) this.transcript.emit({ type: 'error', step: error.step, message: error.message, ...(described.hint ? { hint: described.hint } : {}) });
      this.writeJson({ ok: false, exitCode: described.exitCode, error: { reason: described.reason, message: described.message, hint: described.hint, step: described.step } });
    } else {
      writeErrorLine(described, paletteFor(process.stderr));
    }
    return described.exitCode;
  }

  private writeJson(body: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({ command: this.command, ...body, events: this.transcript.events.map(jsonEvent) }, jsonReplacer, 2)}\n`);
  }
}

/** Every warn event in the JSON has its `message` (docs/json.md), the ones that carry their finding as data too. */
function jsonEvent(event: TranscriptEvent): TranscriptEvent | (TranscriptEvent & { message: string }) {
  return event.type === 'warn' && event.kind !== undefined ? { ...event, message: warningText(event) } : event;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

export function writeErrorLine(described: DescribedError, palette: ChalkInstance): void {
  const hint = described.hint ? palette.dim(` — ${terminalSafe(described.hint, false)}`) : '';
  process.stderr.write(`${palette.red('smtpcheck: error:')} ${terminalSafe(described.message, false)}${hint}\n`);
}

export function writeWarningLine(message: string, palette: ChalkInstance): void {
  process.stderr.write(`${palette.yellow('smtpcheck: warning:')} ${terminalSafe(message, false)}\n`);
}
