import type net from 'node:net';
import type tls from 'node:tls';
import type { FakePeer, FakeServer } from './fake-smtp-server.js';
import { startFakeServer } from './fake-smtp-server.js';
import { DEMO_TLS, serveTls } from './hostile-peer.js';

/**
 * A fake server that answers line by line, for servers that are wrong in simple,
 * deliberate ways: the test writes only `respond`, the responder does the greeting,
 * STARTTLS and QUIT. `smtpResponder` is a `respond` that behaves like a good
 * submission server, for tests that bend it at exactly one step.
 */

export interface ResponderState {
  tls: boolean;
  /** Free for the script: e.g. the step of a multi-line AUTH exchange. */
  memory: Record<string, unknown>;
  /** The peer as it is now (inside TLS after STARTTLS): to close the connection mid-conversation. */
  peer: FakePeer;
  /** The TCP socket under any TLS: for `resetAndDestroy()`, which TLS sockets do not support. */
  tcp: net.Socket;
}

export interface ResponderOptions {
  greeting?: string;
  /** Certificate and TLS options for STARTTLS (and implicit TLS); the lab's demo identity unless given. */
  tls?: tls.TlsOptions;
  implicitTls?: boolean;
  /**
   * A strict, current MTA (Exim with smtp_enforce_sync, Postfix with
   * smtpd_forbid_unauth_pipelining): only CRLF ends a line (RFC 5321 §2.3.8), so a
   * bare LF stays content; and input that arrives before the reply it had to wait
   * for (RFC 2920 §3.1: after any command but RSET, MAIL, RCPT, SEND, SOML, SAML;
   * after anything when the last EHLO answer did not list PIPELINING) gets Exim's
   * "554 SMTP synchronization error" and a hang-up.
   */
  strict?: boolean;
}

export interface ResponderServer extends FakeServer {
  /** Strict responders only: each line after which input came early, in the order seen. */
  syncErrors: string[];
}

/** RFC 2920 §3.1: the commands that may stand anywhere in a pipelined group; every other one must end it. */
const MAY_BE_FOLLOWED = new Set(['RSET', 'MAIL', 'RCPT', 'SEND', 'SOML', 'SAML']);
/** Exim's answer to input that came early (smtp_in.c, smtp_enforce_sync). */
const SYNC_ERROR = '554 SMTP synchronization error';

/** Whether nothing may follow `line` before its reply: message content may start a group (RFC 2920 §3.1), the end of data only with PIPELINING. */
function mustEndGroup(line: string, inMessage: boolean, pipelining: boolean): boolean {
  if (inMessage) return line === '.' && !pipelining;
  return !pipelining || !MAY_BE_FOLLOWED.has(line.split(' ')[0]!.toUpperCase());
}

/** Reply text as the responder's scripts write it (lines split on \n) on the wire, CRLF after each line. */
const onTheWire = (reply: string): string => reply.split('\n').map((line) => `${line}\r\n`).join('');

/**
 * `respond` gets each command line (inside TLS too) with state per connection, and
 * returns the reply (lines split on \n) or null for silence. A 220 to STARTTLS starts
 * TLS; QUIT closes. Lines read inside TLS are recorded in `connections` as well.
 */
export async function startResponder(respond: (line: string, state: ResponderState) => string | null, options: ResponderOptions = {}): Promise<ResponderServer> {
  const tlsOptions = options.tls ?? DEMO_TLS;
  const syncErrors: string[] = [];
  const server = await startFakeServer(
    async (outer) => {
      let peer: FakePeer | null = outer;
      if (options.implicitTls) peer = await serveTls(outer, tlsOptions);
      if (!peer) return;
      const state: ResponderState = { tls: options.implicitTls ?? false, memory: {}, peer, tcp: outer.socket };
      // What the strict responder knows of the session: the last EHLO answer, and whether a message is being read.
      let pipelining = false;
      let inMessage = false;
      peer.write(`${options.greeting ?? '220 fake.example.org ESMTP'}\r\n`);
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        if (peer !== outer) outer.received.push(line);
        if (options.strict && peer.hasPendingInput() && mustEndGroup(line, inMessage, pipelining)) {
          syncErrors.push(line);
          peer.write(`${SYNC_ERROR}\r\n`);
          peer.close();
          return;
        }
        if (/^QUIT/i.test(line) && !inMessage) {
          peer.write('221 2.0.0 Bye\r\n');
          peer.close();
          return;
        }
        const reply = respond(line, state);
        if (inMessage) inMessage = line !== '.';
        else if (/^DATA$/i.test(line)) inMessage = reply?.startsWith('354') ?? false;
        else if (/^EHLO /i.test(line)) pipelining = reply !== null && /^250[- ]PIPELINING$/im.test(reply);
        if (reply === null) continue;
        peer.write(onTheWire(reply));
        if (/^STARTTLS/i.test(line) && reply.startsWith('220') && !state.tls) {
          peer = await serveTls(peer, tlsOptions);
          if (!peer) return;
          state.tls = true;
          state.peer = peer;
          // RFC 3207 §4.2: the client must ask EHLO again; until then nothing was offered.
          pipelining = false;
        }
      }
    },
    { lineEnd: options.strict ? '\r\n' : '\n' },
  );
  return Object.assign(server, { syncErrors });
}

/** An EHLO answer for `respond`; tests vary the keywords. */
export const ehloLines = (keywords: string[]): string => ['fake.example.org', ...keywords].map((line, index, all) => `250${index === all.length - 1 ? ' ' : '-'}${line}`).join('\n');

/** The same EHLO answer as bytes on the wire, for FakePeer scripts. */
export const ehloReply = (keywords: string[]): string => onTheWire(ehloLines(keywords));

export type ServerStep = 'ehlo' | 'helo' | 'starttls' | 'auth' | 'auth-response' | 'mail' | 'rcpt' | 'data' | 'body' | 'dot' | 'rset' | 'noop' | 'other';

export interface SmtpResponderOptions {
  /** Keywords after the domain line of EHLO; default STARTTLS (plaintext only), AUTH PLAIN LOGIN, PIPELINING. */
  ehlo?: (state: ResponderState) => string[];
  user?: string;
  password?: string;
  /** Return a reply to replace the default, null for silence, undefined for the default. */
  override?: (step: ServerStep, line: string, state: ResponderState) => string | null | undefined;
}

/**
 * A respond function for startResponder that behaves like a good submission server
 * (AUTH PLAIN and LOGIN against one user, a whole mail transaction), so that a test
 * states only the one way its server misbehaves, through `override`.
 */
export function smtpResponder(options: SmtpResponderOptions = {}): (line: string, state: ResponderState) => string | null {
  const user = options.user ?? 'john@example.org';
  const password = options.password ?? 'summersun';
  const plainBlob = Buffer.from(`\0${user}\0${password}`).toString('base64');
  const keywords = options.ehlo ?? ((state: ResponderState) => [...(state.tls ? [] : ['STARTTLS']), 'AUTH PLAIN LOGIN', 'PIPELINING', '8BITMIME']);
  const classify = (line: string, state: ResponderState): ServerStep => {
    if (state.memory.inData) return line === '.' ? 'dot' : 'body';
    if (state.memory.login) return 'auth-response';
    const verb = line.split(' ')[0]!.toUpperCase();
    const steps: Record<string, ServerStep> = { EHLO: 'ehlo', HELO: 'helo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', RSET: 'rset', NOOP: 'noop' };
    return steps[verb] ?? 'other';
  };
  const standard = (step: ServerStep, line: string, state: ResponderState): string | null => {
    switch (step) {
      case 'ehlo':
        return ehloLines(keywords(state));
      case 'helo':
        return '250 fake.example.org';
      case 'starttls':
        return '220 2.0.0 Ready to start TLS';
      case 'auth': {
        const [, mechanism = '', initial] = line.split(' ');
        if (mechanism.toUpperCase() === 'PLAIN' && initial) return initial === plainBlob ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
        if (mechanism.toUpperCase() === 'PLAIN') {
          state.memory.login = 'plain';
          return '334 ';
        }
        if (mechanism.toUpperCase() === 'LOGIN') {
          state.memory.login = 'user';
          return '334 VXNlcm5hbWU6';
        }
        return '504 5.5.4 mechanism not supported';
      }
      case 'auth-response': {
        const decoded = Buffer.from(line, 'base64').toString('utf8');
        const stage = state.memory.login;
        if (line === '*' || stage === 'plain') {
          delete state.memory.login;
          if (line === '*') return '501 5.7.0 Authentication aborted';
          return line === plainBlob ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
        }
        if (stage === 'user') {
          state.memory.login = 'password';
          state.memory.loginUser = decoded;
          return '334 UGFzc3dvcmQ6';
        }
        const ok = state.memory.loginUser === user && decoded === password;
        delete state.memory.login;
        return ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed';
      }
      case 'mail':
        return '250 2.1.0 Ok';
      case 'rcpt':
        return '250 2.1.5 Ok';
      case 'data':
        return '354 End data with <CR><LF>.<CR><LF>';
      case 'body':
        return null;
      case 'dot':
        return '250 2.0.0 Ok: queued as 4XyZ1';
      case 'rset':
      case 'noop':
        return '250 2.0.0 Ok';
      default:
        return '502 5.5.2 Error: command not recognized';
    }
  };
  return (line, state) => {
    const step = classify(line, state);
    if (step === 'dot') state.memory.inData = false;
    const replaced = options.override?.(step, line, state);
    const reply = replaced !== undefined ? replaced : standard(step, line, state);
    if (step === 'data') state.memory.inData = reply?.startsWith('354') ?? false;
    return reply;
  };
}
