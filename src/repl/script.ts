import type { ChalkInstance } from 'chalk';
import type { Interface } from 'node:readline';
import { createInterface } from 'node:readline';
import { terminalSafe } from '../render/terminal-safe.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { Question, ReplEngine, ReplIo } from './engine.js';
import { isRecordable } from './history.js';
import { LineQueue } from './line-queue.js';

/**
 * The REPL without a terminal: lines from standard input run one after another, as
 * if typed. Questions (`:send`'s form, `:auth` without a user) are answered by the
 * following lines, a message body runs to a lone ".", and passwords come from
 * SMTPCHECK_PASSWORD or --auth-password-file. The first failure ends the run with
 * its exit code (docs/exit-codes.md); a refusal to a typed line is not a failure.
 */
export class ScriptFront implements ReplIo {
  readonly interactive = false;
  private readonly queue = new LineQueue();
  private readonly lines: Interface;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly passwordSource: (user: string) => Promise<string>,
    private readonly c: ChalkInstance,
  ) {
    this.lines = createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.lines.on('line', (text) => this.queue.push({ kind: 'line', text }));
    this.lines.on('close', () => this.queue.push({ kind: 'end' }));
  }

  /** Stop reading standard input, so a run that ended early does not wait for the rest of the script. */
  close(): void {
    this.lines.close();
  }

  print(lines: string[]): void {
    this.output.write(lines.map((line) => `${terminalSafe(line, true, this.c.level > 0)}\n`).join(''));
  }

  async readBodyLine(): Promise<string | null> {
    const input = await this.queue.next();
    return input.kind === 'line' ? input.text : null;
  }

  async ask(question: Question): Promise<string> {
    const input = await this.queue.next();
    if (input.kind !== 'line') throw new UsageError(`the input ended while asking for ${question.message}`, 'put the answer on the line after the command');
    const answer = input.text.trim() === '' ? (question.default ?? '') : input.text.trim();
    const verdict = question.validate?.(answer) ?? true;
    if (verdict !== true) throw new UsageError(`${question.message}: ${verdict}`, 'fix that line of the script');
    this.print([this.c.dim(`? ${question.message}: ${answer}`)]);
    return answer;
  }

  password(user: string): Promise<string> {
    return this.passwordSource(user);
  }

  async run(engine: ReplEngine): Promise<ExitCodeValue> {
    for (;;) {
      const input = await this.queue.next();
      if (input.kind !== 'line') break;
      const text = input.text.trim();
      // Meta-commands are echoed so a CI log reads like the session; ones that may hold a secret only by name.
      if (text.startsWith(':')) this.print([this.c.dim(`> ${isRecordable(text, { body: false, sasl: null }) ? text : `${text.split(/\s+/)[0]} …`}`)]);
      const outcome = await engine.execute(input.text);
      if (outcome.status === 'quit') return engine.connectionLost ? ExitCode.protocol : ExitCode.ok;
      if (outcome.status === 'failed') {
        await engine.finish();
        return outcome.exitCode;
      }
      if (engine.connectionLost) break;
    }
    await engine.finish();
    return engine.connectionLost ? ExitCode.protocol : ExitCode.ok;
  }
}
