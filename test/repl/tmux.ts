import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/smtpcheck', import.meta.url));

/** Single quotes for sh: the command line tmux hands to the shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A real pseudo-terminal: `smtpcheck repl` runs inside a detached tmux session on
 * a private tmux server (its own socket in its own temporary directory, no user
 * configuration), driven with send-keys and read with capture-pane. After the REPL
 * exits, the pane prints "[exit N]" and stays, so the exit status can be read.
 * kill() ends that private server and removes its directory, and nothing else.
 */
export class TmuxRepl {
  private readonly directory: string;

  private constructor(directory: string) {
    this.directory = directory;
  }

  static start(args: string[], env: Record<string, string | null>): TmuxRepl {
    return TmuxRepl.startCommand(['repl', ...args], env);
  }

  /** Any smtpcheck command line, e.g. one that prompts for a password. */
  static startCommand(argv: string[], env: Record<string, string | null>): TmuxRepl {
    // env(1) takes its -u options before any NAME=VALUE.
    const unset = Object.entries(env).filter(([, value]) => value === null).map(([name]) => `-u ${shellQuote(name)}`);
    const assignments = Object.entries(env).filter(([, value]) => value !== null).map(([name, value]) => shellQuote(`${name}=${value}`));
    const command = `env ${[...unset, ...assignments].join(' ')} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${argv.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 3600`;
    const repl = new TmuxRepl(mkdtempSync(join(tmpdir(), 'smtpcheck-tmux-')));
    repl.tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', 'repl', command);
    return repl;
  }

  /** Characters exactly as given (no key names), like a user typing. */
  type(text: string): void {
    if (text !== '') this.tmux('send-keys', '-t', 'repl', '-l', text);
  }

  typeLine(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', 'repl', ...names);
  }

  /** The whole pane including scrollback, wrapped lines joined. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-5000', '-t', 'repl');
  }

  /** The last non-empty line: where the prompt and the typed text are. */
  lastLine(): string {
    const lines = this.screen().split('\n').filter((line) => line.trim() !== '');
    return lines[lines.length - 1] ?? '';
  }

  /** Poll the screen until `pattern` shows; fail with the screen when it does not within `timeoutMs`. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what} (${pattern}); the terminal shows:\n${screen.trimEnd()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone: the server exits with its last session.
    }
    rmSync(this.directory, { recursive: true, force: true });
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', join(this.directory, 'socket'), '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 5000 });
  }
}
