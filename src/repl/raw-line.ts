import type { SmtpStep } from '../core/errors.js';

/**
 * What the REPL does with a line typed for the server: which step it belongs to (so
 * errors and timeouts name it), and what the transcript shows when the line carries
 * a credential. Pure, so redaction is tested without a socket.
 */

/** Verbs offered by Tab; MAIL and RCPT complete to the start of their path. */
export const SMTP_VERBS = ['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'MAIL FROM:<', 'RCPT TO:<', 'DATA', 'RSET', 'NOOP', 'VRFY', 'EXPN', 'HELP', 'ETRN', 'QUIT'] as const;

const STEP_BY_VERB: Record<string, SmtpStep> = {
  EHLO: 'ehlo',
  LHLO: 'ehlo',
  HELO: 'helo',
  STARTTLS: 'starttls',
  AUTH: 'auth',
  MAIL: 'mail',
  RCPT: 'rcpt',
  DATA: 'data',
  BDAT: 'bdat',
  QUIT: 'quit',
};

/** A SASL exchange typed by hand: after a 334, the next line is an answer, and answers are secrets. */
export interface SaslProgress {
  mechanism: string;
  /** The login, when it could be read from what was sent (PLAIN, or LOGIN's username answer). */
  user: string | null;
  /** The last 334 challenge, decoded. */
  challenge: string;
}

export interface RawLinePlan {
  verb: string;
  step: SmtpStep;
  /** What the transcript shows instead of the line; absent when the line carries nothing secret. */
  display?: string;
  /** Never written to the history file. */
  secret: boolean;
  /** Set for an AUTH command: the exchange it starts if the server answers 334 (or the login if 235). */
  startsSasl?: SaslProgress;
  /** Set for an answer to LOGIN's "Username:" challenge. */
  saslUser?: string;
}

export function verbOf(line: string): string {
  return (line.trimStart().split(/\s+/, 1)[0] ?? '').toUpperCase();
}

export function planRawLine(line: string, sasl: SaslProgress | null): RawLinePlan {
  if (sasl) return planSaslAnswer(line, sasl);
  const verb = verbOf(line);
  const step = STEP_BY_VERB[verb] ?? 'command';
  if (verb !== 'AUTH') return { verb, step, secret: false };
  const [, mechanismWord = '', initial] = line.trim().split(/\s+/);
  const mechanism = mechanismWord.toUpperCase();
  if (initial === undefined) return { verb, step, secret: false, startsSasl: { mechanism, user: null, challenge: '' } };
  const user = mechanism === 'PLAIN' ? plainUser(initial) : null;
  // RFC 4954 §4: "=" is an empty initial response, which carries nothing.
  if (initial === '=') return { verb, step, secret: false, startsSasl: { mechanism, user, challenge: '' } };
  const what = user !== null ? `credentials for ${user}` : 'initial response';
  return { verb, step, display: `AUTH ${mechanismWord} <${what}>`, secret: true, startsSasl: { mechanism, user, challenge: '' } };
}

function planSaslAnswer(line: string, sasl: SaslProgress): RawLinePlan {
  // RFC 4954 §4: a lone "*" cancels the exchange; it is not a secret.
  if (line.trim() === '*') return { verb: '*', step: 'auth', secret: false };
  const challenge = sasl.challenge.toLowerCase();
  if (challenge.startsWith('username')) {
    const user = decodeBase64Utf8(line.trim());
    return { verb: '', step: 'auth', display: user !== null ? `<username ${user}>` : '<username>', secret: true, ...(user !== null ? { saslUser: user } : {}) };
  }
  return { verb: '', step: 'auth', display: challenge.startsWith('password') ? '<password>' : '<SASL response>', secret: true };
}

/** RFC 4616 §2: [authzid] NUL authcid NUL passwd; the authcid is the login. */
function plainUser(base64: string): string | null {
  const decoded = decodeBase64Utf8(base64);
  if (decoded === null) return null;
  const parts = decoded.split('\0');
  return parts.length === 3 && parts[1] ? parts[1].replace(/[\x00-\x1f\x7f]/g, '?') : null;
}

function decodeBase64Utf8(text: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64').toString('utf8');
}

/** The text of a 334 challenge, decoded, for deciding what the next answer is. */
export function decodeChallenge(text: string): string {
  return decodeBase64Utf8(text.trim()) ?? '';
}
