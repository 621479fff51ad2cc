import { readFileSync } from 'node:fs';
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
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { password } = await import('@inquirer/prompts');
    try {
      return { password: await password({ message: `Password for ${user}:`, mask: '*' }, { output: process.stderr }), origin: 'prompt' };
    } catch (error) {
      // Ctrl-C at the prompt: the user stopped, nothing broke (exit 130, not an internal error).
      if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new InterruptedError('auth', 'interrupted at the password prompt');
      throw error;
    }
  }
  throw new UsageError(`no password for ${user}`, 'set SMTPCHECK_PASSWORD, or use --auth-password-file FILE (or run on a terminal to be prompted)');
}

/** Keep the password out of `ps` for the rest of the run (Linux shows process.title). */
function hidePasswordFromProcessList(): void {
  process.title = 'smtpcheck';
}
