import type { ChalkInstance } from 'chalk';
import type { ExitCodeValue } from '../core/errors.js';
import { ExitCode, SmtpCheckError } from '../core/errors.js';
import { Transcript } from '../core/transcript.js';
import { paletteFor } from '../render/palette.js';
import { textTranscriptRenderer } from '../render/text-transcript.js';

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  showTime?: boolean;
}

/**
 * Where a command's transcript and result go: streamed colour text (default), only
 * the summary line (--quiet), or one JSON document at the end (--json). Errors are
 * one line on stderr with the fix, never a stack trace.
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
      this.transcript.on(textTranscriptRenderer({ palette: this.palette, showTime: flags.showTime ?? false, write: (line) => process.stdout.write(`${line}\n`) }));
    }
  }

  get json(): boolean {
    return this.flags.json ?? false;
  }

  /** Extra text output (tables, notes): suppressed with --json and --quiet. */
  print(text: string): void {
    if (!this.flags.json && !this.flags.quiet) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The one line --quiet keeps. */
  summary(text: string, ok: boolean): void {
    if (this.flags.json) return;
    process.stdout.write(`${ok ? this.palette.green('✔') : this.palette.red('✘')} ${text}\n`);
  }

  finish(result: Record<string, unknown>, exitCode: ExitCodeValue): ExitCodeValue {
    if (this.flags.json) this.writeJson({ ok: exitCode === ExitCode.ok, exitCode, result });
    return exitCode;
  }

  fail(error: unknown): ExitCodeValue {
    const described = describeError(error);
    if (this.flags.json) {
      // In text mode the error line on stderr says it; here it also closes the event list.
      if (error instanceof SmtpCheckError) this.transcript.emit({ type: 'error', step: error.step, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      this.writeJson({ ok: false, exitCode: described.exitCode, error: { message: described.message, hint: described.hint, step: described.step } });
    } else {
      writeErrorLine(described, paletteFor(process.stderr));
    }
    return described.exitCode;
  }

  private writeJson(body: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({ command: this.command, ...body, events: this.transcript.events }, jsonReplacer, 2)}\n`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

export interface DescribedError {
  message: string;
  hint: string | undefined;
  step: string | undefined;
  exitCode: ExitCodeValue;
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof SmtpCheckError) return { message: error.message, hint: error.hint, step: error.step, exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${message}`, hint: 'this is a bug in smtpcheck; please report it with the command you ran (SMTPCHECK_DEBUG=1 shows the stack)', step: undefined, exitCode: ExitCode.internal };
}

export function writeErrorLine(described: DescribedError, palette: ChalkInstance): void {
  const hint = described.hint ? palette.dim(` — ${described.hint}`) : '';
  process.stderr.write(`${palette.red('smtpcheck: error:')} ${described.message}${hint}\n`);
}
