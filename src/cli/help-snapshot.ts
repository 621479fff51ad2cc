import { CommanderError } from 'commander';
import { writeFileSync } from 'node:fs';
import { buildProgram, exitCodeOf } from './main.js';

/**
 * Run after tsc by `npm run build` and `prepare`: records what commander prints for
 * the plain help forms, so that bin/smtpcheck answers them without loading commander
 * (start-up is a measured goal: docs/performance.md, bench/startup.sh). bin/smtpcheck
 * reads `--help`, `-h` and `help` as `program`; `<command> --help`, `<command> -h`
 * and `help <command>` as `commands[<command>]`; no arguments as `noArguments`.
 * test/cli/help-snapshot.test.ts holds every form to what commander prints.
 */

/** What one command line writes, and its exit code. */
export interface HelpOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface HelpSnapshot {
  /** Modules the texts come from, relative to this file: bin/smtpcheck ignores a snapshot older than any of them (tsc run alone). */
  sources: string[];
  program?: HelpOutcome;
  noArguments?: HelpOutcome;
  commands: Record<string, HelpOutcome>;
}

const SOURCES = ['main.js', 'report-formats.js', '../render/report-formats.js', '../options/connection-options.js', '../options/xclient-flags.js', '../core/timeouts.js'];

async function outcomeOf(argv: string[], hasColors: boolean): Promise<HelpOutcome> {
  const program = buildProgram();
  const outcome: HelpOutcome = { stdout: '', stderr: '', exitCode: 0 };
  for (const command of [program, ...program.commands]) {
    command.configureOutput({
      writeOut: (text) => (outcome.stdout += text),
      writeErr: (text) => (outcome.stderr += text),
      getOutHasColors: () => hasColors,
      getErrHasColors: () => hasColors,
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    outcome.exitCode = exitCodeOf(error);
    return outcome;
  }
  throw new Error(`smtpcheck ${argv.join(' ')} ran a command instead of printing help`);
}

/**
 * Commander styles help only on a colour terminal (or with FORCE_COLOR), and the
 * snapshot cannot know which one it will meet: a text that styling changes is left
 * out, and commander answers that form itself.
 */
async function plainOutcomeOf(argv: string[]): Promise<HelpOutcome | undefined> {
  const plain = await outcomeOf(argv, false);
  const styled = await outcomeOf(argv, true);
  return JSON.stringify(plain) === JSON.stringify(styled) ? plain : undefined;
}

const snapshot: HelpSnapshot = { sources: SOURCES, commands: {} };
const program = await plainOutcomeOf(['--help']);
const noArguments = await plainOutcomeOf([]);
if (program) snapshot.program = program;
if (noArguments) snapshot.noArguments = noArguments;
for (const command of buildProgram().commands) {
  const outcome = await plainOutcomeOf([command.name(), '--help']);
  if (outcome) snapshot.commands[command.name()] = outcome;
}
writeFileSync(new URL('./help-snapshot.json', import.meta.url), JSON.stringify(snapshot));
