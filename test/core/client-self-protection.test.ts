import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { authenticate } from '../../src/core/authenticate.js';
import { establishSession } from '../../src/core/establish.js';
import { ProtocolError, ReplyError, StartTlsInjectionError, TimeoutError, TlsError } from '../../src/core/errors.js';
import { SmtpSession } from '../../src/core/session.js';
import { Transcript } from '../../src/core/transcript.js';
import { DEMO_CA_CERT_PEM } from '../../src/lab/demo-certificates.js';
import type { FakePeer, FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { ehloReply } from '../fakes/smtp-responder.js';
import { hintFor } from '../../src/outcome/error-hints.js';

const servers: FakeServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function fake(script: (peer: FakePeer) => Promise<void>, options: { implicitTls?: boolean } = {}) {
  const server = await startFakeServer(script, options);
  servers.push(server);
  return server;
}

const baseOptions = (port: number, transcript = new Transcript()) => ({
  host: '127.0.0.1',
  port,
  heloName: 'client.example.com',
  transcript,
  tls: { caPem: DEMO_CA_CERT_PEM },
  timeouts: { connectMs: 2000, greetingMs: 1000, commandMs: 1000, dataMs: 1000 },
});

describe('client self-protection (docs/security.md)', () => {
  it('self-no-response-injection: aborts when plaintext follows the STARTTLS 220, and never parses it', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.answer(ehloReply(['STARTTLS']));
      await peer.readLine();
      peer.write('220 Ready\r\n250-example.org\r\n250 AUTH LOGIN\r\n');
      await peer.readLine();
    });
    const transcript = new Transcript();
    await assert.rejects(establishSession({ ...baseOptions(server.port, transcript), tlsMode: 'starttls' }), (error: unknown) => error instanceof StartTlsInjectionError && error.injectedBytes > 0);
    assert.equal(transcript.events.filter((event) => event.type === 'receive').length, 3, 'greeting, EHLO and the 220 only: the injected replies were never read');
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('AUTH')));
  });

  it('self-no-strip: stops when --tls is required and STARTTLS is not offered, without sending AUTH', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.answer(ehloReply(['AUTH PLAIN LOGIN']));
      while ((await peer.answer('221 bye\r\n')) !== null);
    });
    await assert.rejects(establishSession({ ...baseOptions(server.port), tlsMode: 'starttls' }), (error: unknown) => error instanceof TlsError && /does not offer STARTTLS/.test(error.message));
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('AUTH') || line.startsWith('MAIL')));
  });

  for (const refusal of ['502 5.5.1 Error: command not implemented', '454 4.7.0 TLS not available due to local problem', '354 go ahead']) {
    it(`self-no-strip: stops when STARTTLS is answered "${refusal.slice(0, 3)}"`, async () => {
      const server = await fake(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer(ehloReply(['STARTTLS', 'AUTH PLAIN']));
        await peer.answer(`${refusal}\r\n`);
        while ((await peer.answer('221 bye\r\n')) !== null);
      });
      await assert.rejects(establishSession({ ...baseOptions(server.port), tlsMode: 'starttls' }), TlsError);
      assert.ok(!server.connections[0]!.some((line) => line.startsWith('AUTH')));
    });
  }

  it('self-no-secret-leak: refuses to send credentials without TLS unless allowed', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.answer(ehloReply(['AUTH PLAIN LOGIN']));
      while ((await peer.answer('221 bye\r\n')) !== null);
    });
    const session = await establishSession({ ...baseOptions(server.port), tlsMode: 'none' });
    await assert.rejects(authenticate(session, { user: 'john@example.org', secret: 'summersun' }), /unencrypted/);
    await session.quit();
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('AUTH')));
  });

  it('self-rehello: uses only the capabilities announced inside TLS', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.answer(ehloReply(['STARTTLS', 'AUTH PLAIN', 'SIZE 1000']));
      await peer.answer('220 2.0.0 Ready to start TLS\r\n');
      await peer.startTls();
      await peer.answer(ehloReply(['AUTH LOGIN', 'SIZE 2000']));
      while ((await peer.answer('221 bye\r\n')) !== null);
    });
    const session = await establishSession({ ...baseOptions(server.port), tlsMode: 'starttls' });
    assert.deepEqual(session.capabilities!.authMechanisms, ['LOGIN']);
    assert.equal(session.capabilities!.size, 2000);
    assert.equal(session.capabilitiesBeforeTls!.size, 1000);
    assert.equal(session.tls!.chainVerified, true);
    await session.quit();
    assert.equal(server.connections[0]!.filter((line) => line.startsWith('EHLO')).length, 2);
  });

  it('self-reply-framing: reads EHLO lines sent as separate packets as one reply, then the next reply in turn', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.readLine();
      for (const line of ['250-fake.example.org\r\n', '250-PIPELINING\r\n', '250 SIZE 100\r\n']) {
        peer.write(line);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await peer.answer('252 2.0.0 cannot verify\r\n');
      while ((await peer.answer('221 bye\r\n')) !== null);
    });
    const session = await SmtpSession.open(baseOptions(server.port));
    const caps = await session.hello();
    assert.equal(caps.size, 100);
    assert.equal((await session.command('VRFY nobody')).code, 252);
    await session.quit();
  });

  it('self-odd-codes: a 554 greeting is reported as a refusal of service', async () => {
    const server = await fake(async (peer) => {
      peer.write('554 5.7.1 no service for you\r\n');
      await peer.readLine();
    });
    await assert.rejects(SmtpSession.open(baseOptions(server.port)), (error: unknown) => error instanceof ReplyError && error.step === 'greeting' && /refuses service/.test(hintFor(error) ?? ''));
  });

  it('self-odd-codes: falls back to HELO when EHLO gets 502', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 old server\r\n');
      await peer.answer('502 5.5.1 command not implemented\r\n');
      await peer.answer('250 old.example.org\r\n');
      while ((await peer.answer('221 bye\r\n')) !== null);
    });
    const session = await SmtpSession.open(baseOptions(server.port));
    const caps = await session.hello();
    assert.equal(caps.helo, true);
    assert.equal(caps.domain, 'old.example.org');
    await session.quit();
    assert.deepEqual(server.connections[0]!.slice(0, 2), ['EHLO client.example.com', 'HELO client.example.com']);
  });

  it('names the greeting step when the server never greets', async () => {
    const server = await fake(async (peer) => {
      await peer.readLine();
    });
    const started = Date.now();
    await assert.rejects(SmtpSession.open(baseOptions(server.port)), (error: unknown) => error instanceof TimeoutError && error.step === 'greeting');
    assert.ok(Date.now() - started < 3000);
  });

  it('times out a reply dripped one byte at a time (a deadline per reply, not an idle timer)', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake\r\n');
      await peer.readLine();
      for (const char of '250 this reply never ends in time\r\n') {
        peer.write(char);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const session = await SmtpSession.open(baseOptions(server.port));
    await assert.rejects(session.hello(), (error: unknown) => error instanceof TimeoutError && error.step === 'ehlo');
    session.close();
  });

  it('reports the step when the server closes the connection mid-conversation', async () => {
    const server = await fake(async (peer) => {
      peer.write('220 fake\r\n');
      await peer.readLine();
      peer.destroy();
    });
    const session = await SmtpSession.open(baseOptions(server.port));
    await assert.rejects(session.hello(), (error: unknown) => error instanceof ProtocolError && error.step === 'ehlo' && /closed the connection/.test(error.message));
  });

  it('redacts AUTH PLAIN in the transcript unless secrets are revealed', async () => {
    const script = async (peer: FakePeer) => {
      peer.write('220 fake\r\n');
      await peer.answer(ehloReply(['AUTH PLAIN']));
      await peer.answer('235 2.7.0 Authentication successful\r\n');
      while ((await peer.answer('221 bye\r\n')) !== null);
    };
    for (const revealSecrets of [false, true]) {
      const server = await fake(script);
      const transcript = new Transcript();
      const session = await establishSession({ ...baseOptions(server.port, transcript), tlsMode: 'none', revealSecrets });
      await authenticate(session, { user: 'john@example.org', secret: 'summersun', allowPlaintext: true });
      await session.quit();
      const shown = JSON.stringify(transcript.events);
      const base64 = Buffer.from('\0john@example.org\0summersun').toString('base64');
      assert.equal(shown.includes('summersun'), revealSecrets);
      assert.equal(shown.includes(base64), revealSecrets);
      assert.ok(server.connections[0]!.includes(`AUTH PLAIN ${base64}`), 'the wire carries the real credentials');
    }
  });
});
