import { homedir } from 'node:os';
import { CHECKS } from '../checks/registry.js';
import { Transcript } from '../core/transcript.js';
import { paletteFor } from '../render/palette.js';
import { textTranscriptRenderer } from '../render/text-transcript.js';
import { ReplEngine } from '../repl/engine.js';
import { historyFilePath } from '../repl/history.js';
import { ScriptFront } from '../repl/script.js';
import { TerminalFront } from '../repl/terminal.js';
import type { TargetFlags } from '../options/check-target.js';
import { establishOptionsFrom } from '../options/connection-options.js';
import { resolvePassword } from '../options/credentials.js';
import { describeError } from '../outcome/describe-error.js';
import { writeErrorLine } from './output.js';

export interface ReplCommandFlags extends TargetFlags {
  /** false with --no-history. */
  history?: boolean;
}

/**
 * `smtpcheck repl`: an SMTP session typed by hand (docs/repl.md). On a terminal, a
 * line editor with history and Tab; with commands piped in, the same commands run
 * as a script that ends with an exit code.
 */
export async function runRepl(flags: ReplCommandFlags): Promise<number> {
  const palette = paletteFor(process.stdout);
  const transcript = new Transcript();
  let script: ScriptFront | null = null;
  try {
    const establish = establishOptionsFrom(flags, transcript);
    const passwordSource = async (user: string) => (await resolvePassword(user, flags, (message) => transcript.warn(message))).password;
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const front = interactive
      ? new TerminalFront({ input: process.stdin, output: process.stdout, historyFile: flags.history === false ? null : historyFilePath(process.env, homedir()), passwordSource, palette })
      : (script = new ScriptFront(process.stdin, process.stdout, passwordSource, palette));
    transcript.on(textTranscriptRenderer({ palette, showTime: true, write: (line) => front.print([line]) }));
    const engine = new ReplEngine({ establish, flags, transcript, io: front, palette, checks: CHECKS });
    await engine.connect();
    return await front.run(engine);
  } catch (error) {
    const described = describeError(error);
    writeErrorLine(described, paletteFor(process.stderr));
    if (process.env.SMTPCHECK_DEBUG) console.error(error);
    return described.exitCode;
  } finally {
    script?.close();
  }
}
