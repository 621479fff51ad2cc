import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { authenticate } from '../core/authenticate.js';
import type { Capabilities } from '../core/capabilities.js';
import type { EstablishStop } from '../core/establish.js';
import { establishSession } from '../core/establish.js';
import type { DsnRequest } from '../core/dsn.js';
import { dsnRequest } from '../options/dsn-flags.js';
import { ReplyError, UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { BodySource, BuiltMessage, MessageLabels } from '../core/message.js';
import { buildMessage } from '../core/message.js';
import { parseMailboxList } from '../core/mailbox-list.js';
import { replySummary } from '../core/reply.js';
import { sendMail } from '../core/mail-transaction.js';
import type { SmtpSession } from '../core/session.js';
import type { Transcript } from '../core/transcript.js';
import { assertMailbox, assertSingleLine, hasNonAscii } from '../core/wire-text.js';
import type { AuthFlags } from '../options/auth-flags.js';
import { assertAuthCanBeEncrypted, authRequestFrom } from '../options/auth-flags.js';
import type { ConnectionFlags } from '../options/connection-options.js';
import { connectionSpecFrom, saveChain } from '../options/connection-options.js';
import type { XclientFlags } from '../options/xclient-flags.js';
import { xclientFrom } from '../options/xclient-flags.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';

export interface SendFlags extends ConnectionFlags, OutputFlags, AuthFlags, XclientFlags {
  from?: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  header?: string[];
  body?: string;
  attach?: string[];
  data?: string;
  pipeline?: boolean;
  chunking?: boolean;
  dsnNotify?: string;
  dsnRet?: string;
  dsnEnvid?: string;
  smtputf8?: boolean;
  quitAfter?: string;
}

/** The stop points of --quit-after in conversation order (docs/send.md#stopping-early). */
const QUIT_POINTS = ['connect', 'proxy', 'banner', 'first-ehlo', 'tls', 'ehlo', 'xclient', 'xclient-ehlo', 'auth', 'mail', 'rcpt', 'data', 'dot'] as const;
type QuitPoint = (typeof QUIT_POINTS)[number];
/** swaks's names for the same points (its --quit-after), so a swaks habit works unchanged. */
const QUIT_ALIASES: Readonly<Record<string, QuitPoint>> = {
  'first-helo': 'first-ehlo',
  'first-lhlo': 'first-ehlo',
  starttls: 'tls',
  helo: 'ehlo',
  lhlo: 'ehlo',
  'xclient-helo': 'xclient-ehlo',
  from: 'mail',
  to: 'rcpt',
};
/** Where establishSession stops for a point before AUTH. */
const ESTABLISH_STOPS: Partial<Record<QuitPoint, EstablishStop>> = { connect: 'greeting', proxy: 'greeting', banner: 'greeting', 'first-ehlo': 'first-ehlo', tls: 'tls', ehlo: 'ehlo', xclient: 'xclient' };

/** `smtpcheck send`: one message, every step visible, each recipient's fate reported. */
export async function runSend(flags: SendFlags): Promise<number> {
  const output = new CommandOutput('send', flags);
  let session: SmtpSession | null = null;
  try {
    const quitAfter = parseQuitAfter(flags.quitAfter);
    const reaches = (point: QuitPoint) => quitAfter === null || QUIT_POINTS.indexOf(quitAfter) >= QUIT_POINTS.indexOf(point);
    const options = { ...connectionSpecFrom(flags), transcript: output.transcript };
    const fromText = flags.from ?? (flags.authUser || undefined);
    const from = fromText === undefined ? undefined : senderAddress(fromText, flags.from !== undefined ? '--from' : '--auth-user');
    const to = envelopeAddresses(flags.to, '--to');
    const cc = envelopeAddresses(flags.cc, '--cc');
    const recipients = [...to, ...cc, ...envelopeAddresses(flags.bcc, '--bcc')];
    if (reaches('mail') && from === undefined) throw new UsageError('no sender given', 'add --from ADDRESS (use --from "" for the null sender)');
    if (reaches('rcpt') && recipients.length === 0) throw new UsageError('no recipient given', 'add --to ADDRESS');
    const xclient = xclientFrom(flags);
    // The header is confirmed with the greeting (SmtpSession.open), so `proxy` stops where `banner` does.
    if (quitAfter === 'proxy' && flags.proxyProtocol === undefined) throw new UsageError('--quit-after proxy needs --proxy-protocol', 'add --proxy-protocol v1 or v2 and --proxy-source IP:PORT');
    if (xclient === undefined && (quitAfter === 'xclient' || quitAfter === 'xclient-ehlo')) throw new UsageError(`--quit-after ${flags.quitAfter} needs --xclient`, 'add --xclient "ADDR=…" or a --xclient-* flag');
    const dsn = dsnRequest(flags);
    // Built before the password prompt and the connection, so that a bad --header, a
    // missing or unreadable file or a header that cannot be folded is a usage error
    // (exit 1) with nothing sent. What depends on the server's EHLO (SIZE=,
    // BODY=8BITMIME, SMTPUTF8) is chosen from the built message once it has answered.
    const headerAddresses = { from: fromText!, to: to.length > 0 ? flags.to! : recipients.slice(0, 1), cc: cc.length > 0 ? flags.cc! : [] };
    const message = reaches('mail') ? buildOutgoingMessage(flags, headerAddresses, options.heloName) : null;

    assertAuthCanBeEncrypted(flags, options.tlsMode);
    const auth = await authRequestFrom(flags, output.transcript);

    const stopAfter = quitAfter === null ? undefined : ESTABLISH_STOPS[quitAfter];
    session = await establishSession({ ...options, ...(stopAfter ? { stopAfter } : {}), ...(xclient ? { xclient } : {}) });
    saveChain(flags, session.tls?.chain);
    const result: Record<string, unknown> = { server: `${options.host}:${options.port}`, tls: session.tls?.protocol ?? null };
    // xclient-ehlo is the last EHLO establishSession asks: it stops there by itself.
    if (stopAfter || quitAfter === 'xclient-ehlo') return await finishEarly(session, output, quitAfter!, result);

    if (auth) {
      const outcome = await authenticate(session, auth);
      result.authenticatedAs = auth.user;
      result.mechanism = outcome.mechanism;
    }
    if (quitAfter === 'auth' || message === null) return await finishEarly(session, output, quitAfter!, result);

    result.token = message.token;
    const caps = session.capabilities!;
    const mailParameters = mailParametersFor(caps, message, from!, recipients, flags, dsn, output.transcript);
    const rcptParameters = dsn.notify && caps.dsn ? [`NOTIFY=${dsn.notify}`] : [];

    if (flags.pipeline && !caps.pipelining) output.transcript.warn('server does not offer PIPELINING; sending one command at a time');
    if (flags.chunking && !caps.chunking) output.transcript.warn('server does not offer CHUNKING; using DATA');
    const stopInTransaction = quitAfter === 'mail' || quitAfter === 'rcpt' || quitAfter === 'data' ? quitAfter : undefined;
    const transaction = await sendMail(session, {
      from: from!,
      mailParameters,
      recipients,
      rcptParameters,
      message: () => message.chunks(),
      pipeline: flags.pipeline ?? false,
      chunking: flags.chunking ?? false,
      ...(stopInTransaction ? { stopAfter: stopInTransaction } : {}),
    });
    result.mail = transaction.mail;
    result.recipients = transaction.recipients;
    if (transaction.dataStart && stopInTransaction === 'data') result.dataStart = transaction.dataStart;
    switch (transaction.outcome) {
      case 'mail-refused':
        throw new ReplyError('mail', transaction.mail);
      case 'recipients-refused':
        throw new ReplyError('rcpt', transaction.recipients[0]!.reply);
      case 'data-refused':
        throw new ReplyError('data', transaction.dataStart!);
      case 'message-refused':
        result.final = transaction.final;
        throw new ReplyError(transaction.chunked ? 'bdat' : 'data', transaction.final!);
      case 'stopped':
        return await finishEarly(session, output, quitAfter!, result);
      case 'sent':
        break;
    }
    const lmtp = session.options.protocol === 'lmtp';
    const { delivered, queueId } = transaction;
    result.final = transaction.final;
    result.queueId = queueId;
    if (quitAfter === 'dot') result.quitAfter = quitAfter;
    await session.quit();
    for (const recipient of transaction.recipients) {
      if (!recipient.accepted) output.transcript.warn(`recipient ${recipient.address} refused: ${replySummary(recipient.reply)}`);
      else if (!delivered.includes(recipient)) output.transcript.warn(`recipient ${recipient.address} not delivered: ${replySummary(recipient.delivery!)}`);
    }
    const ok = delivered.length === transaction.recipients.length;
    output.summary(
      `${message.token ? `message ${message.token}` : 'raw message'} ${lmtp ? 'delivered to' : 'accepted for'} ${delivered.length} of ${transaction.recipients.length} recipient(s)${queueId ? `, queued as ${queueId}` : ''}${quitAfter === 'dot' ? ' (stopped after the end of data, as asked)' : ''}`,
      ok,
    );
    return output.finish(result, ok ? ExitCode.ok : ExitCode.rejected);
  } catch (error) {
    if (session) await session.quit();
    return output.fail(error);
  }
}

async function finishEarly(session: SmtpSession, output: CommandOutput, point: QuitPoint, result: Record<string, unknown>): Promise<number> {
  if (point === 'data') {
    // After a 354 the server reads every line as message text until the lone ".",
    // and that dot would commit the message (RFC 5321 §4.1.1.4). A QUIT here would be
    // message text, so the only way out without sending is to close the connection:
    // the server then discards the open transaction (swaks' --drop-after data).
    session.close();
    output.summary('stopped after the 354 to DATA as asked (--quit-after data): connection closed, message not sent (a QUIT inside DATA would be message text)', true);
  } else {
    await session.quit();
    output.summary(`stopped after ${point} as asked (--quit-after ${point})`, true);
  }
  return output.finish({ ...result, quitAfter: point }, ExitCode.ok);
}

function parseQuitAfter(value: string | undefined): QuitPoint | null {
  if (value === undefined) return null;
  const name = value.toLowerCase();
  const point = QUIT_ALIASES[name] ?? QUIT_POINTS.find((known) => known === name);
  if (point === undefined) throw new UsageError(`--quit-after ${value} is not a step`, `use one of ${[...QUIT_POINTS, ...Object.keys(QUIT_ALIASES)].join(', ')}`);
  return point;
}

/** The envelope sender from --from (or the --auth-user): the address alone, without a display name; "" is the null sender. */
function senderAddress(text: string, flag: string): string {
  assertSingleLine(text, flag);
  if (text === '') return text;
  const mailboxes = parseMailboxList(text);
  if (mailboxes === null || mailboxes.length !== 1) throw new UsageError(`${flag} takes one address, got ${JSON.stringify(text)}`, 'use user@example.org or "Name" <user@example.org>');
  return assertMailbox(mailboxes[0]!.address, flag);
}

/** The envelope addresses of a list flag: repeated, comma-separated or both, display names dropped. */
function envelopeAddresses(values: string[] | undefined, flag: string): string[] {
  return (values ?? []).flatMap((value) => {
    assertSingleLine(value, `${flag} recipient`);
    const mailboxes = parseMailboxList(value);
    if (mailboxes === null) throw new UsageError(`${flag} is not a list of addresses: ${JSON.stringify(value)}`, 'write each as user@example.org or Name <user@example.org>, separated by commas; a name with a comma goes in double quotes');
    return mailboxes.map((mailbox) => assertMailbox(mailbox.address, `${flag} recipient`, { allowLocalOnly: true }));
  });
}

/** What a refused part of the message is called: the option it came from. */
const SEND_LABELS: MessageLabels = { from: '--from', to: '--to', cc: '--cc', subject: '--subject', attachment: 'the --attach file name', header: '--header', messageIdDomain: '--helo' };

/**
 * The message, checked as far as the user's input goes: headers, files (there and
 * readable), sizes. Files and standard input are only opened while sending. The
 * addresses are header text, display names included.
 */
function buildOutgoingMessage(flags: SendFlags, { from, to, cc }: { from: string; to: string[]; cc: string[] }, heloName: string): BuiltMessage {
  if (flags.data !== undefined) {
    if (flags.body !== undefined || flags.attach || flags.subject !== undefined || flags.header) {
      throw new UsageError('--data sends a complete message; it cannot be combined with --body, --attach, --subject or --header', 'drop one or the other');
    }
    const source = readableSource(flags.data, '--data');
    const size = source.kind === 'file' ? statSync(source.path).size : null;
    return {
      token: null,
      size,
      eightBit: true,
      async *chunks() {
        const stream = source.kind === 'file' ? createReadStream(source.path) : source.kind === 'stream' ? source.stream : [source.text];
        for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      },
    };
  }
  const attachments = (flags.attach ?? []).map((value) => fileArgument(value.startsWith('@') ? value : `@${value}`, '--attach'));
  return buildMessage({
    from: from === '' ? 'MAILER-DAEMON' : from,
    to,
    cc,
    ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
    headers: flags.header ?? [],
    ...(flags.body !== undefined ? { body: readableSource(flags.body, '--body') } : {}),
    attachments,
    messageIdDomain: heloName,
    labels: SEND_LABELS,
  });
}

/** "text", "@file" or "-" (standard input). */
function readableSource(value: string, flag: string): BodySource {
  if (value === '-') return { kind: 'stream', stream: process.stdin };
  if (value.startsWith('@')) return { kind: 'file', path: fileArgument(value, flag) };
  return { kind: 'text', text: value };
}

/** The path of an @file argument, once it is known to be a file this process may read. */
function fileArgument(value: string, flag: string): string {
  const path = value.slice(1);
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`${flag}: cannot read file ${path}`, 'check the path and its permissions (files are given as @path)');
  }
  return path;
}

function mailParametersFor(caps: Capabilities, message: BuiltMessage, from: string, recipients: string[], flags: SendFlags, dsn: DsnRequest, transcript: Transcript): string[] {
  const parameters: string[] = [];
  if (caps.size !== null && message.size !== null) {
    if (caps.size > 0 && message.size > caps.size) transcript.warn(`message is ${message.size} bytes, more than the server's SIZE ${caps.size}`);
    parameters.push(`SIZE=${message.size}`);
  }
  if (message.eightBit && caps.eightBitMime) parameters.push('BODY=8BITMIME');
  const needsUtf8 = hasNonAscii(from) || recipients.some(hasNonAscii);
  if (needsUtf8 || flags.smtputf8) {
    if (!caps.smtpUtf8) {
      if (needsUtf8) throw new UsageError('non-ASCII addresses need SMTPUTF8, and the server does not offer it', 'use ASCII (punycode) addresses for this server');
      transcript.warn('server does not offer SMTPUTF8; not sending the parameter');
    } else parameters.push('SMTPUTF8');
  }
  if (dsn.ret || dsn.envid || dsn.notify) {
    if (!caps.dsn) transcript.warn('server does not offer DSN; DSN parameters left out');
    else {
      if (dsn.ret) parameters.push(`RET=${dsn.ret}`);
      if (dsn.envid) parameters.push(`ENVID=${dsn.envid}`);
    }
  }
  return parameters;
}
