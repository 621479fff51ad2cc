import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { findCheck } from '../../src/checks/registry.js';
import { runCheck } from '../../src/checks/runner.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * --proxy-protocol writes its header before anything else: a server behind a balancer
 * (Postfix with smtpd_upstream_proxy_protocol = haproxy) reads it before it greets.
 * The fake here keeps the raw bytes, since a version 2 header is binary.
 */
const track = serverPool();

interface ProxyAwareServer {
  port: number;
  /** Every byte each connection sent before it closed. */
  received: Buffer[];
  closed(): Promise<void>;
}

/** Reads a PROXY header (v1 up to CRLF, v2 by its length field), then greets; hangs up at once when `refuse`. */
async function proxyAwareServer(options: { refuse?: boolean } = {}): Promise<ProxyAwareServer> {
  const received: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const index = received.push(Buffer.alloc(0)) - 1;
    let greeted = false;
    let consumed = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const all = (received[index] = Buffer.concat([received[index]!, chunk]));
      if (!greeted) {
        const v2 = all.length >= 16 && all[12] === 0x21;
        const end = v2 ? 16 + all.readUInt16BE(14) : all.indexOf('\r\n') + 2;
        if ((v2 && all.length < end) || (!v2 && end < 2)) return;
        if (options.refuse) return void socket.destroy();
        greeted = true;
        consumed = end;
        socket.write('220 fake.example.org ESMTP\r\n');
      }
      const lines = all.subarray(consumed).toString('latin1').split('\r\n');
      lines.pop();
      for (const line of lines) {
        consumed += line.length + 2;
        socket.write(/^QUIT/i.test(line) ? '221 Bye\r\n' : /^EHLO/i.test(line) ? '250 fake.example.org\r\n' : /^NOOP/i.test(line) ? '250 Ok\r\n' : '502 no\r\n');
        if (/^QUIT/i.test(line)) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    closed: async () => {
      await Promise.all(sockets.filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close')));
    },
  };
}

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', '--quit-after', 'ehlo', ...extra], { timeoutMs: 10_000 });

describe('--proxy-protocol: the header goes first, in either version', { concurrency: true }, () => {
  it('v1: the first bytes on the wire are the text header, then NOOP (was it taken?) and EHLO after the greeting', async () => {
    const server = await proxyAwareServer();
    const result = await send(server.port, '--proxy-protocol', 'v1', '--proxy-source', '192.0.2.7:40000', '--proxy-dest', '198.51.100.25:25');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    await server.closed();
    const text = server.received[0]!.toString('latin1');
    assert.ok(text.startsWith('PROXY TCP4 192.0.2.7 198.51.100.25 40000 25\r\nNOOP\r\nEHLO '), JSON.stringify(text));
    assert.match(result.stdout, / -> PROXY TCP4 192\.0\.2\.7 198\.51\.100\.25 40000 25/);
  });

  it('v2: the binary header with the server as the default destination', async () => {
    const server = await proxyAwareServer();
    const result = await send(server.port, '--proxy-protocol', 'v2', '--proxy-source', '192.0.2.7:40000');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    await server.closed();
    const bytes = server.received[0]!;
    const port = Buffer.alloc(2);
    port.writeUInt16BE(server.port);
    assert.equal(bytes.subarray(0, 28).toString('hex'), `0d0a0d0a000d0a515549540a2111000cc00002077f0000019c40${port.toString('hex')}`);
    assert.ok(bytes.subarray(28).toString('latin1').startsWith('NOOP\r\nEHLO '));
  });

  it('--quit-after proxy stops once the header is known to be taken: header, NOOP, QUIT', async () => {
    const server = await proxyAwareServer();
    const result = await send(server.port, '--proxy-protocol', 'v1', '--proxy-source', '192.0.2.7:40000', '--quit-after', 'proxy');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    await server.closed();
    assert.equal(server.received[0]!.toString('latin1'), `PROXY TCP4 192.0.2.7 127.0.0.1 40000 ${server.port}\r\nNOOP\r\nQUIT\r\n`);
  });

  it('a server that hangs up on the header: exit 2, "after the PROXY header", a hint naming the flag', async () => {
    const server = await proxyAwareServer({ refuse: true });
    const result = await send(server.port, '--proxy-protocol', 'v1', '--proxy-source', '192.0.2.7:40000');
    assert.equal(result.code, ExitCode.connect);
    assert.match(result.stderr, /server closed the connection after the PROXY header, before its greeting — .*--proxy-protocol/);
  });

  it('a server that does not expect one greets and answers the header as a command: exit 2, nothing more sent', async () => {
    const server = await track(startResponder(smtpResponder()));
    const result = await send(server.port, '--proxy-protocol', 'v1', '--proxy-source', '192.0.2.7:40000');
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    assert.match(result.stderr, /server answered the PROXY header as a command.*502/);
    assert.ok(!server.connections[0]!.some((line) => /^EHLO/i.test(line)), 'no EHLO after a refused header');
  });

  for (const [flags, message] of [
    [['--proxy-source', '192.0.2.7:40000', '--proxy-dest', '[::1]:25'], /the source is IPv4 and the destination IPv6/],
    [['--proxy-source', 'client.example.org:40000'], /--proxy-source "client\.example\.org:40000" is not IP:PORT/],
    [['--proxy-source', '192.0.2.7'], /is not IP:PORT/],
    [[], /--proxy-protocol needs --proxy-source/],
  ] as const) {
    it(`bad input (${flags.join(' ') || 'no source'}) is a one-line usage error before connecting`, async () => {
      const server = await proxyAwareServer();
      const result = await send(server.port, '--proxy-protocol', 'v2', ...flags);
      assert.equal(result.code, ExitCode.usage);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
      assert.equal(server.received.length, 0, 'no connection');
    });
  }
});

describe('proxy-untrusted never reads "not now" as "header refused"', () => {
  it('a 421 greeting after the header (a rate limit, a screening front) is inconclusive, not a pass', async () => {
    const server = await track(startResponder(() => null, { greeting: '421 4.7.0 fake.example.org Error: too many connections from 127.0.0.1' }));
    const result = await runCheck(findCheck('proxy-untrusted')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
  });
});

/**
 * Greets 220 after a pause, unless the client talked first: then `earlyReply` and a
 * hang-up (smtp-server's "You talk too soon"). The pause is long enough that a client
 * on a loaded machine has sent its PROXY header by then (150 ms was not), and a line
 * it does not know gets 502, as from a real server, never a 250 that a late header
 * could take for an acceptance.
 */
async function earlyTalkerRule(earlyReply: string, alwaysReply?: string): Promise<number> {
  const server = net.createServer((socket) => {
    let early = false;
    socket.on('error', () => undefined);
    socket.once('data', () => (early = true));
    setTimeout(() => {
      if (alwaysReply || early) return void socket.end(`${alwaysReply ?? earlyReply}\r\n`);
      socket.write('220 fake.example.org ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
          if (/^QUIT/i.test(line)) return void socket.end('221 2.0.0 Bye\r\n');
          socket.write(/^EHLO/i.test(line) ? '250 fake.example.org\r\n' : /^(MAIL|RCPT|RSET|NOOP)\b/i.test(line) ? '250 2.0.0 Ok\r\n' : '502 5.5.2 Error: command not recognized\r\n');
        }
      });
    }, 1000);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** A greeting timeout well past earlyTalkerRule's pause. */
const PATIENT = { connection: { timeouts: { connectMs: 2000, greetingMs: 5000, commandMs: 2000, dataMs: 2000 } } };

describe('proxy-untrusted tells a refused header from a server that defers everyone', () => {
  it('421 to the session that began with the header, 220 without it: the header was refused, a pass', async () => {
    const port = await earlyTalkerRule('421 4.4.2 fake.example.org You talk too soon');
    const result = await runCheck(findCheck('proxy-untrusted')!, fakeCheckTarget(port, PATIENT));
    assert.equal(result.verdict, 'pass', result.summary);
  });

  it('421 to every session, with or without the header: a deferral, inconclusive', async () => {
    const port = await earlyTalkerRule('', '421 4.3.2 fake.example.org Service shutting down');
    const result = await runCheck(findCheck('proxy-untrusted')!, fakeCheckTarget(port, PATIENT));
    assert.equal(result.verdict, 'inconclusive', result.summary);
  });
});
