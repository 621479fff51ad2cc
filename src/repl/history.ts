import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { planRawLine } from './raw-line.js';
import type { SaslProgress } from './raw-line.js';

/** Lines kept across sessions; enough for weeks of testing, small enough to read at start-up. */
export const HISTORY_LIMIT = 1000;

/**
 * Where the history lives: $XDG_STATE_HOME/smtpcheck/repl_history, or
 * ~/.local/state/smtpcheck/repl_history (XDG Base Directory: history is state, not
 * configuration). A relative XDG_STATE_HOME is invalid by the spec and ignored.
 */
export function historyFilePath(env: NodeJS.ProcessEnv, home: string): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(state, 'smtpcheck', 'repl_history');
}

/** What a line was typed into, which decides whether it may be remembered. */
export interface TypingContext {
  /** A message body is being typed (:data, :send, DATA). */
  body: boolean;
  /** The server is waiting for the answer to a 334 challenge. */
  sasl: SaslProgress | null;
}

/**
 * Lines that carried a secret never reach the history file: answers to AUTH
 * challenges, AUTH with an initial response, and `:b64` (whose TEXT is usually a
 * password being encoded). Message bodies are not commands and are not kept either.
 */
export function isRecordable(line: string, context: TypingContext): boolean {
  if (context.body || line.trim() === '') return false;
  const text = line.trimStart();
  if (text.startsWith(':')) return !/^:b64(\s|$)/i.test(text);
  return !planRawLine(line, context.sasl).secret;
}

/** Newest first, as readline wants it. A missing file is an empty history. */
export function loadHistory(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length > HISTORY_LIMIT * 2) writeHistoryFile(path, lines.slice(-HISTORY_LIMIT));
  return lines.slice(-HISTORY_LIMIT).reverse();
}

/** Append one line as it is entered, so two REPLs at once both keep theirs. Owner-only: commands can name people and hosts. */
export function appendHistory(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  appendFileSync(path, `${line}\n`, { mode: 0o600 });
}

function writeHistoryFile(path: string, lines: string[]): void {
  try {
    writeFileSync(path, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
  } catch {
    // Trimming is housekeeping; an unwritable file still loads.
  }
}
