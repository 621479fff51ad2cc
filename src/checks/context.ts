import { randomBytes } from 'node:crypto';
import { authenticate } from '../core/authenticate.js';
import type { TlsClientOptions } from '../core/tls-options.js';
import type { ProxyHeaderSpec } from '../core/proxy-protocol.js';
import type { Reply } from '../core/reply.js';
import type { Socks5Proxy } from '../core/socks5.js';
import type { Timeouts } from '../core/timeouts.js';
import type { TlsMode } from '../core/establish.js';
import { establishSession } from '../core/establish.js';
import type { SmtpSession } from '../core/session.js';
import { Transcript } from '../core/transcript.js';
import { InterruptedError, ReplyError, TlsError } from '../core/errors.js';
import { replyDisposition } from '../core/deferral.js';
import type { Role } from './check.js';
import type { Evidence } from './evidence.js';
import { CheckNotApplicable } from './check.js';
import { ConnectionSlots } from './connection-slots.js';
import { RetryBudget } from './deferral-retry.js';

/** Everything a check knows about its target (the placeholders of docs/checks.md#how-the-checks-talk-to-the-server). */
export interface CheckTarget {
  host: string;
  port: number;
  role: Role;
  /** True when the role was guessed from a port that is not 25, 587 or 465. */
  roleAssumed?: boolean;
  family?: 0 | 4 | 6;
  localAddress?: string;
  /** A PROXY protocol header every session sends first (--proxy-protocol): the target sits behind a balancer. */
  proxyHeader?: ProxyHeaderSpec;
  /** A SOCKS5 server every session goes through (--socks5). */
  socks5?: Socks5Proxy;
  /** {h}: EHLO name; default smtpcheck.example. */
  heloName: string;
  tls: TlsClientOptions;
  timeouts: Timeouts;
  /** {loc}: a domain the server hosts. */
  localDomain: string;
  /** {known}: a mailbox that exists (default postmaster@{loc}, which RFC 5321 §4.5.1 requires). */
  localRecipient: string;
  /** True when the user named the recipient: only then may a check deliver real mail to it. */
  recipientGiven: boolean;
  /** {ext}, {ext2}: domains the server does not host (RFC 2606 names never route). */
  foreignDomain: string;
  foreignDomain2: string;
  credentials?: { user: string; password: string };
  /**
   * Show credentials decoded in the evidence instead of redacted (--show-secrets).
   * Only the command line sets it, never a suite file.
   */
  revealSecrets?: boolean;
  /** {alias}: an address the login owns besides its own. */
  alias?: string;
  /** {other}: a hosted address the login does not own. */
  otherSender?: string;
  /** Days before expiry at which cert-validity warns (suite threshold cert-days-left). */
  certWarningDays?: number;
  /** Shared by every check of a run against this target. */
  slots?: ConnectionSlots;
  /**
   * How long to wait before asking a deferred probe once more (--retry-deferred);
   * 0 or unset: no wait-and-retry, only the immediate reconnect (docs/checks.md#deferrals).
   */
  retryDeferredMs?: number;
  /** Extra connections for retrying deferred probes, shared by every check of the run. */
  retryBudget?: RetryBudget;
  /**
   * {srv} and {ip} from the run's first greeting, shared by its checks so that each
   * need not open a session to learn them. Set by CheckContext; null if that session
   * never got a greeting.
   */
  identity?: Promise<ServerIdentity | null>;
}

/** What the server's greeting tells about it (docs/checks.md#how-the-checks-talk-to-the-server). */
export interface ServerIdentity {
  /** {srv}: the host name the greeting starts with; null if it has none. */
  bannerHost: string | null;
  /** {ip}: the server's address as connected. */
  address: string;
}

export type SessionTls = 'none' | 'tls';

/** How a check's session differs from the run's: greeting only, TLS options, its own PROXY header (proxy-untrusted). */
export interface EstablishChoices {
  ehlo?: boolean;
  tlsOptions?: Partial<TlsClientOptions>;
  proxyHeader?: ProxyHeaderSpec;
  /**
   * false: a 4yz greeting is thrown at once, neither retried nor taken as a connection
   * limit (a probe whose own bytes may have caused it: proxy-untrusted).
   */
  retryDeferredGreeting?: boolean;
}

const bannerHost = (greeting: Reply): string | null => greeting.lines[0]?.split(/\s+/)[0] || null;

/** A connection limit frees a slot when another session ends: a few seconds, not minutes. */
const MAX_GREETING_ATTEMPTS = 3;
const GREETING_BACKOFF_MS = 1000;

/**
 * A check's window on the target: it opens sessions (each recorded in its own
 * transcript, which becomes the evidence) and knows the placeholders. Checks never
 * build connections themselves, so TLS, timeouts and the source address are the same
 * for every check of a run.
 */
export class CheckContext {
  readonly target: CheckTarget;
  private readonly transcripts: Transcript[] = [];
  private readonly sessions = new Set<SmtpSession>();
  private readonly slots: ConnectionSlots;
  private readonly signal: AbortSignal | undefined;

  /** @param signal aborting it (Ctrl-C) destroys every session at once, opening or open, and ends any wait for a slot */
  constructor(target: CheckTarget, signal?: AbortSignal) {
    this.target = target;
    this.slots = target.slots ?? new ConnectionSlots(1);
    this.signal = signal;
  }

  get role(): Role {
    return this.target.role;
  }

  get retryBudget(): RetryBudget {
    return (this.target.retryBudget ??= new RetryBudget());
  }

  /** Wait, as a client retrying later would; Ctrl-C ends the wait at once. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const signal = this.signal;
      if (signal?.aborted) return reject(new InterruptedError('command'));
      const onAbort = () => {
        clearTimeout(timer);
        reject(new InterruptedError('command'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Connect, greet and EHLO. `tls: 'tls'` brings TLS up as the role does it (STARTTLS
   * on 25/587, implicit on 465); `none` stays plaintext (implicit TLS on 465 regardless,
   * since that port has no plaintext phase). Certificates are not enforced here: the
   * cert-* checks judge them, every other check just needs the conversation.
   */
  async open(tls: SessionTls, options: EstablishChoices = {}): Promise<SmtpSession> {
    if (this.signal?.aborted) throw new InterruptedError('connect');
    const transcript = new Transcript();
    this.transcripts.push(transcript);
    const tlsMode: TlsMode = this.role === 'submissions' ? 'implicit' : tls === 'tls' ? 'starttls' : 'none';
    // Claimed before the first await, so that checks starting together wait for this greeting.
    const learning = this.target.identity === undefined ? this.learnIdentity(transcript) : null;
    let session: SmtpSession;
    try {
      session = await this.establish(tlsMode, transcript, options);
    } catch (error) {
      learning?.();
      if (error instanceof TlsError && error.reason === 'starttls-not-offered') {
        throw new CheckNotApplicable('no TLS on this port: STARTTLS is not offered (see starttls-offered)');
      }
      throw error;
    }
    this.sessions.add(session);
    learning?.();
    return session;
  }

  /**
   * Take a slot, then connect, greet and EHLO; the slot is held by the session it
   * returns. A 4yz greeting (a connection count or rate limit: anvil's `421 4.7.0 …
   * too many connections`) is a deferral, not a verdict: fewer connections at once for
   * the rest of the run, back off without holding a slot, and reconnect, each retry
   * taken from the run's budget (docs/checks.md#deferrals).
   */
  private async establish(tlsMode: TlsMode, transcript: Transcript, options: EstablishChoices): Promise<SmtpSession> {
    const proxyHeader = options.proxyHeader ?? this.target.proxyHeader;
    for (let attempt = 1; ; attempt += 1) {
      await this.slots.acquire(this.signal);
      try {
        return await establishSession({
          host: this.target.host,
          port: this.target.port,
          family: this.target.family ?? 0,
          ...(this.target.localAddress ? { localAddress: this.target.localAddress } : {}),
          ...(proxyHeader ? { proxyHeader } : {}),
          ...(this.target.socks5 ? { socks5: this.target.socks5 } : {}),
          heloName: this.target.heloName,
          timeouts: this.target.timeouts,
          tls: { ...this.target.tls, ...options.tlsOptions },
          verifyCertificate: false,
          revealSecrets: this.target.revealSecrets ?? false,
          tlsMode,
          transcript,
          ...(this.signal ? { signal: this.signal } : {}),
          ...(options.ehlo === false ? { stopAfter: 'greeting' as const } : {}),
        });
      } catch (error) {
        const deferredGreeting = error instanceof ReplyError && error.step === 'greeting' && replyDisposition(error.reply) === 'deferred' && options.retryDeferredGreeting !== false;
        if (deferredGreeting) this.slots.shrink();
        this.slots.release();
        if (!deferredGreeting || attempt >= MAX_GREETING_ATTEMPTS || !this.retryBudget.take()) throw error;
        await this.sleep(GREETING_BACKOFF_MS * attempt);
      }
    }
  }

  /**
   * Make this session the one that tells the run's checks {srv} and {ip}: they are
   * known the moment its greeting arrives, whatever the session does next. The
   * returned function ends the listening once the session is open or has failed; a
   * session that failed before its greeting hands the task on to the next one.
   */
  private learnIdentity(transcript: Transcript): () => void {
    let settle!: (identity: ServerIdentity | null) => void;
    const identity = new Promise<ServerIdentity | null>((resolve) => (settle = resolve));
    this.target.identity = identity;
    let address = this.target.host;
    let greeted = false;
    const stop = transcript.on((event) => {
      if (event.type === 'connect') address = event.address;
      if (event.type === 'receive' && event.step === 'greeting' && !greeted) {
        greeted = true;
        settle({ bannerHost: bannerHost(event.reply), address });
      }
    });
    return () => {
      stop();
      if (greeted) return;
      if (this.target.identity === identity) delete this.target.identity;
      settle(null);
    };
  }

  /** {srv} and {ip}: from the run's first greeting, or from a greeting-only session when no check has had one. */
  async serverIdentity(): Promise<ServerIdentity> {
    const shared = this.target.identity ? await this.target.identity : null;
    if (shared) return shared;
    const session = await this.open('none', { ehlo: false });
    await this.done(session);
    return { bannerHost: bannerHost(session.greeting), address: session.connection.remoteAddress ?? this.target.host };
  }

  /** A TLS session logged in with the user's credentials (callers check `needs`). */
  async openAuthenticated(): Promise<SmtpSession> {
    const session = await this.open('tls');
    const credentials = this.target.credentials!;
    await authenticate(session, { user: credentials.user, secret: credentials.password });
    return session;
  }

  /** {rand}: a local part no server has, e.g. zz-9f3a1c. */
  randomLocalPart(): string {
    return `zz-${randomBytes(3).toString('hex')}`;
  }

  /** The user for checks that need one: the login if given, else {known}. */
  get user(): string {
    return this.target.credentials?.user ?? this.target.localRecipient;
  }

  /** QUIT a session and give its connection slot back. */
  async done(session: SmtpSession): Promise<void> {
    if (!this.sessions.delete(session)) return;
    await session.quit();
    this.slots.release();
  }

  /** End every session still open; called by the runner whatever the outcome. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => this.done(session)));
  }

  /** The transcript of every session, in the order opened: the default evidence (render/evidence-lines.ts words and bounds it). */
  evidence(): Evidence {
    return this.transcripts.map((transcript) => ({ kind: 'session', events: [...transcript.events] }));
  }
}
