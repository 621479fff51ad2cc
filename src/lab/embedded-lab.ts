/**
 * The embedded lab: one smtp-server listener per service of embedded-postures.ts, each
 * imitating the guide's Postfix 3.7 + Dovecot with at most one flaw, so smtpcheck can be
 * seen working, and its checks run, with nothing installed. Mail is recorded in memory
 * and never forwarded anywhere. docs/lab.md lists what it imitates and where it differs.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { UsageError } from '../core/errors.js';
import { DEMO_CA_CERT_PEM, DEMO_SERVER_CERT_PEM, DEMO_SERVER_KEY_PEM } from './demo-certificates.js';
import type { DnsListener } from './dns-listener.js';
import { embeddedZone, startEmbeddedDns } from './embedded-dns.js';
import {
  AUTHENTICATION_FAILED,
  FOREIGN_DOMAIN,
  HOSTED_DOMAIN,
  MAILBOX_USERS,
  MESSAGE_SIZE_LIMIT,
  MESSAGE_TOO_BIG,
  SALES_ALIAS,
  SERVER_HOSTNAME,
  SERVICE_POSTURES,
  answerVrfy,
  authenticate,
  checkMailFrom,
  checkRcptTo,
  disabledCommands,
  messageQueued,
} from './embedded-postures.js';
import type { ClientState, PostfixReply, ServicePosture } from './embedded-postures.js';
import type { LabDescription, LabService } from './lab-description.js';

export interface ReceivedMessage {
  service: string;
  from: string;
  to: string[];
  data: Buffer;
  authUser?: string;
}

export interface EmbeddedLab extends LabDescription {
  /** Every message any service accepted, in order, including relayed foreign mail. */
  received: ReceivedMessage[];
  /** The lab's DNS port (UDP and TCP on `host`), when started with `dns` (embedded-dns.ts). */
  dnsPort?: number;
  close(): Promise<void>;
}

export interface EmbeddedLabOptions {
  /** Address to bind; loopback unless you mean to expose a server with a published key. */
  host?: string;
  /** Names from SERVICE_POSTURES; all of them by default. */
  services?: string[];
  /** Fixed ports: each service listens on basePort + its offset. Ephemeral ports otherwise. */
  basePort?: number;
  /** Also answer DNS for the lab's domain, its MX pointing at the `mta` service (embedded-dns.ts). */
  dns?: boolean;
}

const DEFAULT_LAB_HOST = '127.0.0.1';

/**
 * How long close() lets open sessions finish before smtp-server answers them
 * `421 Server shutting down`; the lab is a demo, nobody's mail is in flight.
 */
const CLOSE_GRACE_MS = 500;

/**
 * Postfix 3.7's "medium" list (tls_medium_cipherlist, less the RC4 that OpenSSL 3 lacks):
 * anonymous suites last but present. SECLEVEL=0 lets OpenSSL 3 negotiate them and TLS
 * 1.0/1.1, which Postfix's defaults allow and its own OpenSSL settings do not forbid.
 */
const POSTFIX_MEDIUM_CIPHERS = 'aNULL:-aNULL:HIGH:MEDIUM:@STRENGTH:@SECLEVEL=0';

function tlsSettings(posture: ServicePosture): Pick<SMTPServerOptions, 'minVersion' | 'ciphers' | 'dhparam'> {
  // The anonymous suites Postfix negotiates are ADH ones, which need DH parameters.
  if (posture.legacyTls) return { minVersion: 'TLSv1', ciphers: POSTFIX_MEDIUM_CIPHERS, dhparam: 'auto' };
  return { minVersion: 'TLSv1.2' };
}

/**
 * An address command smtp-server's parser refused, when it is still one bracketed word
 * without spaces or control characters, e.g. `RCPT TO:<r@example.net@example.org>`.
 */
const BRACKETED_ADDRESS_ONLY = /^(MAIL FROM|RCPT TO):\s*<([^\s<>\x00-\x1f\x7f]+)>$/i;

/** A reply text that already starts with an RFC 3463 code, as the postures write them. */
const LEADING_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

function wireText(reply: PostfixReply): string {
  return `${reply.enhanced} ${reply.text}`;
}

/** smtp-server sends an error's message with its responseCode as the reply. */
function replyError(reply: PostfixReply): Error & { responseCode: number } {
  return Object.assign(new Error(wireText(reply)), { responseCode: reply.code });
}

function clientState(session: SMTPServerSession): ClientState {
  return { tlsActive: session.secure, login: typeof session.user === 'string' ? session.user : null };
}

/** Postfix queue ids are short upper-case hex strings. */
function newQueueId(): string {
  return randomBytes(5).toString('hex').toUpperCase();
}

/**
 * smtp-server's connection with the three things its options cannot express:
 * - enhanced status codes: with ENHANCEDSTATUSCODES on, smtp-server prefixes every reply
 *   with a code looked up from the reply code alone (454 → 4.7.0, 553 → 5.1.3), where
 *   Postfix says 4.7.1 and 5.7.1. Replies whose text already carries a code keep it.
 * - VRFY: smtp-server answers every VRFY with the same 252; Postfix either refuses it
 *   (disable_vrfy_command=yes) or looks the address up.
 * - address forms: smtp-server answers 501 to forms Postfix parses and then judges
 *   (user@host@domain, "user@host"@domain, host!user, a trailing dot). The relay checks
 *   need Postfix's judgement, so those addresses reach the postures as written.
 */
class PostfixImitationConnection extends SMTPConnection {
  private readonly posture: ServicePosture;

  constructor(
    server: PostfixImitationServer,
    socket: Socket | TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
  ) {
    super(server, socket, options);
    this.posture = server.posture;
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const carriesOwnCode = typeof data === 'string' && LEADING_ENHANCED_CODE.test(data);
    super.send(code, data, carriesOwnCode ? false : context);
  }

  override _parseAddressCommand(
    name: string,
    command: Buffer | string,
  ): ReturnType<SMTPConnection['_parseAddressCommand']> {
    const parsed = super._parseAddressCommand(name, command);
    if (parsed !== false) return parsed;
    const match = BRACKETED_ADDRESS_ONLY.exec(command.toString().trim());
    if (match === null || match[1]!.toUpperCase() !== name.toUpperCase()) return false;
    return { address: match[2]!, args: false };
  }

  override handler_VRFY(command: Buffer, callback: () => void): void {
    const argument = command.toString().trim().split(/\s+/).slice(1).join(' ');
    const reply = answerVrfy(this.posture, clientState(this.session), argument);
    this.send(reply.code, wireText(reply));
    callback();
  }
}

class PostfixImitationServer extends SMTPServer {
  constructor(
    readonly posture: ServicePosture,
    options: SMTPServerOptions,
  ) {
    super(options);
  }

  /** SMTPServer.connect of smtp-server 3.21, building our connection class instead. */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new PostfixImitationConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (error: Error) => this._onError(error));
    connection.on('connect', (info) => this._onClientConnect(info));
    connection.init();
  }
}

function serverOptions(posture: ServicePosture, received: ReceivedMessage[]): SMTPServerOptions {
  return {
    name: SERVER_HOSTNAME,
    // Postfix answers EHLO with its bare host name, without smtp-server's "Nice to meet you".
    heloResponse: '%s',
    secure: posture.tlsWrapperMode,
    key: DEMO_SERVER_KEY_PEM,
    // Leaf then CA: Postfix's smtpd_tls_cert_file holds the chain, so clients see both.
    cert: DEMO_SERVER_CERT_PEM + DEMO_CA_CERT_PEM,
    ...tlsSettings(posture),
    size: MESSAGE_SIZE_LIMIT,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH is optional at the protocol level; the postures decide at RCPT, as Postfix does.
    authOptional: true,
    allowInsecureAuth: !posture.tlsAuthOnly,
    disabledCommands: disabledCommands(posture, posture.tlsWrapperMode),
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: CLOSE_GRACE_MS,

    onConnect(session, callback) {
      session.disabledCommands = disabledCommands(posture, session.secure);
      callback();
    },
    onSecure(_socket, session, callback) {
      session.disabledCommands = disabledCommands(posture, true);
      callback();
    },
    onAuth(auth, _session, callback) {
      const login = authenticate(auth.username ?? '', auth.password ?? '');
      if (login === null) {
        callback(null, { responseCode: AUTHENTICATION_FAILED.code, message: wireText(AUTHENTICATION_FAILED) });
        return;
      }
      callback(null, { user: login });
    },
    onMailFrom(_address, session, callback) {
      const refusal = checkMailFrom(posture, clientState(session));
      callback(refusal === null ? null : replyError(refusal));
    },
    onRcptTo(address, session, callback) {
      const sender = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
      const refusal = checkRcptTo(posture, clientState(session), sender, address.address);
      callback(refusal === null ? null : replyError(refusal));
    },
    onData(stream, session, callback) {
      collectMessage(stream, (data) => {
        if (stream.sizeExceeded) {
          callback(replyError(MESSAGE_TOO_BIG));
          return;
        }
        const { login } = clientState(session);
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        received.push({
          service: posture.name,
          from,
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          data,
          ...(login === null ? {} : { authUser: login }),
        });
        callback(null, wireText(messageQueued(newQueueId())));
      });
    },
  };
}

/** Reads a message, keeping nothing past the size limit so an oversized one costs no memory. */
function collectMessage(stream: SMTPServerDataStream, onEnd: (data: Buffer) => void): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => {
    if (!stream.sizeExceeded) chunks.push(chunk);
  });
  stream.on('end', () => onEnd(Buffer.concat(chunks)));
}

interface RunningService {
  posture: ServicePosture;
  server: PostfixImitationServer;
  port: number;
  close(): Promise<void>;
}

async function startService(
  posture: ServicePosture,
  host: string,
  port: number,
  received: ReceivedMessage[],
): Promise<RunningService> {
  const server = new PostfixImitationServer(posture, serverOptions(posture, received));
  // Checks break connections on purpose (handshakes with old TLS versions, resets in the
  // middle of a session); smtp-server reports each as a server error, which a lab ignores.
  server.on('error', () => undefined);

  // close() must leave no handle open, and smtp-server only ends sessions politely.
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });

  return {
    posture,
    server,
    port: (server.server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
    },
  };
}

function selectPostures(names: string[] | undefined): readonly ServicePosture[] {
  if (names === undefined) return SERVICE_POSTURES;
  return names.map((name) => {
    const posture = SERVICE_POSTURES.find((candidate) => candidate.name === name);
    if (posture === undefined) {
      const known = SERVICE_POSTURES.map((candidate) => candidate.name).join(', ');
      throw new UsageError(`unknown lab service "${name}"`, `choose from ${known}`);
    }
    return posture;
  });
}

export async function startEmbeddedLab(options: EmbeddedLabOptions = {}): Promise<EmbeddedLab> {
  const host = options.host ?? DEFAULT_LAB_HOST;
  const postures = selectPostures(options.services);
  const received: ReceivedMessage[] = [];
  const running: RunningService[] = [];
  try {
    for (const posture of postures) {
      const port = options.basePort === undefined ? 0 : options.basePort + posture.portOffset;
      running.push(await startService(posture, host, port, received));
    }
  } catch (error) {
    await Promise.all(running.map((service) => service.close()));
    throw error;
  }

  const services: Record<string, LabService> = {};
  for (const service of running) {
    services[service.posture.name] = { port: service.port, role: service.posture.role, flaw: service.posture.flaw };
  }
  const mta = services.mta;
  if (options.dns && !mta) {
    await Promise.all(running.map((service) => service.close()));
    throw new UsageError('the lab DNS points its MX at the mta service, which is not running', 'add mta to the services');
  }
  let dns: DnsListener | null = null;
  try {
    dns = options.dns && mta ? await startEmbeddedDns(host, 0, embeddedZone(host, mta.port)) : null;
  } catch (error) {
    await Promise.all(running.map((service) => service.close()));
    throw error;
  }

  return {
    host,
    hostname: SERVER_HOSTNAME,
    caPem: DEMO_CA_CERT_PEM,
    domain: HOSTED_DOMAIN,
    foreignDomain: FOREIGN_DOMAIN,
    users: MAILBOX_USERS.map((user) => ({ ...user })),
    alias: { ...SALES_ALIAS },
    services,
    received,
    ...(dns ? { dnsPort: dns.port } : {}),
    async close() {
      await Promise.all([...running.map((service) => service.close()), dns?.close()]);
    },
  };
}
