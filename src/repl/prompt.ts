import type { ChalkInstance } from 'chalk';

/** What the prompt tells about the session, taken from the engine after every command and server event. */
export interface ReplState {
  /** host:port as connected. */
  server: string;
  open: boolean;
  /** Negotiated protocol (TLSv1.3), or null in plaintext. */
  tls: string | null;
  user: string | null;
  inTransaction: boolean;
  /** A SASL exchange typed by hand is waiting for the next answer. */
  saslInProgress: boolean;
}

/**
 * The prompt: `127.0.0.1:587 (TLSv1.3, john@example.org, in transaction)> `, or
 * `(closed)` once the connection is gone, so nobody types into a dead session.
 */
export function promptText(state: ReplState, c: ChalkInstance): string {
  const parts: string[] = [];
  if (!state.open) parts.push(c.red('closed'));
  else {
    parts.push(state.tls ? c.green(state.tls) : c.yellow('plain'));
    if (state.user) parts.push(c.bold(state.user));
    if (state.inTransaction) parts.push(c.magenta('in transaction'));
    if (state.saslInProgress) parts.push(c.magenta('AUTH answer expected'));
  }
  return `${c.cyan(state.server)} (${parts.join(', ')})> `;
}

/** The prompt while a message body is typed. */
export function bodyPromptText(c: ChalkInstance): string {
  return c.dim('data> ');
}
