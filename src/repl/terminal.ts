import type { ChalkInstance } from 'chalk';
import readline from 'node:readline';
import { terminalSafe } from '../render/terminal-safe.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { InterruptedError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import { completeLine } from './completion.js';
import type { Question, ReplEngine, ReplIo } from './engine.js';
import { ReplCancelled } from './engine.js';
import { appendHistory, HISTORY_LIMIT, isRecordable, loadHistory } from './history.js';
import { LineQueue } from './line-queue.js';
import { bodyPromptText, promptText } from './prompt.js';

export interface TerminalOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** null: no history file (--no-history). */
  historyFile: string | null;
  /** The masked prompt (or SMTPCHECK_PASSWORD / --auth-password-file when given). */
  passwordSource: (user: string) => Promise<string>;
  palette: ChalkInstance;
}

/**
 * The REPL on a terminal: node:readline for editing, history and Tab; inquirer for
 * questions and the masked password (readline steps aside while inquirer owns the
 * terminal). Output that arrives while the user is typing (the server hanging up)
 * is printed above the prompt, which is then redrawn with the new state.
 */
export class TerminalFront implements ReplIo {
  readonly interactive = true;
  private readonly queue = new LineQueue();
  private readonly options: TerminalOptions;
  private readonly c: ChalkInstance;
  private rl: readline.Interface | null = null;
  private history: string[];
  private engine: ReplEngine | null = null;
  private promptShown = false;
  private readingBody = false;
  /** inquirer owns the terminal: output waits in `held`. */
  private suspended = false;
  private readonly held: string[] = [];
  private historyBroken = false;

  constructor(options: TerminalOptions) {
    this.options = options;
    this.c = options.palette;
    this.history = options.historyFile ? loadHistory(options.historyFile) : [];
  }

  print(lines: string[]): void {
    if (this.suspended) {
      this.held.push(...lines);
      return;
    }
    const out = this.options.output;
    const text = lines.map((line) => `${terminalSafe(line, true, this.c.level > 0)}\n`).join('');
    const rl = this.rl;
    if (!rl || !this.promptShown) {
      out.write(text);
      return;
    }
    // Over the prompt and what is typed so far; readline redraws both below. The
    // blank rows make up for readline moving up to where it believes the prompt starts.
    const rows = rl.getCursorPos().rows;
    readline.moveCursor(out, 0, -rows);
    readline.cursorTo(out, 0);
    readline.clearScreenDown(out);
    out.write(text + '\n'.repeat(rows));
    this.showPrompt();
  }

  async readBodyLine(): Promise<string | null> {
    this.readingBody = true;
    try {
      if (this.queue.pending === 0) this.showPrompt();
      const input = await this.queue.next();
      if (input.kind === 'interrupt') throw new ReplCancelled();
      return input.kind === 'line' ? input.text : null;
    } finally {
      this.readingBody = false;
    }
  }

  ask(question: Question): Promise<string> {
    return this.suspend(async () => {
      const { input } = await import('@inquirer/prompts');
      const answer = await input(
        { message: `${question.message}:`, ...(question.default !== undefined ? { default: question.default } : {}), ...(question.validate ? { validate: (value: string) => question.validate!(value.trim()) } : {}) },
        { output: this.options.output },
      );
      return answer.trim();
    });
  }

  password(user: string): Promise<string> {
    return this.suspend(() => this.options.passwordSource(user));
  }

  async run(engine: ReplEngine): Promise<ExitCodeValue> {
    this.engine = engine;
    this.print([this.c.dim('Type SMTP commands as to telnet, or :help for the meta-commands. Tab completes; Ctrl-D quits.')]);
    this.open();
    try {
      for (;;) {
        if (this.queue.pending === 0) this.showPrompt();
        const input = await this.queue.next();
        if (input.kind === 'interrupt') continue;
        if (input.kind === 'end') {
          await engine.finish();
          break;
        }
        const outcome = await engine.execute(input.text);
        if (outcome.status === 'quit') break;
      }
    } finally {
      this.close();
    }
    return ExitCode.ok;
  }

  private open(): void {
    const rl = readline.createInterface({
      input: this.options.input,
      output: this.options.output,
      terminal: true,
      history: this.history,
      historySize: HISTORY_LIMIT,
      removeHistoryDuplicates: true,
      completer: (line: string): [string[], string] => (this.readingBody || !this.engine ? [[], line] : completeLine(line, { mechanisms: this.engine.mechanisms, checkIds: this.engine.checkIds })),
    });
    rl.on('line', (text) => {
      this.promptShown = false;
      this.queue.push({ kind: 'line', text });
    });
    rl.on('history', (history) => this.remember(history));
    rl.on('SIGINT', () => this.interrupt(rl));
    rl.on('close', () => {
      if (this.rl !== rl) return;
      // Ctrl-D on an empty line.
      this.rl = null;
      this.promptShown = false;
      this.options.output.write('\n');
      this.queue.push({ kind: 'end' });
    });
    this.rl = rl;
  }

  private close(): void {
    const rl = this.rl;
    this.rl = null;
    this.promptShown = false;
    rl?.close();
  }

  private showPrompt(): void {
    const rl = this.rl;
    if (!rl || !this.engine) return;
    rl.setPrompt(this.readingBody ? bodyPromptText(this.c) : promptText(this.engine.state, this.c));
    rl.prompt(true);
    this.promptShown = true;
  }

  /** Ctrl-C: drop the line being typed; in a message body, cancel it; while waiting for the server or a :check, stop waiting. */
  private interrupt(rl: readline.Interface): void {
    if (this.engine?.busy && !this.readingBody) {
      // No prompt on screen: clearing the line would redraw a stale one.
      this.options.output.write('^C\n');
      this.engine.interrupt();
      return;
    }
    const typed = rl.line;
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    this.options.output.write('^C\n');
    this.promptShown = false;
    if (this.readingBody) {
      this.queue.push({ kind: 'interrupt' });
      return;
    }
    if (typed === '') this.print([this.c.dim('(to leave: :quit or Ctrl-D)')]);
    this.showPrompt();
  }

  /** readline has just added the entered line; a line that carried a secret is taken out again before anything keeps it. */
  private remember(history: string[]): void {
    this.history = history;
    const line = history[0];
    if (line === undefined) return;
    if (!isRecordable(line, { body: this.readingBody, sasl: this.engine?.saslProgress ?? null })) {
      history.shift();
      return;
    }
    if (!this.options.historyFile || this.historyBroken) return;
    try {
      appendHistory(this.options.historyFile, line);
    } catch (error) {
      this.historyBroken = true;
      this.print([this.c.yellow(`*** cannot write the history file ${this.options.historyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); history is kept for this session only`)]);
    }
  }

  /** Let inquirer have the terminal: readline must not read the same keys. */
  private async suspend<T>(task: () => Promise<T>): Promise<T> {
    this.close();
    this.suspended = true;
    try {
      return await task();
    } catch (error) {
      // Ctrl-C inside an inquirer prompt.
      if (error instanceof InterruptedError || (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError'))) throw new ReplCancelled();
      throw error;
    } finally {
      this.suspended = false;
      this.open();
      const held = this.held.splice(0);
      if (held.length > 0) this.print(held);
    }
  }
}
