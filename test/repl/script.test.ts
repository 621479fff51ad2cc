import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { postfixLab, runCli, servicePort } from '../e2e/postfix-lab.js';
import type { FakePeer, FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { startResponder } from '../fakes/smtp-responder.js';
import { Fixtures } from './fixtures.js';

/** The REPL with commands piped in: a script with an exit status, for CI. */

const fixtures = new Fixtures();
after(() => fixtures.cleanUp());

const repl = (port: number, script: string[], options: { args?: string[]; env?: Record<string, string> } = {}) =>
  runCli(['repl', '--server', `127.0.0.1:${port}`, '--timeout', '5', ...(options.args ?? [])], { input: script.map((line) => `${line}\n`).join(''), timeoutMs: 30_000, ...(options.env ? { env: options.env } : {}) });

async function responder(respond: (line: string) => string | null): Promise<FakeServer> {
  return fixtures.keep(await startResponder(respond));
}

/** Reads commands; after DATA's 354, collects the raw lines up to "." and keeps them. */
function dataCollector(bodies: string[][]): (peer: FakePeer) => Promise<void> {
  return async (peer) => {
    peer.write('220 fake.example.org ESMTP\r\n');
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      if (/^DATA/i.test(line)) {
        peer.write('354 go ahead\r\n');
        const body: string[] = [];
        for (let raw = await peer.readLine(); raw !== null && raw !== '.'; raw = await peer.readLine()) body.push(raw);
        bodies.push(body);
        peer.write('250 2.0.0 Ok: queued as ABC123\r\n');
      } else if (/^QUIT/i.test(line)) {
        peer.write('221 2.0.0 Bye\r\n');
        peer.close();
      } else peer.write('250 2.0.0 Ok\r\n');
    }
  };
}

describe('repl script mode, against scripted servers', () => {
  it('runs the lines in order, takes a 5xx to a typed command as an answer, QUITs at the end and exits 0', async () => {
    const server = await responder((line) => (/^VRFY/i.test(line) ? '502 5.5.1 VRFY command is disabled' : '250 2.0.0 Ok'));
    const result = await repl(server.port, ['EHLO x.example', 'VRFY root', 'NOOP']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^<-\* 502 5\.5\.1 VRFY command is disabled {2}\(\d+ ms\)$/m, 'replies come through the transcript renderer, with latency');
    assert.deepEqual(server.connections[0], ['EHLO x.example', 'VRFY root', 'NOOP', 'QUIT']);
  });

  it('dot-stuffs a :data body and a body after a typed DATA, up to the lone "."', async () => {
    const bodies: string[][] = [];
    const server = await startFakeServer(dataCollector(bodies));
    fixtures.keep(server);
    const script = ['EHLO x.example', 'MAIL FROM:<a@example.org>', 'RCPT TO:<b@example.org>', ':data', 'Subject: one', '', '.hidden', '..two dots', '.', 'MAIL FROM:<a@example.org>', 'RCPT TO:<b@example.org>', 'DATA', 'Subject: two', '', '.also hidden', '.', 'QUIT'];
    const result = await repl(server.port, script);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(bodies, [
      ['Subject: one', '', '..hidden', '...two dots'],
      ['Subject: two', '', '..also hidden'],
    ]);
    assert.match(result.stdout, /^> :data$/m, 'meta-commands are echoed in the log');
  });

  it('exits 6 when the server ends the session with 421 mid-script, and sends nothing after', async () => {
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.answer('250 fake.example.org\r\n');
      await peer.readLine();
      peer.write('421 4.3.2 Service shutting down\r\n');
      peer.close();
    });
    fixtures.keep(server);
    const result = await repl(server.port, ['EHLO x.example', 'NOOP', 'NOOP', 'RSET']);
    assert.equal(result.code, 6, result.stdout + result.stderr);
    assert.match(result.stdout, /421 4\.3\.2 Service shutting down/);
    assert.match(result.stdout, /\*\*\* the server ended the session with 421/);
    assert.deepEqual(server.connections[0], ['EHLO x.example', 'NOOP'], 'a 421 closes the channel (RFC 5321 §3.8): nothing more is sent');
  });

  it('exits 6 when the server closes the connection without a word between two commands', async () => {
    const { server, hangUp } = await fixtures.serverThatHangsUp('silently');
    hangUp();
    const result = await repl(server.port, ['EHLO x.example', 'NOOP']);
    assert.equal(result.code, 6, result.stdout + result.stderr);
    assert.match(result.stdout, /=== Connection closed by server/);
    assert.match(result.stdout, /\*\*\* (server closed the connection|connection reset by the server)/);
  });

  it('exits 1 on a mistyped meta-command and runs nothing after it', async () => {
    const server = await responder(() => '250 2.0.0 Ok');
    const result = await repl(server.port, ['EHLO x.example', ':starttsl', 'NOOP']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /unknown meta-command :starttsl/);
    assert.deepEqual(server.connections[0], ['EHLO x.example', 'QUIT']);
  });

  it('redacts AUTH typed by hand (PLAIN and LOGIN) and keeps the decoded login for the state', async () => {
    const server = await responder((line) => {
      if (/^AUTH PLAIN /i.test(line)) return '235 2.7.0 Authentication successful';
      if (/^AUTH LOGIN$/i.test(line)) return '334 VXNlcm5hbWU6';
      if (line === Buffer.from('lisa@example.org').toString('base64')) return '334 UGFzc3dvcmQ6';
      if (line === Buffer.from('winterrain').toString('base64')) return '235 2.7.0 Authentication successful';
      return '250 2.0.0 Ok';
    });
    const plain = Buffer.from('\0john@example.org\0summersun').toString('base64');
    const first = await repl(server.port, ['EHLO x.example', `AUTH PLAIN ${plain}`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /-> AUTH PLAIN <credentials for john@example\.org>/);
    const second = await repl(server.port, ['EHLO x.example', 'AUTH LOGIN', Buffer.from('lisa@example.org').toString('base64'), Buffer.from('winterrain').toString('base64')]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /-> <username lisa@example\.org>/);
    assert.match(second.stdout, /-> <password>/);
    for (const output of [first.stdout, second.stdout]) assert.doesNotMatch(output, new RegExp(`${plain}|summersun|winterrain|${Buffer.from('winterrain').toString('base64')}`));
    assert.equal(server.connections[0]![1], `AUTH PLAIN ${plain}`, 'the server got the real line');
  });

  it('encodes the AUTH PLAIN string of the relaying guide, and keeps the :b64 text out of the log', async () => {
    const server = await responder(() => '250 2.0.0 Ok');
    const result = await repl(server.port, [':b64 encode \\0john@example.org\\0summersun', ':b64 decode AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu', ':plain john@example.org'], { env: { SMTPCHECK_PASSWORD: 'summersun' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu$/m);
    assert.match(result.stdout, /^\\0john@example\.org\\0summersun$/m);
    assert.match(result.stdout, /^AUTH PLAIN AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu$/m);
    assert.match(result.stdout, /^> :b64 …$/m, 'the echo names the command only');
  });

  it('shows control characters a hostile server puts in its EHLO escaped, in the transcript and in :caps', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? '250-fake.example.org\n250 X-EVIL\x1b]0;owned\x07\x1b[2J' : '250 2.0.0 Ok'));
    const result = await repl(server.port, ['EHLO x.example', ':caps']);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /\x1b|\x07/, 'no escape sequence reaches the terminal');
    assert.match(result.stdout, /X-EVIL\\x1b\]0;owned/);
  });

  it('exits 1 when :auth has no password source (no prompt without a terminal)', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? '250-fake.example.org\n250 AUTH PLAIN' : '250 2.0.0 Ok'));
    const result = await repl(server.port, [':auth plain john@example.org'], { args: ['--allow-plaintext-auth'] });
    assert.equal(result.code, 1);
    assert.match(result.stderr + result.stdout, /no password for john@example\.org/);
  });
});

describe('repl script mode, against the real Postfix lab', () => {
  const lab = postfixLab();
  const submission = servicePort('submission');
  const ca = ['--tls-ca', lab.caFile];

  it('sends with :send after :starttls and :auth (password from SMTPCHECK_PASSWORD); the message arrives', { timeout: 60_000 }, async () => {
    const dir = fixtures.directory();
    const attachment = join(dir, 'notes.txt');
    writeFileSync(attachment, 'attached text\n');
    const subject = `repl send ${process.pid}-${Date.now()}`;
    const result = await repl(submission, [':starttls', ':auth john@example.org', ':send', '', 'lisa@example.org', subject, 'Hi Lisa,', '.dotted', '.', attachment, ':save ' + join(dir, 'saved.txt')], { args: ca, env: { SMTPCHECK_PASSWORD: 'summersun' } });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\? From: john@example\.org/, 'From defaults to the login');
    assert.match(result.stdout, /=== message smtpcheck-[0-9a-f]+ accepted for 1 of 1 recipient\(s\), queued as/);
    const deadline = Date.now() + 15_000;
    let message: string | undefined;
    while (!message && Date.now() < deadline) {
      const directory = join(lab.maildir, 'lisa', 'new');
      message = (existsSync(directory) ? readdirSync(directory) : []).map((name) => readFileSync(join(directory, name), 'utf8')).find((text) => text.includes(subject));
      if (!message) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(message, `the message "${subject}" arrived in lisa's Maildir`);
    assert.match(message, /\nHi Lisa,\r?\n\.dotted\r?\n/);
    assert.match(message, /filename="notes\.txt"/);
    assert.doesNotMatch(result.stdout + readFileSync(join(dir, 'saved.txt'), 'utf8'), /summersun/);
  });

  it('exits 4 on a wrong password and 3 on a certificate it cannot verify', { timeout: 60_000 }, async () => {
    const wrong = await repl(submission, [':starttls', ':auth john@example.org', 'NOOP'], { args: ca, env: { SMTPCHECK_PASSWORD: 'wintersun' } });
    assert.equal(wrong.code, 4, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /535 5\.7\.8/);
    const untrusted = await repl(submission, [':starttls', 'NOOP']);
    assert.equal(untrusted.code, 3, untrusted.stdout + untrusted.stderr);
    assert.match(untrusted.stdout, /certificate chain not trusted/);
    assert.doesNotMatch(untrusted.stdout, /-> NOOP|~> NOOP/, 'nothing runs over an unverified connection');
  });

  it('runs one check with :check against the same server and exits with the check verdict', { timeout: 60_000 }, async () => {
    const result = await repl(servicePort('mta'), [':check starttls-offered', ':check conn-greeting'], { args: [...ca, '--local-domain', 'example.org'] });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /PASS +starttls-offered/);
    assert.match(result.stdout, /PASS +conn-greeting/);
  });
});
