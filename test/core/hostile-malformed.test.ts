import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { establishSession } from '../../src/core/establish.js';
import { ProtocolError, TimeoutError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { SmtpSession } from '../../src/core/session.js';
import { runCli } from '../e2e/postfix-lab.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, coreOptions, serverPool, sleep } from '../fakes/hostile-peer.js';

/**
 * Issue 6, malformed replies: every way of breaking RFC 5321 §4.2 framing ends in a
 * ProtocolError (exit 6) that names the step, and no reply is ever attributed to a
 * command it does not answer.
 */
const track = serverPool();

/** Answers QUIT politely and everything else not at all, until the client leaves. */
async function byeOnQuit(peer: FakePeer): Promise<void> {
  for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
    if (/^QUIT/i.test(line)) {
      peer.write('221 2.0.0 Bye\r\n');
      peer.close();
    }
  }
}

/** Greets, then answers the first command (EHLO) with `reply` exactly as given. */
const ehloAnsweredWith = (reply: string | Buffer) =>
  track(
    startFakeServer(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.readLine();
      peer.socket.write(reply);
      await byeOnQuit(peer);
    }),
  );

function rejectsWithProtocolError(work: Promise<unknown>, step: string, message: RegExp): Promise<void> {
  return assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.step, step);
    assert.match(error.message, message);
    return true;
  });
}

// Control characters a terminal would act on; \n ends lines and \t is harmless.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]/;

describe('malformed reply lines', { concurrency: true }, () => {
  for (const bad of ['25 two digits', '2500 four digits', 'abc letters', '600 first digit out of range', '250x no separator', 'HTTP/1.1 400 Bad Request']) {
    it(`rejects "${bad}" as the EHLO reply, naming EHLO`, async () => {
      const server = await ehloAnsweredWith(`${bad}\r\n`);
      await rejectsWithProtocolError(establishSession(coreOptions(server.port)), 'ehlo', /malformed reply line from server: .*while waiting for the reply to EHLO/);
    });
  }

  it('rejects a multi-line reply that mixes codes (RFC 5321 §4.2.1)', async () => {
    const server = await ehloAnsweredWith('250-fake.example.org\r\n550-PIPELINING\r\n250 SIZE 10\r\n');
    await rejectsWithProtocolError(establishSession(coreOptions(server.port)), 'ehlo', /mixed reply codes 250 and 550/);
  });

  it('a continuation that never ends, then silence: times out at EHLO', async () => {
    const server = await ehloAnsweredWith('250-fake.example.org\r\n250-PIPELINING\r\n');
    await assert.rejects(establishSession(coreOptions(server.port)), (error: unknown) => error instanceof TimeoutError && error.step === 'ehlo');
  });

  it('a continuation that never ends, then close: "server closed the connection while waiting for the reply to EHLO"', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.readLine();
        peer.write('250-fake.example.org\r\n250-PIPELINING\r\n');
        await sleep(50);
        peer.close();
      }),
    );
    await rejectsWithProtocolError(establishSession(coreOptions(server.port)), 'ehlo', /server closed the connection while waiting for the reply to EHLO/);
  });

  it('accepts bare LF line ends for a whole transaction', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\n');
        const replies: Record<string, string> = { EHLO: '250-fake.example.org\n250 PIPELINING\n', MAIL: '250 2.1.0 Ok\n', RCPT: '250 2.1.5 Ok\n', DATA: '354 go\n', QUIT: '221 bye\n' };
        for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
          const reply = line === '.' ? '250 2.0.0 queued\n' : replies[line.slice(0, 4).toUpperCase()];
          if (reply) peer.write(reply);
        }
      }),
    );
    const session = await establishSession(coreOptions(server.port));
    assert.equal(session.capabilities!.pipelining, true);
    assert.equal((await session.mailFrom('a@example.org')).code, 250);
    assert.equal((await session.rcptTo('b@example.org')).code, 250);
    assert.equal((await session.data([Buffer.from('Subject: x\r\n\r\nhi\r\n')])).code, 250);
    await session.quit();
  });

  it('keeps NUL and non-UTF-8 bytes visible and escaped: transcript, error line, never raw on the terminal', async () => {
    const greeting = Buffer.concat([Buffer.from('220 evil\x00\x1b]0;owned\x07 '), Buffer.from([0xff, 0xfe, 0xc2, 0x9b]), Buffer.from('[2J ESMTP\r\n')]);
    const server = await track(
      startFakeServer(async (peer) => {
        peer.socket.write(greeting);
        await peer.readLine();
        peer.socket.write(Buffer.from('250-fake.example.org\r\n250-X\x1b[2JKEY\r\n250 SIZE 10\r\n'));
        await peer.readLine();
        peer.socket.write(Buffer.from('550 5.7.1 \x1b[31mno\x7f \xff\r\n', 'latin1'));
        await byeOnQuit(peer);
      }),
    );
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.rejected);
    assert.doesNotMatch(result.stdout, RAW_CONTROL, 'stdout carries a raw control character');
    assert.doesNotMatch(result.stderr, RAW_CONTROL, 'stderr carries a raw control character');
    assert.match(result.stdout, /220 evil\\x00\\x1b\]0;owned\\x07 \\xff\\xfe\\xc2\\x9b\[2J ESMTP/);
    assert.match(result.stderr, /MAIL refused: 550 5\.7\.1 \\x1b\[31mno\\x7f \\xff/);
  });

  it('escapes control characters in EHLO keywords in the capability table', async () => {
    const server = await ehloAnsweredWith('250-fake.example.org\r\n250-X\x1b]0;title\x07KEY\r\n250 SIZE 10\x1b[2J\r\n');
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--timeout', '2'], { timeoutMs: 10_000 });
    assert.doesNotMatch(result.stdout, RAW_CONTROL);
    assert.match(result.stdout, /X\\x1b\]0;TITLE\\x07KEY/);
  });
});

describe('replies nobody asked for are never attributed to the next command', { concurrency: true }, () => {
  it('a reply glued to the greeting ends the session before EHLO is answered by it', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n250-fake.example.org\r\n250 AUTH PLAIN\r\n');
        await clientGone(peer);
      }),
    );
    await rejectsWithProtocolError(establishSession(coreOptions(server.port)), 'greeting', /server sent a reply nobody asked for after the greeting: "250-fake\.example\.org \(\+1 lines\)"/);
  });

  it('a second reply to EHLO is not taken as the reply to MAIL', async () => {
    const server = await ehloAnsweredWith('250-fake.example.org\r\n250 PIPELINING\r\n250 2.1.0 Ok, pretending to accept MAIL\r\n');
    await rejectsWithProtocolError(
      establishSession(coreOptions(server.port)).then((session) => session.mailFrom('a@example.org')),
      'ehlo',
      /reply nobody asked for after the reply to EHLO: "250 2\.1\.0 Ok, pretending to accept MAIL"/,
    );
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('MAIL')), 'MAIL was never sent');
  });

  it('a final reply with a surplus reply in the same read is not a success ("250" then "451")', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250 fake.example.org\r\n');
        await peer.answer('250 2.1.0 Ok\r\n');
        await peer.answer('250 2.1.5 Ok\r\n');
        await peer.answer('354 go ahead\r\n');
        while ((await peer.readLine()) !== '.');
        peer.write('250 2.0.0 Ok: queued as 4XyZ1\r\n451 4.3.0 Error: queue file write error\r\n');
        await clientGone(peer);
      }),
    );
    const session = await establishSession(coreOptions(server.port));
    await session.mailFrom('a@example.org');
    await session.rcptTo('b@example.org');
    await rejectsWithProtocolError(session.data([Buffer.from('Subject: x\r\n\r\nhi\r\n')]), 'data', /reply nobody asked for after the reply to DATA: "451 4\.3\.0/);
  });

  it('a reply that arrives while the client is idle ends the session at the next command', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250 fake.example.org\r\n');
        await sleep(30);
        peer.write('250 2.1.5 unsolicited\r\n');
        await clientGone(peer);
      }),
    );
    const session = await SmtpSession.open(coreOptions(server.port));
    await session.hello();
    await sleep(300);
    await rejectsWithProtocolError(session.mailFrom('a@example.org'), 'ehlo', /reply nobody asked for after the reply to EHLO/);
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('MAIL')));
  });

  it('an unsolicited 421 (server shutting down) is reported as the end of the session, not as a refusal of the next command', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250 fake.example.org\r\n');
        await sleep(30);
        peer.write('421 4.4.2 fake.example.org Error: timeout exceeded\r\n');
        peer.close();
      }),
    );
    const session = await SmtpSession.open(coreOptions(server.port));
    await session.hello();
    await sleep(300);
    await rejectsWithProtocolError(session.mailFrom('a@example.org'), 'ehlo', /server ended the session unasked after the reply to EHLO: 421 4\.4\.2/);
  });
});

describe('pipelined batches with the wrong number of replies (send --pipeline)', { concurrency: true }, () => {
  it('one reply too many: exit 6 before the message is sent', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250 PIPELINING\r\n');
        for (let i = 0; i < 3; i += 1) await peer.readLine();
        peer.write('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n250 2.0.0 one too many\r\n');
        await clientGone(peer);
      }),
    );
    const result = await runCli(['send', '--pipeline', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol, result.stderr);
    assert.match(result.stderr, /reply nobody asked for after the reply to DATA: "250 2\.0\.0 one too many"/);
    assert.ok(!server.connections[0]!.includes('.'), 'the message was not sent');
  });

  it('one reply too few: exit 6 naming the missing reply and how many came', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250 PIPELINING\r\n');
        for (let i = 0; i < 3; i += 1) await peer.readLine();
        peer.write('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n');
        await clientGone(peer);
      }),
    );
    const result = await runCli(['send', '--pipeline', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', '--command-timeout', '0.5'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol, result.stderr);
    assert.match(result.stderr, /timed out after 0\.5 s waiting for the reply to DATA \(2 of 3 pipelined replies arrived\)/);
    assert.ok(!server.connections[0]!.includes('.'));
  });

});
