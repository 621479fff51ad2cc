import { ReplyError } from './errors.js';
import type { Reply } from './reply.js';
import { isPositive, recipientAccepted } from './reply.js';
import { queueIdOf } from './queue-id.js';
import type { ReplyCallback } from './connection.js';
import type { EnvelopeReplies, PipelinedCommand, SmtpSession } from './session.js';
import { envelopeCommands, envelopeReplies } from './session.js';

/**
 * One mail transaction (RFC 5321 §3.3): MAIL, one RCPT per recipient, then DATA or
 * BDAT, with the rules every caller shares: what counts as accepted, when the
 * envelope may be pipelined (RFC 2920 §3.1), what a refused envelope owes the server,
 * and how LMTP's per-recipient verdicts (RFC 2033 §4.2) pair with the recipients.
 * `send`, `bench` and the REPL's `:send` all go through here; none of them runs
 * MAIL/RCPT/DATA on its own.
 */
export interface MailRequest {
  from: string;
  mailParameters?: string[];
  recipients: readonly string[];
  rcptParameters?: string[];
  /** The message, before dot-stuffing; asked for once, only when the server is ready for it. */
  message: () => AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Pipeline the envelope (MAIL, RCPTs, DATA in one write) when the server lists PIPELINING. */
  pipeline?: boolean;
  /** BDAT instead of DATA when the server lists CHUNKING (RFC 3030). */
  chunking?: boolean;
  /** Stop after this step with the transaction open: `data` stops at the 354, before any message text. */
  stopAfter?: 'mail' | 'rcpt' | 'data';
  /** The replies to an envelope that already went out pipelined behind the previous message (bench). */
  envelope?: EnvelopeReplies;
  /**
   * Commands to pipeline behind this message's end of data (bench: the next envelope,
   * or QUIT), asked for only once the server has said 354; the caller reads their
   * replies. Only with a pipelined envelope.
   */
  then?: () => readonly PipelinedCommand[];
}

export interface RecipientOutcome {
  address: string;
  reply: Reply;
  accepted: boolean;
  /** LMTP only: this recipient's own verdict on the message, for accepted recipients. */
  delivery?: Reply;
}

/**
 * How the transaction ended: `sent` (the message went through DATA or BDAT; the
 * final reply says whether it was taken), `stopped` (at `stopAfter`), or the step
 * that refused it: `mail`, `rcpt` (no recipient accepted), `data` (no 354), or
 * `message` (the reply to the end of data, or a BDAT chunk, refused it).
 */
export type MailOutcome = 'sent' | 'stopped' | 'mail-refused' | 'recipients-refused' | 'data-refused' | 'message-refused';

export interface MailTransaction {
  outcome: MailOutcome;
  /** The envelope went out pipelined (PIPELINING listed and asked for). */
  pipelined: boolean;
  /** The message went with BDAT. */
  chunked: boolean;
  mail: Reply;
  recipients: RecipientOutcome[];
  /** The reply to DATA (354 or a refusal); null with BDAT, or when DATA was not reached. */
  dataStart: Reply | null;
  /** The reply to the end of data (with LMTP the first refusal among the verdicts, else the first); null when the message was not sent. */
  final: Reply | null;
  /** Recipients the message reached: all accepted ones on SMTP when `final` is positive; with LMTP those whose own verdict is. */
  delivered: RecipientOutcome[];
  /** The server's queue id from the final reply (Postfix "queued as", Exim "id="), when it gives one. */
  queueId: string | null;
}

export async function sendMail(session: SmtpSession, request: MailRequest): Promise<MailTransaction> {
  const caps = session.capabilities;
  const chunked = Boolean(request.chunking && caps?.chunking && request.stopAfter !== 'data');
  // A stop point needs each reply before the next command; BDAT has no pipelined DATA.
  const pipelined = request.envelope !== undefined || Boolean(request.pipeline && caps?.pipelining && request.stopAfter === undefined && !chunked);
  const mailParameters = request.mailParameters ?? [];
  const rcptParameters = request.rcptParameters ?? [];
  const recipients: RecipientOutcome[] = [];
  const outcome = (ended: MailOutcome, parts: Partial<MailTransaction> = {}): MailTransaction => ({
    outcome: ended,
    pipelined,
    chunked,
    mail,
    recipients,
    dataStart,
    final: null,
    delivered: [],
    queueId: null,
    ...parts,
  });

  let mail: Reply;
  let dataStart: Reply | null = null;
  if (pipelined) {
    const replies = request.envelope ?? (await session.pipelineEnvelope(request.from, mailParameters, [...request.recipients], rcptParameters));
    mail = replies.mail;
    request.recipients.forEach((address, index) => recipients.push(recipientOutcome(address, replies.recipients[index]!)));
    dataStart = replies.dataStart;
  } else {
    mail = await session.mailFrom(request.from, mailParameters);
    if (isPositive(mail) && request.stopAfter !== 'mail') {
      for (const address of request.recipients) recipients.push(recipientOutcome(address, await session.rcptTo(address, rcptParameters)));
    }
  }
  const accepted = recipients.filter((recipient) => recipient.accepted);
  if (!isPositive(mail) || (request.stopAfter !== 'mail' && accepted.length === 0)) {
    // A server that says 354 to a refused envelope must get its end of data before anything else.
    if (dataStart?.code === 354) await session.sendMessageBody([]);
    return outcome(isPositive(mail) ? 'recipients-refused' : 'mail-refused');
  }
  if (request.stopAfter === 'mail' || request.stopAfter === 'rcpt') return outcome('stopped');
  if (request.stopAfter === 'data') {
    dataStart = await session.command('DATA', 'data');
    return outcome(dataStart.code === 354 ? 'stopped' : 'data-refused');
  }

  let final: Reply;
  if (chunked) {
    try {
      final = await session.bdat(request.message());
    } catch (error) {
      // A refused chunk, or BDAT LAST's first refusal among an LMTP server's verdicts (all read by then).
      if (!(error instanceof ReplyError)) throw error;
      // A chunk refused before LAST: there are no verdicts on the message to pair.
      if (!session.messageReplies.includes(error.reply)) return outcome('message-refused', { final: error.reply });
      final = error.reply;
    }
  } else {
    if (!pipelined) dataStart = await session.command('DATA', 'data');
    if (dataStart!.code !== 354) return outcome('data-refused');
    final = await session.sendMessageBodyPipelined(request.message(), pipelined && request.then ? request.then() : []);
  }
  const lmtp = session.options.protocol === 'lmtp';
  if (lmtp) accepted.forEach((recipient, index) => (recipient.delivery = session.messageReplies[index]!));
  const delivered = lmtp ? accepted.filter((recipient) => isPositive(recipient.delivery!)) : isPositive(final) ? accepted : [];
  const queued = delivered[0]?.delivery ?? final;
  return outcome(lmtp ? 'sent' : isPositive(final) ? 'sent' : 'message-refused', { final, delivered, queueId: isPositive(queued) ? queueIdOf(queued) : null });
}

/**
 * sendMail for load runs (bench; docs/performance.md#throughput-near-the-floor): the same
 * transaction, rules and result, driven by callbacks instead of a promise and a timer
 * per reply, since a load run reads four replies per message. Replies are framed and
 * bounded by the same ReplyReader and deadlines. On SMTP with DATA and no stop point;
 * anything else (LMTP, BDAT, `stopAfter`) goes through sendMail.
 */
export function sendMailThen(session: SmtpSession, request: MailRequest, callback: (error: unknown, transaction: MailTransaction | null) => void): void {
  if (session.options.protocol === 'lmtp' || request.chunking || request.stopAfter !== undefined) {
    sendMail(session, request).then((transaction) => callback(null, transaction), (error) => callback(error, null));
    return;
  }
  const pipelined = request.envelope !== undefined || Boolean(request.pipeline && session.capabilities?.pipelining);
  const recipients: RecipientOutcome[] = [];
  let mail: Reply;
  let dataStart: Reply | null = null;
  const end = (outcome: MailOutcome, final: Reply | null = null): void => {
    const delivered = outcome === 'sent' ? recipients.filter((recipient) => recipient.accepted) : [];
    callback(null, { outcome, pipelined, chunked: false, mail, recipients, dataStart, final, delivered, queueId: outcome === 'sent' ? queueIdOf(final!) : null });
  };
  const onFinal: ReplyCallback = (error, final) => (error ? callback(error, null) : end(isPositive(final!) ? 'sent' : 'message-refused', final));
  const onDataStart = (reply: Reply): void => {
    dataStart = reply;
    if (reply.code !== 354) return end('data-refused');
    let message: ReturnType<MailRequest['message']>;
    let then: readonly PipelinedCommand[];
    try {
      message = request.message();
      then = pipelined && request.then ? request.then() : [];
    } catch (error) {
      return callback(error, null);
    }
    if (Array.isArray(message)) return session.sendMessageThen(message, then, onFinal);
    session.sendMessageBodyPipelined(message, then).then((final) => onFinal(null, final), (error: Error) => onFinal(error, null));
  };
  const onEnvelope = (): void => {
    if (!isPositive(mail) || !recipients.some((recipient) => recipient.accepted)) {
      const refused: MailOutcome = isPositive(mail) ? 'recipients-refused' : 'mail-refused';
      // A server that says 354 to a refused envelope must get its end of data before anything else.
      if (dataStart?.code === 354) return session.sendMessageThen([], [], (error) => (error ? callback(error, null) : end(refused)));
      return end(refused);
    }
    if (pipelined) return onDataStart(dataStart!);
    session.commandThen('DATA', 'data', (error, reply) => (error ? callback(error, null) : onDataStart(reply!)));
  };
  const onEnvelopeReplies = (replies: EnvelopeReplies): void => {
    mail = replies.mail;
    request.recipients.forEach((address, index) => recipients.push(recipientOutcome(address, replies.recipients[index]!)));
    dataStart = replies.dataStart;
    onEnvelope();
  };
  if (request.envelope) return onEnvelopeReplies(request.envelope);
  if (pipelined) {
    const commands = envelopeCommands(request.from, request.mailParameters ?? [], [...request.recipients], request.rcptParameters ?? []);
    return session.pipelineThen(commands, (error, replies) => (error ? callback(error, null) : onEnvelopeReplies(envelopeReplies(replies))));
  }
  const rcptParameters = request.rcptParameters ?? [];
  const askRecipient = (index: number): void => {
    const address = request.recipients[index];
    if (address === undefined) return onEnvelope();
    session.rcptToThen(address, rcptParameters, (error, reply) => {
      if (error) return callback(error, null);
      recipients.push(recipientOutcome(address, reply!));
      askRecipient(index + 1);
    });
  };
  session.mailFromThen(request.from, request.mailParameters ?? [], (error, reply) => {
    if (error) return callback(error, null);
    mail = reply!;
    if (isPositive(mail)) askRecipient(0);
    else onEnvelope();
  });
}

function recipientOutcome(address: string, reply: Reply): RecipientOutcome {
  return { address, reply, accepted: recipientAccepted(reply) };
}
