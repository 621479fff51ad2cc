import type { ChalkInstance } from 'chalk';
import { statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CheckDefinition } from '../checks/check.js';
import { runCheck } from '../checks/runner.js';
import { authenticate, selectMechanism } from '../core/authenticate.js';
import { diffCapabilities } from '../core/capabilities.js';
import { capabilityFindings } from '../core/capability-findings.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { AuthError, ProtocolError, ReplyError, SmtpCheckError, TlsError, UsageError } from '../core/errors.js';
import { ExitCode, exitCodeForResults } from '../outcome/exit-codes.js';
import type { EstablishOptions } from '../core/establish.js';
import { establishSession } from '../core/establish.js';
import { buildMessage } from '../core/message.js';
import type { Reply } from '../core/reply.js';
import { findMechanism } from '../core/sasl.js';
import type { SmtpSession } from '../core/session.js';
import { verificationFailure } from '../core/tls-session.js';
import type { Transcript } from '../core/transcript.js';
import { assertMailbox, assertSingleLine } from '../core/wire-text.js';
import { checkTargetFrom } from '../options/check-target.js';
import type { TargetFlags } from '../options/check-target.js';
import type { DescribedError } from '../outcome/describe-error.js';
import { describeError } from '../outcome/describe-error.js';
import { saveChain } from '../options/connection-options.js';
import { splitList } from '../options/list-flags.js';
import { renderCapabilityTable } from '../render/capability-table.js';
import { renderCheckReport } from '../render/check-report.js';
import { decodeBase64Text, encodeBase64Text } from './base64-text.js';
import type { MetaCommand } from './meta-commands.js';
import { helpLines, parseInput } from './meta-commands.js';
import type { ReplState } from './prompt.js';
import type { RawLinePlan, SaslProgress } from './raw-line.js';
import { decodeChallenge, planRawLine } from './raw-line.js';
import { renderSavedTranscript } from './saved-transcript.js';
import { hintFor } from '../outcome/error-hints.js';
import { sendMail } from '../core/mail-transaction.js';

/** Thrown by a front end when the user cancels a question or a message body (Ctrl-C). */
export class ReplCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'ReplCancelled';
  }
}

export interface Question {
  message: string;
  default?: string;
  /** true, or what is wrong with the answer. */
  validate?: (answer: string) => true | string;
}

/**
 * What the engine needs from whoever talks to the user: a terminal (prompts, masked
 * password) or a script on standard input (the following lines answer). The engine
 * itself never touches a terminal.
 */
export interface ReplIo {
  readonly interactive: boolean;
  /** Output that is not part of the SMTP transcript: help, tables, results. */
  print(lines: string[]): void;
  /** The next line of a message body; null when the input ended. Throws ReplCancelled on Ctrl-C. */
  readBodyLine(): Promise<string | null>;
  ask(question: Question): Promise<string>;
  password(user: string): Promise<string>;
}

export interface ReplEngineOptions {
  establish: EstablishOptions;
  /** Connection, auth and :check flags, as `smtpcheck check` takes them. */
  flags: TargetFlags;
  transcript: Transcript;
  io: ReplIo;
  palette: ChalkInstance;
  checks: readonly CheckDefinition[];
}

export type CommandOutcome = { status: 'ok' } | { status: 'failed'; exitCode: ExitCodeValue } | { status: 'cancelled' } | { status: 'quit' };

const OK: CommandOutcome = { status: 'ok' };

/**
 * The REPL's session logic: one SMTP session driven line by line. Lines for the server
 * go out as typed and their replies update what the prompt shows (TLS, login,
 * transaction); meta-commands run the core's steps. Every reply reaches the screen
 * through the transcript, like every other command's.
 */
export class ReplEngine {
  private session: SmtpSession | null = null;
  private sasl: SaslProgress | null = null;
  /** Set when we sent QUIT: the server closing afterwards is expected. */
  private quitSent = false;
  private lost = false;
  private closedReason = 'the session was closed';
  private interrupted = false;
  /** While :check runs: Ctrl-C aborts it instead of this session. */
  private checkInterrupt: AbortController | null = null;
  private lostReport: Promise<void> = Promise.resolve();
  /** The last login that worked, for :check's authenticated checks. Never printed. */
  private login: { user: string; password: string } | null = null;
  private busyFlag = false;
  private readonly options: ReplEngineOptions;
  private readonly io: ReplIo;
  private readonly c: ChalkInstance;

  constructor(options: ReplEngineOptions) {
    this.options = options;
    this.io = options.io;
    this.c = options.palette;
    options.transcript.on((event) => {
      if (event.type === 'close' && event.by === 'server') this.serverClosed();
    });
  }

  /** Connect and read the greeting; with --tls also EHLO and STARTTLS, so the prompt starts encrypted. */
  async connect(): Promise<void> {
    const { tlsMode } = this.options.establish;
    const stopAfter = tlsMode === 'none' || tlsMode === 'implicit' ? 'greeting' : undefined;
    this.session = await establishSession({ ...this.options.establish, ...(stopAfter ? { stopAfter } : {}) });
    this.quitSent = false;
    this.lost = false;
    this.sasl = null;
    saveChain(this.options.flags, this.session.tls?.chain);
  }

  get busy(): boolean {
    return this.busyFlag;
  }

  /** The server hung up without being asked (the script's exit code 6). */
  get connectionLost(): boolean {
    return this.lost;
  }

  get saslProgress(): SaslProgress | null {
    return this.sasl;
  }

  get state(): ReplState {
    const { host, port } = this.options.establish;
    const session = this.session;
    return {
      server: `${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
      open: session?.connection.isOpen ?? false,
      tls: session?.tls?.protocol ?? null,
      user: session?.authenticatedAs ?? null,
      inTransaction: session?.inTransaction ?? false,
      saslInProgress: this.sasl !== null,
    };
  }

  /** For Tab after AUTH and :auth: what the server offers, once known. */
  get mechanisms(): readonly string[] {
    return this.session?.capabilities?.authMechanisms ?? [];
  }

  get checkIds(): readonly string[] {
    return this.options.checks.map((check) => check.id);
  }

  /** Run one typed line. Errors are reported here; the outcome carries the exit code a script ends with. */
  async execute(line: string): Promise<CommandOutcome> {
    const parsed = parseInput(line, { checkIds: this.checkIds });
    if (parsed.kind === 'empty') return OK;
    if (parsed.kind === 'invalid') return this.failed(new UsageError(parsed.message, parsed.hint));
    if (parsed.kind === 'meta' && parsed.command.name === 'quit') {
      await this.finish();
      return { status: 'quit' };
    }
    this.busyFlag = true;
    try {
      const code = parsed.kind === 'raw' ? await this.raw(parsed.line) : await this.meta(parsed.command);
      if (code === ExitCode.interrupted) return { status: 'cancelled' };
      return code === undefined || code === ExitCode.ok ? OK : { status: 'failed', exitCode: code };
    } catch (error) {
      if (error instanceof ReplCancelled) {
        this.io.print([this.c.dim('(cancelled)')]);
        return { status: 'cancelled' };
      }
      if (this.interrupted) {
        this.options.transcript.warn('interrupted: connection closed, since the server may still answer what was sent; :reconnect to start again');
        return { status: 'cancelled' };
      }
      return this.failed(error);
    } finally {
      this.busyFlag = false;
      this.interrupted = false;
    }
  }

  /**
   * Ctrl-C while waiting for the server: stop waiting. The conversation's state is
   * unknown after that (the reply may still come), so the connection is dropped.
   * During :check, the check's own connections are dropped instead, and this session
   * goes on.
   */
  interrupt(): void {
    if (!this.busyFlag) return;
    if (this.checkInterrupt) {
      this.checkInterrupt.abort();
      return;
    }
    const session = this.session;
    if (!session?.connection.isOpen) return;
    this.interrupted = true;
    this.closedReason = 'the wait for the server was interrupted';
    session.connection.destroy();
  }

  /** QUIT if still connected (Ctrl-D, end of script, :quit). */
  async finish(): Promise<void> {
    await this.lostReport;
    const session = this.session;
    if (session?.connection.isOpen) {
      this.quitSent = true;
      this.closedReason = 'the session ended with QUIT';
      await session.quit();
    }
  }

  /** The REPL's own words where its commands (:starttls, :reconnect) are the way out. */
  private hintFor(error: unknown, described: DescribedError): string | undefined {
    if (error instanceof NotConnectedError) return 'type :reconnect to connect again';
    if (error instanceof PartlyRefusedError) return 'the message went to the other recipients only';
    if (error instanceof AuthError && error.reason === 'auth-plaintext-refused') return 'type :starttls first (or start with --tls-on-connect); --allow-plaintext-auth sends it in the clear';
    if (error instanceof TlsError && error.reason === 'tls-certificate') {
      return error.cause === 'name-mismatch' ? 'reconnect with the name on the certificate (--tls-servername NAME), or --insecure to continue anyway' : 'give the issuing CA with --tls-ca FILE, or --insecure to continue anyway';
    }
    return described.hint;
  }

  private failed(error: unknown): CommandOutcome {
    this.report(error);
    return { status: 'failed', exitCode: describeError(error).exitCode };
  }

  /** One line for what went wrong, one dim line for what to do; usage slips stay out of the saved transcript. */
  private report(error: unknown): void {
    const described = describeError(error);
    const hint = this.hintFor(error, described);
    if (error instanceof UsageError) this.io.print([this.c.red(`*** ${described.message}`)]);
    else this.options.transcript.emit({ type: 'error', step: error instanceof SmtpCheckError ? error.step : 'command', message: described.message, ...(hint ? { hint } : {}) });
    if (hint) this.io.print([this.c.dim(`    ${hint}`)]);
  }

  /**
   * The server hung up. While a command waits, that command reports it; otherwise
   * the reason is reported now, so it shows while the user is typing. The connection
   * keeps the error (or a 421 it was sent first), and reading once more yields it.
   */
  private serverClosed(): void {
    if (this.quitSent) return;
    this.lost = true;
    this.sasl = null;
    this.closedReason = 'the server closed the connection';
    const session = this.session;
    if (this.busyFlag || !session) return;
    this.lostReport = session.connection.readUnsolicitedReply('command', 0).then(
      () => undefined,
      (error: unknown) => this.report(error),
    );
  }

  private requireSession(): SmtpSession {
    const session = this.session;
    if (session?.connection.isOpen) return session;
    if (this.lost) throw new NotConnectedError(`not connected: ${this.closedReason}`);
    throw new UsageError(`not connected: ${this.closedReason}`, 'type :reconnect to connect again');
  }

  /** EHLO first when nothing is known yet: AUTH, MAIL and STARTTLS all need it. */
  private async ensureHello(session: SmtpSession): Promise<void> {
    if (!session.capabilities) await session.hello();
  }

  private async raw(line: string): Promise<void> {
    const session = this.requireSession();
    const plan = planRawLine(line, this.sasl);
    if (!this.sasl && line.trim().toUpperCase() === 'STARTTLS') return this.startTls();
    if (plan.verb === 'BDAT') throw new UsageError('BDAT cannot be typed: its chunk is counted in bytes, not lines', 'use :data or :send (they use DATA), or `smtpcheck send --chunking`');
    const display = plan.display === undefined ? undefined : this.options.establish.revealSecrets ? line : plan.display;
    if (plan.verb === 'QUIT') this.quitSent = true;
    const reply = await session.command(line, plan.step, display !== undefined ? { display } : {});
    this.track(plan, reply, session);
    if (reply.code === 421 && plan.verb !== 'QUIT') {
      // RFC 5321 §3.8: 421 closes the channel; a next line would only race the hang-up.
      this.lost = true;
      this.sasl = null;
      this.closedReason = 'the server ended the session (421)';
      this.options.transcript.warn('the server ended the session with 421; :reconnect to start again');
      session.close();
    } else if (plan.verb === 'QUIT') {
      this.closedReason = 'the session ended with QUIT';
      session.close();
    } else if (plan.verb === 'DATA' && reply.code === 354) {
      await this.typeBodyAfter354(session);
    }
  }

  /** What a reply to a typed line changes in the state the prompt shows. */
  private track(plan: RawLinePlan, reply: Reply, session: SmtpSession): void {
    if (plan.step === 'auth') {
      const progress = this.sasl ?? plan.startsSasl ?? null;
      if (progress && plan.saslUser) progress.user = plan.saslUser;
      if (reply.code === 334 && progress) {
        this.sasl = { ...progress, challenge: decodeChallenge(reply.lines[0] ?? '') };
        return;
      }
      if (progress) session.noteRawReply('AUTH', reply, progress.user ?? undefined);
      this.sasl = null;
      return;
    }
    if (plan.verb === 'QUIT' && reply.code !== 221) this.quitSent = false;
    session.noteRawReply(plan.verb, reply);
  }

  /** DATA typed by hand was accepted: the body follows, as for :data. */
  private async typeBodyAfter354(session: SmtpSession): Promise<void> {
    let body: string;
    try {
      body = await this.collectBody();
    } catch (error) {
      // SMTP has no way to cancel DATA: ending it with "." would send the message.
      session.connection.destroy();
      this.closedReason = 'a message was abandoned during DATA';
      this.options.transcript.warn('message abandoned: connection closed, since SMTP cannot cancel DATA; :reconnect to start again');
      throw error;
    }
    await session.sendMessageBody([Buffer.from(body, 'utf8')]);
  }

  /** Lines up to a lone "."; dot-stuffing and CRLF are the core's job (DotStuffer). */
  private async collectBody(): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.io.readBodyLine();
      if (line === null) throw new UsageError('the input ended before the lone "." that ends the message', 'end the message with a line holding only "."');
      if (line === '.') break;
      if (line.includes('\0')) throw new UsageError('the message contains a NUL byte', 'SMTP forbids NUL in a message (RFC 5321 §4.5.2)');
      lines.push(line);
    }
    return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
  }

  private async meta(command: MetaCommand): Promise<ExitCodeValue | void> {
    switch (command.name) {
      case 'starttls':
        return this.startTls();
      case 'auth':
        return this.auth(command.mechanism, command.user);
      case 'ehlo': {
        const session = this.requireSession();
        await session.hello();
        return;
      }
      case 'caps':
        return this.caps();
      case 'send':
        return this.send();
      case 'data':
        return this.data();
      case 'b64':
        this.io.print([command.mode === 'encode' ? encodeBase64Text(command.text) : decodeBase64Text(command.text)]);
        return;
      case 'plain':
        return this.plain(command.user);
      case 'check':
        return this.check(command.id);
      case 'reconnect':
        return this.reconnect();
      case 'save':
        return this.save(command.file);
      case 'help':
        this.io.print(helpLines(command.topic));
        return;
      case 'quit':
        return this.finish();
    }
  }

  private async startTls(): Promise<void> {
    const session = this.requireSession();
    if (session.tls) throw new UsageError('this connection is already encrypted', 'STARTTLS is allowed once per session (RFC 3207 §4.2)');
    await this.ensureHello(session);
    if (!session.capabilities!.startTls) this.options.transcript.warn('the server does not advertise STARTTLS; sending it anyway');
    const secured = await session.startTls();
    this.sasl = null;
    saveChain(this.options.flags, secured.chain);
    const failure = verificationFailure(secured);
    if (failure && !this.options.establish.tls?.insecure) {
      this.closedReason = 'the certificate did not verify';
      this.quitSent = true;
      await session.quit();
      throw new TlsError('tls', 'tls-certificate', failure, { cause: secured.chainVerified ? 'name-mismatch' : 'untrusted' });
    }
    if (failure) this.options.transcript.warn(`${failure}; continuing because of --insecure`);
    this.options.transcript.info(`after STARTTLS: ${describeCapabilityChange(session)}`);
  }

  private async auth(mechanism: string | undefined, givenUser: string | undefined): Promise<void> {
    const session = this.requireSession();
    const { flags } = this.options;
    if (session.authenticatedAs) throw new UsageError(`already authenticated as ${session.authenticatedAs}`, 'RFC 4954 §4 allows one AUTH per session: :reconnect to log in as someone else');
    // Checked before the password is asked for, so nobody types it for nothing.
    if (!session.tls && !flags.allowPlaintextAuth) {
      throw new AuthError('auth-plaintext-refused', 'refusing to send a password over an unencrypted connection');
    }
    await this.ensureHello(session);
    const chosen = mechanism ?? flags.authMech;
    if (chosen === undefined) selectMechanism(session, {});
    const user = assertSingleLine(givenUser ?? flags.authUser ?? (await this.io.ask({ message: 'User', validate: required })), 'the user');
    const secret = await this.io.password(user);
    await authenticate(session, { user, secret, ...(chosen !== undefined ? { mechanism: chosen } : {}), allowPlaintext: flags.allowPlaintextAuth ?? false });
    this.login = { user, password: secret };
  }

  private async plain(user: string): Promise<void> {
    assertSingleLine(user, 'the user');
    const secret = await this.io.password(user);
    const { host, port } = this.options.establish;
    const initial = findMechanism('PLAIN')!.start({ user, secret }, { host, port }).initialResponse!;
    this.io.print([`AUTH PLAIN ${initial.response.toString('base64')}`, this.c.dim('    (the password merely encoded: treat this line as the password)')]);
  }

  private async caps(): Promise<void> {
    const session = this.requireSession();
    await this.ensureHello(session);
    const implicit = this.options.establish.tlsMode === 'implicit';
    const before = session.capabilitiesBeforeTls;
    const current = session.capabilities;
    const columns = implicit
      ? [{ label: 'TLS (implicit)', capabilities: current }]
      : before
        ? [
            { label: 'BEFORE TLS', capabilities: before },
            { label: 'AFTER STARTTLS', capabilities: current },
          ]
        : [{ label: session.tls ? 'TLS' : 'PLAINTEXT', capabilities: current }];
    const findings = implicit ? capabilityFindings(current, null, true) : capabilityFindings(before ?? (session.tls ? null : current), before ? current : session.tls ? current : null, false);
    this.io.print(renderCapabilityTable(columns, findings, this.c));
  }

  private async data(): Promise<void> {
    const session = this.requireSession();
    if (this.io.interactive) this.io.print([this.c.dim('Type the message (headers, an empty line, the body); end with a line holding only "."')]);
    const body = await this.collectBody();
    const reply = await session.data([Buffer.from(body, 'utf8')]);
    if (reply.code !== 250) throw new ReplyError('data', reply);
  }

  /** :send: the form, then MAIL, RCPT and DATA with a built message (a unique token in Subject and body). */
  private async send(): Promise<void> {
    const session = this.requireSession();
    if (session.inTransaction) throw new UsageError('a mail transaction is already open', 'finish it with :data, or type RSET');
    await this.ensureHello(session);
    const io = this.io;
    const defaultFrom = session.authenticatedAs ?? this.options.flags.authUser;
    const from = await io.ask({ message: 'From', ...(defaultFrom ? { default: defaultFrom } : {}), validate: mailbox('From', { allowEmpty: true }) });
    const to = splitList([await io.ask({ message: 'To (comma-separated)', validate: mailboxList })]);
    const subject = await io.ask({ message: 'Subject (empty: a test subject with a unique token)' });
    if (io.interactive) io.print([this.c.dim('Body: end with a line holding only "."; an empty body sends a test text')]);
    const body = await this.collectBody();
    const attachments = splitList([await io.ask({ message: 'Attachments (file paths, comma-separated; empty: none)', validate: fileList })]);
    const message = buildMessage({
      from: from === '' ? 'MAILER-DAEMON' : from,
      to,
      ...(subject !== '' ? { subject } : {}),
      ...(body !== '' ? { body: { kind: 'text' as const, text: body } } : {}),
      attachments,
      messageIdDomain: this.options.establish.heloName,
    });
    const parameters = message.eightBit && session.capabilities?.eightBitMime ? ['BODY=8BITMIME'] : [];
    const transaction = await sendMail(session, { from, mailParameters: parameters, recipients: to, message: () => message.chunks() });
    const firstRefusal = transaction.recipients.find((recipient) => !recipient.accepted)?.reply;
    switch (transaction.outcome) {
      case 'mail-refused':
        throw new ReplyError('mail', transaction.mail);
      case 'recipients-refused':
        // The sender was accepted: end the open transaction so the session stays usable.
        await session.reset();
        throw new ReplyError('rcpt', firstRefusal!);
      case 'data-refused':
        throw new ReplyError('data', transaction.dataStart!);
      case 'message-refused':
        throw new ReplyError('data', transaction.final!);
      default:
        break;
    }
    const queued = transaction.queueId;
    this.options.transcript.info(`message ${message.token} accepted for ${transaction.delivered.length} of ${to.length} recipient(s)${queued ? `, queued as ${queued}` : ''}`);
    if (firstRefusal) throw new PartlyRefusedError('rcpt', firstRefusal);
  }

  /** One check on its own connections, like `smtpcheck check --checks ID -v`; this session is not touched. */
  private async check(id: string): Promise<ExitCodeValue> {
    const check = this.options.checks.find((candidate) => candidate.id === id)!;
    const login = this.login;
    const flags = { ...this.options.flags, authUser: login?.user, authPassword: undefined, authPasswordFile: undefined };
    const interrupt = new AbortController();
    this.checkInterrupt = interrupt;
    let target;
    let result;
    try {
      target = await checkTargetFrom(flags, this.options.transcript, login?.password);
      result = await runCheck(check, target, { signal: interrupt.signal, explainError: hintFor });
    } finally {
      this.checkInterrupt = null;
    }
    this.io.print(renderCheckReport({ target: `${target.host}:${target.port}`, role: target.role, roleAssumed: target.roleAssumed ?? false }, [result], this.c, { verbose: true, durationMs: result.durationMs }));
    if (interrupt.signal.aborted) {
      this.io.print([this.c.dim('(check interrupted: its connections are closed; this session is untouched)')]);
      return ExitCode.interrupted;
    }
    return exitCodeForResults([result], false);
  }

  private async reconnect(): Promise<void> {
    await this.finish();
    this.session = null;
    await this.connect();
  }

  private save(file: string): void {
    const { host, port, revealSecrets } = this.options.establish;
    const events = this.options.transcript.events;
    const text = renderSavedTranscript(events, { revealSecrets: revealSecrets ?? false, title: `smtpcheck repl ${host}:${port}, saved ${new Date().toISOString()}` });
    try {
      writeFileSync(file, text, { mode: 0o600 });
    } catch (error) {
      throw new UsageError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path and its permissions');
    }
    this.io.print([this.c.dim(`saved ${events.length} transcript events to ${file}`)]);
  }
}

/** "added AUTH PLAIN LOGIN; removed STARTTLS", from the EHLO answers either side of STARTTLS. */
export function describeCapabilityChange(session: Pick<SmtpSession, 'capabilitiesBeforeTls' | 'capabilities'>): string {
  const before = session.capabilitiesBeforeTls;
  const after = session.capabilities;
  if (!before || !after) return 'no EHLO to compare';
  const difference = diffCapabilities(before, after);
  const words = (keyword: string, params: string[]) => [keyword, ...params].join(' ');
  const parts = [
    ...(difference.added.length ? [`added ${difference.added.map((key) => words(key, after.extensions.get(key)!)).join(', ')}`] : []),
    ...(difference.removed.length ? [`removed ${difference.removed.join(', ')}`] : []),
    ...difference.changed.map((change) => `${change.keyword} ${change.before.join(' ') || '(none)'} → ${change.after.join(' ') || '(none)'}`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'capabilities unchanged';
}

function required(answer: string): true | string {
  return answer.trim() !== '' || 'an answer is needed';
}

function mailbox(what: string, options: { allowEmpty?: boolean } = {}): (answer: string) => true | string {
  return (answer) => {
    try {
      assertMailbox(answer.trim(), what, options);
      return true;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

function mailboxList(answer: string): true | string {
  const addresses = splitList([answer]);
  if (addresses.length === 0) return 'give at least one recipient';
  for (const address of addresses) {
    const verdict = mailbox('recipient')(address);
    if (verdict !== true) return verdict;
  }
  return true;
}

function fileList(answer: string): true | string {
  for (const path of splitList([answer])) {
    try {
      if (!statSync(path).isFile()) return `${path} is not a file`;
    } catch {
      return `cannot read ${path}`;
    }
  }
  return true;
}

/** A command typed after the server hung up: the connection is gone, :reconnect brings a new one. */
class NotConnectedError extends ProtocolError {
  constructor(message: string) {
    super('command', 'closed-by-server', message);
  }
}

/** :send delivered to some recipients; the first refusal is the error. */
class PartlyRefusedError extends ReplyError {}

