import type { Capabilities } from './capabilities.js';
import { heloCapabilities, parseEhloReply } from './capabilities.js';
import type { ConnectOptions, ReplyCallback } from './connection.js';
import { SmtpConnection } from './connection.js';
import { DotStuffer } from './dot-stuffing.js';
import { replyDisposition } from './deferral.js';
import type { SmtpStep } from './errors.js';
import { AuthError, ConnectError, ProtocolError, ReplyError, SmtpCheckError, TimeoutError, TlsError, XclientError } from './errors.js';
import type { Reply } from './reply.js';
import { isPositive, recipientAccepted, replySummary } from './reply.js';
import type { SaslCredentials, SaslMechanism } from './sasl.js';
import type { TlsSessionInfo } from './tls-session.js';
import type { Transcript } from './transcript.js';
import { assertSingleLine } from './wire-text.js';
import type { XclientAttribute } from './xclient.js';
import { unlistedXclientAttributes, xclientCommand } from './xclient.js';

export interface SessionOptions extends ConnectOptions {
  /** Name sent with EHLO/HELO/LHLO. */
  heloName: string;
  protocol?: 'smtp' | 'lmtp';
  /** Put credentials into the transcript instead of their redacted form (--show-secrets). */
  revealSecrets?: boolean;
}

export interface AuthOutcome {
  mechanism: string;
  reply: Reply;
  success: boolean;
  /** SCRAM only: whether the server proved it knows the password too. */
  serverVerified?: boolean;
}

/** One command of a pipelined group (RFC 2920). */
export interface PipelinedCommand {
  line: string;
  step: SmtpStep;
}

export interface EnvelopeReplies {
  mail: Reply;
  recipients: Reply[];
  dataStart: Reply;
}

/** MAIL, one RCPT per recipient, DATA: a transaction's envelope as one pipelined group. */
export function envelopeCommands(from: string, mailParameters: string[], recipients: string[], rcptParameters: string[] = []): PipelinedCommand[] {
  return [
    { line: ['MAIL FROM:<' + from + '>', ...mailParameters].join(' '), step: 'mail' },
    ...recipients.map((address) => ({ line: ['RCPT TO:<' + address + '>', ...rcptParameters].join(' '), step: 'rcpt' as const })),
    { line: 'DATA', step: 'data' },
  ];
}

// A load run sends the same envelope behind every message: encoded (and checked) once.
const encodedGroups = new WeakMap<readonly PipelinedCommand[], Buffer>();

/**
 * A pipelined group as it goes on the wire: one CRLF line per command, each checked
 * to be one line. Groups are remembered by identity, so a group must not be changed
 * once it has been sent.
 */
export function encodePipelined(commands: readonly PipelinedCommand[]): Buffer {
  let encoded = encodedGroups.get(commands);
  if (!encoded) {
    encoded = Buffer.from(commands.map((command) => `${assertSingleLine(command.line, `the pipelined ${command.step.toUpperCase()} command line`)}\r\n`).join(''), 'utf8');
    encodedGroups.set(commands, encoded);
  }
  return encoded;
}

/** The replies to envelopeCommands, told apart by command. */
export function envelopeReplies(replies: Reply[]): EnvelopeReplies {
  return { mail: replies[0]!, recipients: replies.slice(1, -1), dataStart: replies[replies.length - 1]! };
}

/** How many lines of a message the transcript shows before "… N more bytes". */
const DATA_PREVIEW_LINES = 40;
// RFC 4954 §4: a mechanism exchange is a handful of round trips; a server that keeps
// challenging is broken or hostile.
const MAX_SASL_ROUND_TRIPS = 8;

/**
 * An SMTP conversation on one connection: greeting, EHLO (HELO fallback), STARTTLS
 * with re-EHLO, AUTH, the mail transaction. Each method sends one command and returns
 * the server's reply; methods whose step cannot continue on a refusal throw typed
 * errors. Checks use `command` for anything else.
 */
export class SmtpSession {
  readonly connection: SmtpConnection;
  readonly transcript: Transcript;
  readonly options: SessionOptions;
  greeting!: Reply;
  // The session's state is its own: the typed methods keep it, and a line sent raw
  // (command(), the REPL's typed lines) reports its answer through noteRawReply.
  #capabilities: Capabilities | null = null;
  #authenticatedAs: string | null = null;
  #inTransaction = false;
  /** The EHLO answer before STARTTLS, kept only to show the difference: never used for decisions (RFC 3207 §4.2). */
  capabilitiesBeforeTls: Capabilities | null = null;

  /** What the last EHLO (or HELO) said the server offers; null before one was answered. */
  get capabilities(): Capabilities | null {
    return this.#capabilities;
  }
  private set capabilities(capabilities: Capabilities | null) {
    this.#capabilities = capabilities;
  }

  /** Who AUTH succeeded as, if it did. */
  get authenticatedAs(): string | null {
    return this.#authenticatedAs;
  }
  private set authenticatedAs(user: string | null) {
    this.#authenticatedAs = user;
  }

  /** A MAIL was accepted and no end of data, RSET or EHLO has ended the transaction yet. */
  get inTransaction(): boolean {
    return this.#inTransaction;
  }
  private set inTransaction(open: boolean) {
    this.#inTransaction = open;
  }

  /**
   * A command sent raw (`command()`: a line typed in the REPL) was answered: keep the
   * state the typed methods would keep. EHLO/LHLO/HELO give capabilities and, as RSET
   * does, end a transaction (RFC 5321 §4.1.4); an accepted MAIL opens one; an AUTH
   * answered 235 authenticates `user` (RFC 4954 §6).
   */
  noteRawReply(verb: string, reply: Reply, user?: string): void {
    if (verb === 'AUTH') {
      if (reply.code === 235) this.authenticatedAs = user ?? 'AUTH typed by hand';
      return;
    }
    if (reply.code !== 250) return;
    switch (verb) {
      case 'EHLO':
      case 'LHLO':
        this.capabilities = parseEhloReply(reply);
        this.inTransaction = false;
        break;
      case 'HELO':
        this.capabilities = heloCapabilities(reply);
        this.inTransaction = false;
        break;
      case 'MAIL':
        this.inTransaction = true;
        break;
      case 'RSET':
        this.inTransaction = false;
        break;
    }
  }
  /**
   * The replies to the last message's end of data (or BDAT LAST): one for SMTP; for
   * LMTP one per recipient accepted in its transaction, in RCPT order (RFC 2033 §4.2).
   */
  messageReplies: Reply[] = [];
  /** Recipients accepted in the current transaction: how many replies an LMTP server owes after the message. */
  private acceptedRecipients = 0;

  private constructor(connection: SmtpConnection, options: SessionOptions) {
    this.connection = connection;
    this.transcript = options.transcript;
    this.options = options;
  }

  get tls(): TlsSessionInfo | null {
    return this.connection.tlsSession;
  }

  /** Connect and read the greeting. A 554 greeting is a legal refusal (§3.1) and throws ReplyError. */
  static async open(options: SessionOptions): Promise<SmtpSession> {
    assertSingleLine(options.heloName, 'the HELO name');
    const connection = await SmtpConnection.open(options);
    const session = new SmtpSession(connection, options);
    try {
      session.greeting = await connection.readReply('greeting', connection.timeouts.greetingMs);
    } catch (error) {
      connection.destroy();
      // Postfix (smtpd_upstream_proxy_protocol) hangs up on a header it cannot parse, without a greeting.
      if (options.proxyHeader && error instanceof ProtocolError && error.loss) throw new ConnectError('proxy-refused', `server closed the connection after the PROXY header, before its greeting`);
      throw error;
    }
    if (session.greeting.code !== 220) {
      connection.close();
      // Bytes before the greeting are what an early-talker rule (postscreen, Exim)
      // refuses, for good: a 5yz. A 4yz greeting is "not now" (a rate limit, a
      // screening front) whatever came before it, and says nothing about the header.
      if (options.proxyHeader && replyDisposition(session.greeting) === 'refused') throw new ConnectError('proxy-refused', `server refused the session after the PROXY header: ${replySummary(session.greeting)}`);
      throw new ReplyError('greeting', session.greeting);
    }
    if (options.proxyHeader) await session.confirmProxyHeader();
    return session;
  }

  /**
   * Whether the server took the PROXY header, asked with a NOOP (RFC 5321 §4.1.1.9:
   * always 250). A server that did not expect the header answers it as a command,
   * and that answer comes first: whatever is not a 250 here, or a hang-up, means the
   * header was refused, whichever order the replies arrived in.
   */
  private async confirmProxyHeader(): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.command('NOOP', 'command');
    } catch (error) {
      if (!(error instanceof SmtpCheckError) || error instanceof ConnectError) throw error;
      this.connection.destroy();
      throw new ConnectError('proxy-refused', `server broke off the session after the PROXY header (${error.message})`);
    }
    if (reply.code !== 250) {
      await this.quit();
      throw new ConnectError('proxy-refused', `server answered the PROXY header as a command: ${replySummary(reply)}`);
    }
  }

  /** Send one command line and read its reply, whatever the code. */
  async command(line: string, step: SmtpStep = 'command', options: { display?: string; timeoutMs?: number; pauseAfter?: boolean } = {}): Promise<Reply> {
    // A display is a redaction unless the user asked to see secrets; then it is the decoded credential.
    this.connection.sendLine(line, step, options.display, options.display !== undefined && !this.options.revealSecrets);
    return this.connection.readReply(step, options.timeoutMs ?? this.connection.timeouts.commandMs, { pauseAfter: options.pauseAfter ?? false });
  }

  /**
   * command() for load runs (src/core/load-transaction.ts): the same line checks,
   * transcript and deadline, the reply handed to a callback instead of a promise.
   */
  commandThen(line: string, step: SmtpStep, callback: ReplyCallback): void {
    // A callback may run inside the socket's data handler: what a write throws (a
    // connection already ended) must reach the caller, not the event loop.
    try {
      this.connection.sendLine(line, step);
    } catch (error) {
      return callback(error as Error, null);
    }
    this.connection.readReplyThen(step, this.connection.timeouts.commandMs, callback);
  }

  /**
   * Write bytes exactly as given, for probes that must send what a conforming client
   * never would (pipelined STARTTLS, bare LF in DATA). `description` is what the
   * transcript shows, with control characters visible.
   */
  sendRaw(bytes: string | Buffer, step: SmtpStep, description: string): void {
    this.connection.writeRaw(bytes, step, 'uncounted');
    this.transcript.emit({ type: 'send', step, text: description, tls: this.connection.isTls, redacted: false });
  }

  /** Read a reply without sending anything (pipelined replies, unsolicited data). */
  readReply(step: SmtpStep, timeoutMs = this.connection.timeouts.commandMs): Promise<Reply> {
    return this.connection.readReply(step, timeoutMs);
  }

  /** EHLO (LHLO for LMTP), falling back to HELO when the server does not know EHLO (500/502, RFC 5321 §3.2). */
  async hello(): Promise<Capabilities> {
    const lmtp = this.options.protocol === 'lmtp';
    const reply = await this.command(`${lmtp ? 'LHLO' : 'EHLO'} ${this.options.heloName}`, 'ehlo');
    // RFC 5321 §4.1.4: an EHLO (or HELO) answered 250 also ends any transaction, as RSET does.
    if (reply.code === 250) {
      this.noteRawReply(lmtp ? 'LHLO' : 'EHLO', reply);
      return this.capabilities!;
    }
    if (!lmtp && (reply.code === 500 || reply.code === 502)) {
      const helo = await this.command(`HELO ${this.options.heloName}`, 'helo');
      if (helo.code === 250) {
        this.noteRawReply('HELO', helo);
        return this.capabilities!;
      }
      throw new ReplyError('helo', helo);
    }
    throw new ReplyError('ehlo', reply, lmtp ? 'LHLO' : 'EHLO');
  }

  /**
   * STARTTLS, the handshake, and EHLO again inside TLS (RFC 3207 §4.2: the client
   * MUST discard what it knew before). Throws TlsError when the server refuses; the
   * caller decides whether plaintext may continue, and by default it may not.
   * `hello: false` stops right after the handshake (send --quit-after tls): the
   * session then knows no capabilities until the caller asks EHLO itself.
   */
  async startTls(options: { hello?: boolean } = {}): Promise<TlsSessionInfo> {
    const reply = await this.command('STARTTLS', 'starttls', { pauseAfter: true });
    if (reply.code !== 220) {
      throw new TlsError('starttls', 'starttls-refused', `server refused STARTTLS: ${replySummary(reply)}`, { reply });
    }
    const session = await this.connection.upgradeToTls();
    this.capabilitiesBeforeTls = this.capabilities;
    this.capabilities = null;
    this.authenticatedAs = null;
    this.inTransaction = false;
    if (options.hello !== false) await this.hello();
    return session;
  }

  /**
   * XCLIENT (Postfix's XCLIENT_README): checked against the EHLO list first, so an
   * unlisted command or attribute is an error with nothing sent. After the 220 the
   * server starts the session over: the caller asks EHLO again.
   */
  async xclient(attributes: readonly XclientAttribute[]): Promise<Reply> {
    const listed = this.capabilities?.xclient;
    if (!listed) throw new XclientError('xclient-not-offered', 'server does not list XCLIENT to this client');
    const unlisted = unlistedXclientAttributes(listed, attributes);
    if (unlisted.length > 0) throw new XclientError('xclient-attribute-not-offered', `server's XCLIENT does not list ${unlisted.join(', ')} (it lists ${listed.join(' ') || 'nothing'})`);
    const reply = await this.command(xclientCommand(attributes), 'xclient');
    if (reply.code !== 220) throw new XclientError('xclient-refused', `XCLIENT refused: ${replySummary(reply)}`, reply);
    this.capabilities = null;
    this.authenticatedAs = null;
    this.inTransaction = false;
    return reply;
  }

  /** Run one SASL exchange. Returns the outcome; throws only when the conversation itself breaks. */
  async authenticate(mechanism: SaslMechanism, credentials: SaslCredentials): Promise<AuthOutcome> {
    const exchange = mechanism.start(credentials, { host: this.connection.host, port: this.connection.port });
    const initial = exchange.initialResponse;
    const encodedInitial = initial ? (initial.response.length === 0 ? '=' : initial.response.toString('base64')) : null;
    const line = encodedInitial ? `AUTH ${mechanism.name} ${encodedInitial}` : `AUTH ${mechanism.name}`;
    const display = encodedInitial ? `AUTH ${mechanism.name} ${this.secretDisplay(initial!.response, initial!.redacted)}` : undefined;
    let reply = await this.command(line, 'auth', display !== undefined ? { display } : {});
    let serverVerified: boolean | undefined;
    for (let round = 0; reply.code === 334; round += 1) {
      if (round >= MAX_SASL_ROUND_TRIPS) {
        this.connection.sendLine('*', 'auth');
        await this.connection.readReply('auth', this.connection.timeouts.commandMs);
        throw new AuthError('auth-exchange', `server kept sending AUTH ${mechanism.name} challenges (${MAX_SASL_ROUND_TRIPS} round trips); gave up`, { overTls: this.tls !== null });
      }
      const challenge = decodeChallenge(reply);
      let answer;
      try {
        // RFC 5802 §5: the challenge after the proof is the server-final message.
        if (exchange.verifyServerFinal && round > 0) serverVerified = exchange.verifyServerFinal(challenge);
        answer = await exchange.respond(challenge);
      } catch (error) {
        if (!(error instanceof Error) || error instanceof SmtpCheckError) throw error;
        this.connection.sendLine('*', 'auth');
        await this.connection.readReply('auth', this.connection.timeouts.commandMs);
        throw new AuthError('auth-exchange', `AUTH ${mechanism.name} failed: ${error.message}`, { overTls: this.tls !== null });
      }
      reply = await this.command(answer.response.toString('base64'), 'auth', { display: this.secretDisplay(answer.response, answer.redacted) });
    }
    const success = reply.code === 235;
    if (success) {
      this.authenticatedAs = credentials.user;
      if (exchange.verifyServerFinal && serverVerified === undefined) {
        // RFC 4954 §4: the server-final message may come as additional data with the 235.
        const data = reply.lines[0]?.replace(/^2\.7\.0\s*/, '') ?? '';
        try {
          serverVerified = /^[A-Za-z0-9+/=]+$/.test(data) && exchange.verifyServerFinal(Buffer.from(data, 'base64'));
        } catch {
          serverVerified = false;
        }
      }
    }
    return { mechanism: mechanism.name, reply, success, ...(serverVerified !== undefined ? { serverVerified } : {}) };
  }

  mailFrom(address: string, parameters: string[] = []): Promise<Reply> {
    return new Promise((resolve, reject) => this.mailFromThen(address, parameters, (error, reply) => (error ? reject(error) : resolve(reply!))));
  }

  /** mailFrom with a callback (load runs). */
  mailFromThen(address: string, parameters: string[], callback: ReplyCallback): void {
    this.commandThen(['MAIL FROM:<' + address + '>', ...parameters].join(' '), 'mail', (error, reply) => {
      if (reply) {
        this.inTransaction = isPositive(reply);
        this.acceptedRecipients = 0;
      }
      callback(error, reply);
    });
  }

  rcptTo(address: string, parameters: string[] = []): Promise<Reply> {
    return new Promise((resolve, reject) => this.rcptToThen(address, parameters, (error, reply) => (error ? reject(error) : resolve(reply!))));
  }

  /** rcptTo with a callback (load runs). */
  rcptToThen(address: string, parameters: string[], callback: ReplyCallback): void {
    this.commandThen(['RCPT TO:<' + address + '>', ...parameters].join(' '), 'rcpt', (error, reply) => {
      if (reply && recipientAccepted(reply)) this.acceptedRecipients += 1;
      callback(error, reply);
    });
  }

  /**
   * Send several commands in one write and read one reply per command, in order
   * (RFC 2920). Only for servers that advertise PIPELINING.
   */
  async pipeline(commands: readonly PipelinedCommand[]): Promise<Reply[]> {
    this.connection.writeRaw(encodePipelined(commands), commands[commands.length - 1]?.step, commands.length);
    this.emitPipelined(commands);
    return this.readPipelinedReplies(commands);
  }

  /** pipeline() for load runs: the same group, replies and errors, handed to a callback. */
  pipelineThen(commands: readonly PipelinedCommand[], callback: (error: Error | null, replies: Reply[]) => void): void {
    try {
      this.connection.writeRaw(encodePipelined(commands), commands[commands.length - 1]?.step, commands.length);
    } catch (error) {
      return callback(error as Error, []);
    }
    this.emitPipelined(commands);
    this.readPipelinedRepliesThen(commands, callback);
  }

  /** MAIL, every RCPT and DATA in one pipelined batch, the replies told apart by command. */
  async pipelineEnvelope(from: string, mailParameters: string[], recipients: string[], rcptParameters: string[] = []): Promise<EnvelopeReplies> {
    return envelopeReplies(await this.pipeline(envelopeCommands(from, mailParameters, recipients, rcptParameters)));
  }

  /** Stream the message after a 354 that was already read (pipelined DATA). */
  async sendMessageBody(message: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Reply> {
    return this.sendMessageBodyPipelined(message, []);
  }

  /**
   * Stream the message after a 354, with `then` pipelined behind its end marker in
   * the same write: the next transaction's envelope, or QUIT. RFC 2920 §3.1 lets
   * message content be the first "command" of a group, so a load run makes one round
   * trip per message instead of two. Only for servers that advertise PIPELINING.
   * Returns the reply to the end of data; the caller then reads the replies to
   * `then` with readPipelinedReplies, after it has taken note of this one.
   */
  async sendMessageBodyPipelined(message: AsyncIterable<Buffer> | Iterable<Buffer>, then: readonly PipelinedCommand[]): Promise<Reply> {
    const stuffer = new DotStuffer();
    const preview = this.transcript.previews ? new DataPreview() : null;
    let bytes = 0;
    // The last chunk is held back and goes out with the end marker in one write: one
    // TCP segment and system call fewer per message (~6% of the CPU of a load run of
    // 1 KB messages; docs/performance.md, "Throughput").
    let held: Buffer | null = null;
    const send = (chunk: Buffer): boolean => {
      preview?.add(chunk);
      const stuffed = stuffer.transform(chunk);
      bytes += stuffed.length;
      const flowing = held === null || this.connection.writeRaw(held, 'data');
      held = stuffed;
      return flowing;
    };
    // for await over an array costs a promise per chunk; a load run sends one chunk per message.
    if (Symbol.asyncIterator in message) {
      for await (const chunk of message) if (!send(chunk)) await this.connection.drain();
    } else {
      for (const chunk of message) if (!send(chunk)) await this.connection.drain();
    }
    const verdicts = this.writeEndOfData(held, stuffer, bytes, then, preview);
    return this.readMessageReplies('data', verdicts);
  }

  /**
   * sendMessageBodyPipelined for load runs, on SMTP (one verdict per message): a
   * message already in memory (bench's, one chunk of at most 64 KiB), written at once,
   * and the verdict handed to a callback; the same dot-stuffing, end marker, `then`
   * and transcript.
   */
  sendMessageThen(message: readonly Buffer[], then: readonly PipelinedCommand[], callback: ReplyCallback): void {
    try {
      const stuffer = new DotStuffer();
      let held: Buffer | null = null;
      let bytes = 0;
      for (const chunk of message) {
        if (held) this.connection.writeRaw(held, 'data');
        held = stuffer.transform(chunk);
        bytes += held.length;
      }
      this.writeEndOfData(held, stuffer, bytes, then, null);
    } catch (error) {
      return callback(error as Error, null);
    }
    this.connection.readReplyThen('data', this.connection.timeouts.dataMs, (error, reply) => {
      if (reply) this.messageReplies = [reply];
      this.inTransaction = false;
      this.acceptedRecipients = 0;
      callback(error, reply);
    });
  }

  /**
   * The last chunk, the end marker and `then` in one write, and their transcript.
   * Returns how many verdicts on the message the server owes.
   */
  private writeEndOfData(held: Buffer | null, stuffer: DotStuffer, bytes: number, then: readonly PipelinedCommand[], preview: DataPreview | null): number {
    const tail = then.length > 0 ? encodePipelined(then) : null;
    const end = stuffer.finish();
    const parts = [held, end, tail].filter((part): part is Buffer => part !== null);
    const verdicts = this.verdictsOwed();
    this.connection.writeRaw(parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'data', verdicts + then.length);
    this.transcript.emit({ type: 'data', tls: this.connection.isTls, bytes: bytes + end.length, preview: preview?.lines ?? [], truncated: preview ? preview.truncated : bytes > 0 });
    this.transcript.emit({ type: 'send', step: 'data', text: '.', tls: this.connection.isTls, redacted: false });
    this.emitPipelined(then);
    return verdicts;
  }

  /** Replies owed for a message: one, or with LMTP one per accepted recipient (none accepted: the server still answers once). */
  private verdictsOwed(): number {
    return this.options.protocol === 'lmtp' ? Math.max(this.acceptedRecipients, 1) : 1;
  }

  /**
   * Read the verdicts on a message into messageReplies. Returns the first refusal
   * among them, so a caller that looks at one reply never takes a partial LMTP
   * delivery for a success; otherwise the first reply.
   */
  private async readMessageReplies(step: 'data' | 'bdat', count: number): Promise<Reply> {
    const replies: Reply[] = [];
    this.messageReplies = replies;
    for (let index = 0; index < count; index += 1) replies.push(await this.connection.readReply(step, this.connection.timeouts.dataMs));
    this.inTransaction = false;
    this.acceptedRecipients = 0;
    return replies.find((reply) => reply.code >= 400) ?? replies[0]!;
  }

  async reset(): Promise<Reply> {
    const reply = await this.command('RSET', 'command');
    if (reply.code === 250) this.inTransaction = false;
    this.acceptedRecipients = 0;
    return reply;
  }

  /**
   * DATA, then the message streamed with CRLF normalisation and dot-stuffing, then the
   * end marker. Returns the final reply (a 354 refusal is thrown as ReplyError).
   */
  async data(message: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Reply> {
    const start = await this.command('DATA', 'data');
    if (start.code !== 354) throw new ReplyError('data', start);
    return this.sendMessageBody(message);
  }

  /** BDAT (RFC 3030): the message in length-counted chunks; line ends made CRLF, no dot-stuffing. */
  async bdat(message: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Reply> {
    const preview = new DataPreview();
    const normaliser = new DotStuffer(false);
    let total = 0;
    let pending: Buffer | null = null;
    const sendChunk = async (chunk: Buffer, last: boolean): Promise<Reply> => {
      // BDAT LAST ends the message: with LMTP, one verdict per accepted recipient.
      const replies = last ? this.verdictsOwed() : 1;
      this.connection.sendLine(`BDAT ${chunk.length}${last ? ' LAST' : ''}`, 'bdat');
      if (!this.connection.writeRaw(chunk, 'bdat', replies - 1)) await this.connection.drain();
      const reply = last ? await this.readMessageReplies('bdat', replies) : await this.connection.readReply('bdat', this.connection.timeouts.commandMs);
      if (reply.code !== 250) throw new ReplyError('bdat', reply);
      return reply;
    };
    for await (const chunk of message) {
      preview.add(chunk);
      const normalised = normaliser.transform(chunk);
      if (normalised.length === 0) continue;
      total += normalised.length;
      // One chunk is held back so the last one can carry LAST.
      if (pending) await sendChunk(pending, false);
      pending = normalised;
    }
    const tail = normaliser.finish();
    total += tail.length;
    this.transcript.emit({ type: 'data', tls: this.connection.isTls, bytes: total, preview: preview.lines, truncated: preview.truncated });
    return sendChunk(pending ? Buffer.concat([pending, tail]) : tail, true);
  }

  /** QUIT and close. Never throws: the conversation is over either way. */
  async quit(): Promise<Reply | null> {
    if (!this.connection.isOpen) {
      this.connection.close();
      return null;
    }
    try {
      return await this.command('QUIT', 'quit', { timeoutMs: Math.min(this.connection.timeouts.commandMs, 5000) });
    } catch {
      return null;
    } finally {
      this.connection.close();
    }
  }

  close(): void {
    this.connection.close();
  }

  private emitPipelined(commands: readonly PipelinedCommand[]): void {
    for (const command of commands) this.transcript.emit({ type: 'send', step: command.step, text: command.line, tls: this.connection.isTls, redacted: false });
  }

  /** One reply per pipelined command, in order. */
  readPipelinedReplies(commands: readonly PipelinedCommand[]): Promise<Reply[]> {
    return new Promise((resolve, reject) => this.readPipelinedRepliesThen(commands, (error, replies) => (error ? reject(error) : resolve(replies))));
  }

  /** readPipelinedReplies with a callback (load runs): the replies, or the error that stopped them. */
  readPipelinedRepliesThen(commands: readonly PipelinedCommand[], callback: (error: Error | null, replies: Reply[]) => void): void {
    const replies: Reply[] = [];
    const next = (): void => {
      const command = commands[replies.length];
      if (!command) {
        this.notePipelinedReplies(commands, replies);
        return callback(null, replies);
      }
      this.connection.readReplyThen(command.step, this.connection.timeouts.commandMs, (error, reply) => {
        // Too few replies: say how many came, since which one is missing cannot be known.
        if (error instanceof TimeoutError) return callback(new TimeoutError(command.step, error.timeoutMs, `the reply to ${command.step.toUpperCase()} (${replies.length} of ${commands.length} pipelined replies arrived)`), replies);
        if (error) return callback(error, replies);
        replies.push(reply!);
        next();
      });
    };
    next();
  }

  private notePipelinedReplies(commands: readonly PipelinedCommand[], replies: Reply[]): void {
    if (commands[0]?.step === 'mail') {
      this.inTransaction = replies[0] !== undefined && isPositive(replies[0]);
      this.acceptedRecipients = 0;
    }
    for (const [index, command] of commands.entries()) if (command.step === 'rcpt' && recipientAccepted(replies[index]!)) this.acceptedRecipients += 1;
  }

  private secretDisplay(bytes: Buffer, redacted: string): string {
    if (!this.options.revealSecrets) return redacted;
    const decoded = bytes.toString('utf8').replace(/\0/g, '\\0').replace(/\x01/g, '^A');
    return `${bytes.length === 0 ? '=' : bytes.toString('base64')}  [${decoded}]`;
  }
}

function decodeChallenge(reply: Reply): Buffer {
  const text = (reply.lines[0] ?? '').trim();
  if (text === '' || text === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ProtocolError('auth', 'malformed-reply', `server sent a 334 challenge that is not base64: ${JSON.stringify(text.slice(0, 60))}`);
  }
  return Buffer.from(text, 'base64');
}

/** Keeps the first lines of a message for the transcript without holding the whole message. */
class DataPreview {
  lines: string[] = [];
  truncated = false;
  private partial = '';

  add(chunk: Buffer): void {
    if (this.truncated) return;
    const text = this.partial + chunk.subarray(0, 16_384).toString('utf8');
    const parts = text.split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (this.lines.length >= DATA_PREVIEW_LINES) {
        this.truncated = true;
        return;
      }
      this.lines.push(line);
    }
    if (chunk.length > 16_384) this.truncated = true;
  }
}
