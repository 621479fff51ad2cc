/**
 * The embedded lab, spoken to over plain node:net / node:tls: every service shows its one
 * flaw, and its secure twin does not. The dialogue helper below is deliberately tiny and
 * independent of src/core, so a bug in the client cannot hide a bug in the lab.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { after, afterEach, before, describe, test } from 'node:test';
import type { EmbeddedLab } from '../../src/lab/embedded-lab.js';
import { startEmbeddedLab } from '../../src/lab/embedded-lab.js';

/** Long enough for a loaded CI machine, short enough that a missing reply fails fast. */
const REPLY_TIMEOUT_MS = 5000;
/** How long to listen for bytes that should never come (the injection probe's fallback silence is 2 s: docs/checks.md#starttls-injection). */
const SILENCE_MS = 700;

interface Reply {
  code: number;
  lines: string[];
  /** The reply's lines joined with newlines, without CRLF. */
  text: string;
}

/** One SMTP conversation: write commands, read whole (possibly multi-line) replies. */
class Dialogue {
  private socket: net.Socket | tls.TLSSocket;
  private received = '';
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly onData = (chunk: Buffer) => {
    this.received += chunk.toString('latin1');
    this.wake?.();
  };

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.listen(socket);
  }

  static async open(port: number, options: { implicitTls?: boolean; ca?: string } = {}): Promise<Dialogue> {
    const socket = options.implicitTls
      ? tls.connect({ host: '127.0.0.1', port, ca: options.ca, servername: 'mail.example.org' })
      : net.connect(port, '127.0.0.1');
    const dialogue = new Dialogue(socket);
    openDialogues.push(dialogue);
    await once(socket, options.implicitTls ? 'secureConnect' : 'connect');
    return dialogue;
  }

  get tlsSocket(): tls.TLSSocket {
    assert.ok(this.socket instanceof tls.TLSSocket, 'TLS is not up');
    return this.socket;
  }

  private listen(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Reads up to and including the first line whose fourth character is a space. */
  async reply(): Promise<Reply> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      const lines = this.received.split('\r\n');
      const complete = lines.slice(0, -1);
      const last = complete.findIndex((line) => line.length >= 4 && line[3] === ' ');
      if (last >= 0) {
        const replyLines = complete.slice(0, last + 1);
        this.received = lines.slice(last + 1).join('\r\n');
        return { code: Number(replyLines[0]!.slice(0, 3)), lines: replyLines, text: replyLines.join('\n') };
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`no complete reply; unread: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  write(text: string): void {
    this.socket.write(text);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Whatever arrives within SILENCE_MS, unframed. */
  async unsolicited(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS));
    const text = this.received;
    this.received = '';
    return text;
  }

  /** Hands the socket to TLS after a 220, verifying against the lab's CA. */
  async upgrade(ca: string): Promise<tls.TLSSocket> {
    return this.handshake({ ca, servername: 'mail.example.org' });
  }

  /** Hands the socket to TLS after a 220 with the given client settings. */
  async handshake(options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    assert.equal(this.received, '', 'plaintext arrived after the STARTTLS reply');
    this.socket.off('data', this.onData);
    const secure = tls.connect({ rejectUnauthorized: false, ...options, socket: this.socket });
    this.socket = secure;
    this.listen(secure);
    await once(secure, 'secureConnect');
    return secure;
  }

  async startTls(ca: string): Promise<tls.TLSSocket> {
    const reply = await this.command('STARTTLS');
    assert.equal(reply.text, '220 2.0.0 Ready to start TLS');
    return this.upgrade(ca);
  }

  async authPlain(user: string, password: string): Promise<Reply> {
    return this.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const openDialogues: Dialogue[] = [];
const openSockets: net.Socket[] = [];
let lab: EmbeddedLab;

before(async () => {
  lab = await startEmbeddedLab();
});

afterEach(() => {
  for (const dialogue of openDialogues.splice(0)) dialogue.destroy();
  for (const socket of openSockets.splice(0)) socket.destroy();
});

after(async () => {
  await lab.close();
});

function portOf(service: string): number {
  const description = lab.services[service];
  assert.ok(description, `no service ${service}`);
  return description.port;
}

/** Connected, greeted and EHLO'd (plaintext, or TLS from the first byte for submissions). */
async function session(service: string): Promise<Dialogue> {
  const implicitTls = lab.services[service]?.role === 'submissions';
  const dialogue = await Dialogue.open(portOf(service), { implicitTls, ca: lab.caPem! });
  assert.equal((await dialogue.reply()).code, 220);
  assert.equal((await dialogue.command('EHLO probe.example')).code, 250);
  return dialogue;
}

/** Connected, STARTTLS done, EHLO'd again inside TLS, and optionally logged in. */
async function tlsSession(service: string, login?: { user: string; password: string }): Promise<Dialogue> {
  const dialogue = await session(service);
  if (lab.services[service]?.role !== 'submissions') {
    await dialogue.startTls(lab.caPem!);
    assert.equal((await dialogue.command('EHLO probe.example')).code, 250);
  }
  if (login) assert.equal((await dialogue.authPlain(login.user, login.password)).text, '235 2.7.0 Authentication successful');
  return dialogue;
}

const john = { user: 'john@example.org', password: 'summersun' };

describe('lab description', () => {
  test('describes the nine services of the real lab with their roles, flaws and distinct ports', () => {
    const roles = Object.fromEntries(Object.entries(lab.services).map(([name, service]) => [name, service.role]));
    assert.deepEqual(roles, {
      mta: 'mta',
      submission: 'submission',
      submissions: 'submissions',
      'open-relay': 'mta',
      'plaintext-auth': 'mta',
      'submission-no-tls': 'submission',
      spoofable: 'submission',
      vrfy: 'mta',
      'no-starttls': 'mta',
    });
    const secure = Object.entries(lab.services).filter(([, service]) => service.flaw === null).map(([name]) => name);
    assert.deepEqual(secure, ['mta', 'submission', 'submissions']);
    const ports = Object.values(lab.services).map((service) => service.port);
    assert.equal(new Set(ports).size, ports.length);
    assert.ok(ports.every((port) => port > 0));
  });

  test('names the demo users, the sales alias owned by john, the domains and the CA', () => {
    assert.equal(lab.host, '127.0.0.1');
    assert.equal(lab.hostname, 'mail.example.org');
    assert.equal(lab.domain, 'example.org');
    assert.equal(lab.foreignDomain, 'example.net');
    assert.deepEqual(lab.users, [
      { user: 'john@example.org', password: 'summersun' },
      { user: 'lisa@example.org', password: 'winterrain' },
    ]);
    assert.deepEqual(lab.alias, { address: 'sales@example.org', owner: 'john@example.org' });
    assert.match(lab.caPem ?? '', /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  test('listens on basePort plus the service offset when a base port is given, and frees it on close', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const basePort = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');

    const fixed = await startEmbeddedLab({ services: ['mta'], basePort });
    assert.deepEqual(Object.keys(fixed.services), ['mta']);
    assert.equal(fixed.services.mta?.port, basePort);
    const dialogue = await Dialogue.open(basePort);
    assert.equal((await dialogue.reply()).text, '220 mail.example.org ESMTP');
    dialogue.destroy();
    await fixed.close();

    const refused = net.connect(basePort, '127.0.0.1');
    openSockets.push(refused);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
  });

  test('refuses an unknown service name', async () => {
    await assert.rejects(startEmbeddedLab({ services: ['mta', 'smtp-relay'] }), /unknown lab service "smtp-relay"/);
  });
});

describe('greeting and capabilities', () => {
  test('greets with the bare host name, as smtpd_banner = $myhostname ESMTP', async () => {
    const dialogue = await Dialogue.open(portOf('mta'));
    assert.equal((await dialogue.reply()).text, '220 mail.example.org ESMTP');
  });

  test('mta: offers STARTTLS, SIZE and ENHANCEDSTATUSCODES but AUTH only after STARTTLS', async () => {
    const dialogue = await Dialogue.open(portOf('mta'));
    await dialogue.reply();
    const before = await dialogue.command('EHLO probe.example');
    assert.equal(before.lines[0], '250-mail.example.org');
    for (const keyword of ['STARTTLS', 'SIZE 10240000', 'ENHANCEDSTATUSCODES', 'PIPELINING', '8BITMIME']) {
      assert.ok(before.lines.some((line) => line.slice(4) === keyword), `${keyword} missing from ${before.text}`);
    }
    assert.ok(!before.lines.some((line) => line.slice(4).startsWith('AUTH')), before.text);
    assert.equal((await dialogue.command('AUTH PLAIN')).code, 500, 'AUTH before TLS must not get 334');

    await dialogue.startTls(lab.caPem!);
    const inside = await dialogue.command('EHLO probe.example');
    assert.ok(inside.lines.includes('250-AUTH PLAIN LOGIN'), inside.text);
    assert.ok(!inside.lines.some((line) => line.slice(4) === 'STARTTLS'), inside.text);
  });

  test('plaintext-auth: advertises AUTH before TLS and accepts a password in plaintext', async () => {
    const dialogue = await session('plaintext-auth');
    const ehlo = await dialogue.command('EHLO probe.example');
    assert.ok(ehlo.lines.includes('250-AUTH PLAIN LOGIN'), ehlo.text);
    assert.equal((await dialogue.authPlain(john.user, john.password)).text, '235 2.7.0 Authentication successful');
  });

  test('no-starttls: offers neither STARTTLS nor AUTH and does not know the STARTTLS command', async () => {
    const dialogue = await session('no-starttls');
    const ehlo = await dialogue.command('EHLO probe.example');
    assert.ok(!ehlo.lines.some((line) => /^(STARTTLS|AUTH)/.test(line.slice(4))), ehlo.text);
    assert.equal((await dialogue.command('STARTTLS')).text, '500 5.5.2 Error: command not recognized');
  });
});

describe('TLS', () => {
  test('mta: STARTTLS gives a handshake verified against caPem for mail.example.org', async () => {
    const dialogue = await session('mta');
    const secure = await dialogue.startTls(lab.caPem!);
    assert.equal(secure.authorized, true);
    const leaf = secure.getPeerCertificate();
    assert.equal(leaf.subject.CN, 'mail.example.org');
    assert.match(leaf.subjectaltname ?? '', /DNS:mail\.example\.org.*IP Address:127\.0\.0\.1/);
    assert.equal((await dialogue.command('NOOP')).code, 250);
  });

  test('serves the leaf and the CA: a client that does not trust the CA still receives both', async () => {
    // Without `ca` the chain can only hold what the server sent.
    const socket = tls.connect({
      host: '127.0.0.1',
      port: portOf('submissions'),
      servername: 'mail.example.org',
      rejectUnauthorized: false,
    });
    openSockets.push(socket);
    await once(socket, 'secureConnect');
    const leaf = socket.getPeerCertificate(true);
    assert.equal(leaf.subject.CN, 'mail.example.org');
    assert.equal(leaf.issuerCertificate?.subject.CN, 'smtpcheck demo CA (public key, loopback only)');
    assert.equal(socket.authorizationError, 'SELF_SIGNED_CERT_IN_CHAIN');
  });

  test('submissions: TLS from the first byte, verified against caPem, then the greeting inside TLS', async () => {
    const dialogue = await Dialogue.open(portOf('submissions'), { implicitTls: true, ca: lab.caPem! });
    assert.equal(dialogue.tlsSocket.authorized, true);
    assert.equal((await dialogue.reply()).text, '220 mail.example.org ESMTP');
    const ehlo = await dialogue.command('EHLO probe.example');
    assert.ok(ehlo.lines.includes('250-AUTH PLAIN LOGIN'), ehlo.text);
  });

  test('submission: a plaintext client gets a plaintext greeting, so port 587 is not mistaken for 465', async () => {
    const dialogue = await Dialogue.open(portOf('submission'));
    assert.equal((await dialogue.reply()).text, '220 mail.example.org ESMTP');
  });

  test('discards plaintext pipelined behind STARTTLS instead of answering it inside TLS', async () => {
    const dialogue = await session('mta');
    dialogue.write('STARTTLS\r\nEHLO inj.invalid\r\n');
    assert.equal((await dialogue.reply()).text, '220 2.0.0 Ready to start TLS');
    await dialogue.upgrade(lab.caPem!);
    assert.equal(await dialogue.unsolicited(), '');
    assert.equal((await dialogue.command('NOOP')).code, 250);
  });

  test('mta keeps Postfix 3.7\'s TLS defaults (TLS 1.0, anonymous suites); submissions takes neither', async () => {
    const legacy = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    const anonymous = { maxVersion: 'TLSv1.2', ciphers: 'aNULL@SECLEVEL=0' } as const;

    const mtaLegacy = await session('mta');
    assert.equal((await mtaLegacy.command('STARTTLS')).code, 220);
    assert.equal((await mtaLegacy.handshake(legacy)).getProtocol(), 'TLSv1');
    const mtaAnonymous = await session('mta');
    assert.equal((await mtaAnonymous.command('STARTTLS')).code, 220);
    assert.match((await mtaAnonymous.handshake(anonymous)).getCipher().name, /^ADH-/);

    for (const options of [legacy, anonymous]) {
      const socket = tls.connect({ host: '127.0.0.1', port: portOf('submissions'), rejectUnauthorized: false, ...options });
      openSockets.push(socket);
      const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
      assert.match(error.code ?? '', /^ERR_SSL_/);
    }
  });
});

describe('relay control', () => {
  test('mta: refuses relay without AUTH with 454 4.7.1 yet takes mail for its users; open-relay relays', async () => {
    const mta = await session('mta');
    assert.equal((await mta.command('MAIL FROM:<p@example.net>')).text, '250 2.1.0 Accepted');
    assert.equal((await mta.command('RCPT TO:<john@example.org>')).code, 250);
    assert.equal((await mta.command('RCPT TO:<r@example.net>')).text, '454 4.7.1 <r@example.net>: Relay access denied');

    const openRelay = await session('open-relay');
    await openRelay.command('MAIL FROM:<p@example.net>');
    assert.equal((await openRelay.command('RCPT TO:<r@example.net>')).code, 250);
  });

  test('mta: relays for a client logged in inside TLS (permit_sasl_authenticated)', async () => {
    const dialogue = await tlsSession('mta', john);
    await dialogue.command('MAIL FROM:<john@example.org>');
    assert.equal((await dialogue.command('RCPT TO:<r@example.net>')).code, 250);
  });

  test('mta: rejects unknown example.org recipients with 550 5.1.1 and accepts aliases, +tags and bare names', async () => {
    const dialogue = await session('mta');
    await dialogue.command('MAIL FROM:<p@example.net>');
    assert.equal(
      (await dialogue.command('RCPT TO:<zz-9f3a1c@example.org>')).text,
      '550 5.1.1 <zz-9f3a1c@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
    );
    for (const recipient of ['sales@example.org', 'postmaster@example.org', 'abuse@example.org', 'john+tag@example.org', 'postmaster', 'lisa']) {
      assert.equal((await dialogue.command(`RCPT TO:<${recipient}>`)).code, 250, recipient);
    }
  });

  test('mta: judges sender-specified routing as relaying where smtp-server\'s parser would say 501; open-relay takes it', async () => {
    const routed = ['r@example.net@example.org', '"r@example.net"', 'r%example.net@example.org', 'example.net!r', 'r@example.net.'];
    const mta = await session('mta');
    await mta.command('MAIL FROM:<p@example.net>');
    for (const recipient of routed) {
      assert.equal((await mta.command(`RCPT TO:<${recipient}>`)).text, `454 4.7.1 <${recipient}>: Relay access denied`);
    }
    const openRelay = await session('open-relay');
    await openRelay.command('MAIL FROM:<p@example.net>');
    for (const recipient of routed) {
      assert.equal((await openRelay.command(`RCPT TO:<${recipient}>`)).code, 250, recipient);
    }
  });
});

describe('submission', () => {
  test('submission: answers MAIL before STARTTLS with 530 5.7.0; submission-no-tls takes MAIL and AUTH in plaintext', async () => {
    const submission = await session('submission');
    assert.equal(
      (await submission.command('MAIL FROM:<john@example.org>')).text,
      '530 5.7.0 Must issue a STARTTLS command first',
    );

    const noTls = await session('submission-no-tls');
    assert.ok((await noTls.command('EHLO probe.example')).lines.includes('250-AUTH PLAIN LOGIN'));
    assert.equal((await noTls.command('MAIL FROM:<john@example.org>')).code, 250);
    assert.equal(
      (await noTls.command('RCPT TO:<r@example.net>')).text,
      '553 5.7.1 <john@example.org>: Sender address rejected: not logged in',
    );
    await noTls.command('RSET');
    assert.equal((await noTls.authPlain(john.user, john.password)).code, 235);
  });

  test('submission: without AUTH refuses an owned sender as not logged in and any other sender outright', async () => {
    const dialogue = await tlsSession('submission');
    await dialogue.command('MAIL FROM:<john@example.org>');
    assert.equal(
      (await dialogue.command('RCPT TO:<lisa@example.org>')).text,
      '553 5.7.1 <john@example.org>: Sender address rejected: not logged in',
    );
    await dialogue.command('RSET');
    await dialogue.command('MAIL FROM:<p@example.net>');
    for (const recipient of ['r@example.net', 'lisa@example.org']) {
      assert.equal(
        (await dialogue.command(`RCPT TO:<${recipient}>`)).text,
        '554 5.7.1 <p@example.net>: Sender address rejected: Access denied',
      );
    }
  });

  test('submission: refuses john sending as lisa with 553 not owned; spoofable lets him', async () => {
    const submission = await tlsSession('submission', john);
    assert.equal((await submission.command('MAIL FROM:<lisa@example.org>')).code, 250, 'Postfix judges the sender at RCPT');
    assert.equal(
      (await submission.command('RCPT TO:<r@example.net>')).text,
      '553 5.7.1 <lisa@example.org>: Sender address rejected: not owned by user john@example.org',
    );

    const spoofable = await tlsSession('spoofable', john);
    assert.equal((await spoofable.command('MAIL FROM:<lisa@example.org>')).code, 250);
    assert.equal((await spoofable.command('RCPT TO:<r@example.net>')).code, 250);
  });

  test('submissions: john may send as himself, his +tags and the sales alias, not as an outside address', async () => {
    const dialogue = await tlsSession('submissions', john);
    for (const sender of ['john@example.org', 'John+news@Example.org', 'sales@example.org']) {
      await dialogue.command(`MAIL FROM:<${sender}>`);
      assert.equal((await dialogue.command('RCPT TO:<r@example.net>')).code, 250, sender);
      await dialogue.command('RSET');
    }
    await dialogue.command('MAIL FROM:<ceo@example.net>');
    assert.equal((await dialogue.command('RCPT TO:<r@example.net>')).code, 553);
    await dialogue.command('RSET');
    await dialogue.command('MAIL FROM:<>');
    assert.equal((await dialogue.command('RCPT TO:<r@example.net>')).code, 250, 'the null sender owns nothing to check');
    assert.equal((await dialogue.command('RCPT TO:<zz-9f3a1c@example.org>')).code, 250, 'smtpd_reject_unlisted_recipient=no');
  });

  test('submission: rejects a wrong password with 535 5.7.8', async () => {
    const dialogue = await tlsSession('submission');
    assert.equal(
      (await dialogue.authPlain(john.user, 'wintersun')).text,
      '535 5.7.8 Error: authentication failed: (reason unavailable)',
    );
  });

  test('submission: a message from john to lisa after STARTTLS and AUTH is queued and recorded in received', async () => {
    const dialogue = await tlsSession('submission', john);
    await dialogue.command('MAIL FROM:<john@example.org>');
    assert.equal((await dialogue.command('RCPT TO:<lisa@example.org>')).code, 250);
    assert.equal((await dialogue.command('DATA')).code, 354);
    const queued = await dialogue.command('Subject: lab test\r\n\r\nHello Lisa\r\n..dot-stuffed line\r\n.');
    assert.match(queued.text, /^250 2\.0\.0 Ok: queued as [0-9A-F]{10}$/);

    const message = lab.received.find((entry) => entry.data.includes('Hello Lisa'));
    assert.ok(message, 'message not recorded');
    assert.equal(message.service, 'submission');
    assert.equal(message.from, 'john@example.org');
    assert.deepEqual(message.to, ['lisa@example.org']);
    assert.equal(message.authUser, 'john@example.org');
    assert.equal(message.data.toString(), 'Subject: lab test\r\n\r\nHello Lisa\r\n.dot-stuffed line\r\n');
  });
});

describe('message size', () => {
  test('refuses a message over SIZE after its final dot with 552 5.3.4 and records nothing', async () => {
    const dialogue = await session('mta');
    await dialogue.command('MAIL FROM:<p@example.net>');
    await dialogue.command('RCPT TO:<lisa@example.org>');
    assert.equal((await dialogue.command('DATA')).code, 354);
    const line = `${'x'.repeat(998)}\r\n`;
    const before = lab.received.length;
    dialogue.write(line.repeat(Math.ceil(10_240_001 / line.length)));
    assert.equal((await dialogue.command('.')).text, '552 5.3.4 Message size exceeds fixed limit');
    assert.equal(lab.received.length, before);
  });
});

describe('enumeration', () => {
  test('vrfy: tells an existing user (252 2.0.0) from an unknown one (550 5.1.1); mta refuses VRFY with 502 5.5.1', async () => {
    const vrfy = await session('vrfy');
    assert.equal((await vrfy.command('VRFY john@example.org')).text, '252 2.0.0 john@example.org');
    assert.equal(
      (await vrfy.command('VRFY zz-9f3a1c@example.org')).text,
      '550 5.1.1 <zz-9f3a1c@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
    );
    assert.equal((await vrfy.command('VRFY lisa')).code, 252, 'a bare name is completed with $myorigin');
    assert.equal((await vrfy.command('VRFY r@example.net')).text, '454 4.7.1 <r@example.net>: Relay access denied');

    const mta = await session('mta');
    for (const address of ['john@example.org', 'zz-9f3a1c@example.org']) {
      assert.equal((await mta.command(`VRFY ${address}`)).text, '502 5.5.1 VRFY command is disabled');
    }
  });

  test('mta: does not know EXPN, like Postfix: 500 5.5.2', async () => {
    const dialogue = await session('mta');
    assert.equal((await dialogue.command('EXPN sales@example.org')).text, '500 5.5.2 Error: command not recognized');
  });
});

describe('smtp-server behaviour that docs/lab.md describes', () => {
  test('ends DATA only at <CRLF>.<CRLF>: a bare-LF end-of-data sequence stays message content', async () => {
    const dialogue = await session('mta');
    await dialogue.command('MAIL FROM:<p@example.net>');
    await dialogue.command('RCPT TO:<john@example.org>');
    assert.equal((await dialogue.command('DATA')).code, 354);
    dialogue.write(
      'Subject: t\r\n\r\nA\n.\nMAIL FROM:<s@example.net>\r\nRCPT TO:<john@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nB\r\n.\r\n',
    );
    assert.match((await dialogue.reply()).text, /^250 2\.0\.0 Ok: queued as /);
    assert.equal(await dialogue.unsolicited(), '', 'a second transaction was smuggled');
  });

  test('answers AUTH PLAIN without an initial response with "334 " and a "*" with 501', async () => {
    const dialogue = await session('plaintext-auth');
    assert.equal((await dialogue.command('AUTH PLAIN')).lines[0], '334 ');
    assert.equal((await dialogue.command('*')).text, '501 5.5.4 Authentication aborted');
  });

  test('answers a client that talks before the greeting with 421 and closes', async () => {
    const dialogue = await Dialogue.open(portOf('mta'));
    dialogue.write('EHLO early.example\r\n');
    assert.equal((await dialogue.reply()).text, '421 mail.example.org You talk too soon');
  });
});
