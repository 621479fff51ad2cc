import { readFileSync } from 'node:fs';
import type { SmtpStep } from '../core/errors.js';
import { InterruptedError, UsageError } from '../core/errors.js';

export interface PasswordSources {
  authPassword?: string;
  authPasswordFile?: string;
}

export type PasswordOrigin = 'argv' | 'env' | 'file' | 'prompt';

/**
 * The password, from (in order) --auth-password, $SMTPCHECK_PASSWORD,
 * --auth-password-file, or a masked prompt on a terminal. Command-line passwords
 * are visible to every local user in the process list, so they draw a warning.
 */
export async function resolvePassword(user: string, sources: PasswordSources, warn: (message: string) => void): Promise<{ password: string; origin: PasswordOrigin }> {
  if (sources.authPassword !== undefined) {
    warn('a password on the command line is visible to other local users (ps, shell history); prefer SMTPCHECK_PASSWORD, --auth-password-file or the prompt');
    hidePasswordFromProcessList();
    return { password: sources.authPassword, origin: 'argv' };
  }
  const fromEnv = process.env.SMTPCHECK_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, origin: 'env' };
  if (sources.authPasswordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.authPasswordFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --auth-password-file ${sources.authPasswordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path and its permissions');
    }
    // One trailing newline is what editors and `echo` add; it is never part of the password.
    return { password: text.replace(/\r?\n$/, ''), origin: 'file' };
  }
  if (canPrompt()) return { password: await promptSecret(`Password for ${user}:`, 'auth'), origin: 'prompt' };
  throw new UsageError(`no password for ${user}`, 'set SMTPCHECK_PASSWORD, or use --auth-password-file FILE (or run on a terminal to be prompted)');
}

/** A masked prompt is possible: standard input and the prompt's output (standard error) are a terminal. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Ask for a secret on the terminal, masked; Ctrl-C is an interruption at `step` (exit 130), not an internal error. */
export async function promptSecret(message: string, step: SmtpStep): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  try {
    return await password({ message, mask: '*' }, { output: process.stderr });
  } catch (error) {
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new InterruptedError(step, 'interrupted at the password prompt');
    throw error;
  }
}

/** Keep the password out of `ps` for the rest of the run (Linux shows process.title). */
function hidePasswordFromProcessList(): void {
  process.title = 'smtpcheck';
}
