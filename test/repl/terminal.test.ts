import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { postfixLab, servicePort } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { Fixtures } from './fixtures.js';
import { TmuxRepl } from './tmux.js';

/** The REPL on a real pseudo-terminal (tmux): what a user sees and types. */

const repls: TmuxRepl[] = [];
const fixtures = new Fixtures();
after(async () => {
  for (const repl of repls) repl.kill();
  await fixtures.cleanUp();
});

function startRepl(args: string[], stateDir: string): TmuxRepl {
  const repl = TmuxRepl.start(args, { SMTPCHECK_PASSWORD: null, NO_COLOR: '1', FORCE_COLOR: null, XDG_STATE_HOME: stateDir });
  repls.push(repl);
  return repl;
}

async function waitForFile(directory: string, token: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const name of existsSync(directory) ? readdirSync(directory) : []) {
      const text = readFileSync(join(directory, name), 'utf8');
      if (text.includes(token)) return text;
    }
    if (Date.now() > deadline) throw new Error(`no message with ${token} arrived in ${directory} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('repl on a terminal, against the real Postfix lab', () => {
  it('greets, upgrades with :starttls, logs in at the masked prompt, and delivers a :data message with a dotted line', { timeout: 90_000 }, async () => {
    const lab = postfixLab();
    const state = fixtures.directory();
    const saved = join(state, 'session.txt');
    const token = `repl-${process.pid}-${Date.now()}`;
    const repl = startRepl(['--server', `127.0.0.1:${servicePort('submission')}`, '--tls-ca', lab.caFile], state);

    await repl.waitFor(/^<- {2}220 mail\.example\.org ESMTP/m, 'the greeting');
    await repl.waitFor(new RegExp(`127\\.0\\.0\\.1:${servicePort('submission')} \\(plain\\)> $`, 'm'), 'the plaintext prompt');

    repl.typeLine('EHLO x.example');
    await repl.waitFor(/^<- {2}250 CHUNKING/m, 'the EHLO reply');
    assert.match(repl.screen(), /^ -> EHLO x\.example$/m, 'the typed line went out raw');

    repl.typeLine(':starttls');
    await repl.waitFor(/after STARTTLS: added AUTH PLAIN LOGIN; removed STARTTLS/, 'the capability change');
    assert.match(repl.screen(), /verification: chain trusted, name 127\.0\.0\.1 matches/);
    await repl.waitFor(/\(TLSv1\.[23]\)> $/m, 'the TLS prompt');

    repl.typeLine(':auth plain john@example.org');
    await repl.waitFor(/Password for john@example\.org:/, 'the masked password prompt');
    repl.type('summersun');
    await repl.waitFor(/Password for john@example\.org: \*{9}/, 'nine mask characters');
    assert.doesNotMatch(repl.screen(), /summersun/, 'the password is not echoed while typed');
    repl.keys('Enter');
    await repl.waitFor(/^<~ {2}235 2\.7\.0 Authentication successful/m, 'the 235');
    assert.match(repl.screen(), /~> AUTH PLAIN <credentials for john@example\.org>/);
    await repl.waitFor(/\(TLSv1\.[23], john@example\.org\)> $/m, 'the prompt naming the login');

    repl.typeLine('MAIL FROM:<john@example.org>');
    await repl.waitFor(/in transaction\)> $/m, 'the prompt in a transaction');
    repl.typeLine('RCPT TO:<lisa@example.org>');
    await repl.waitFor(/^<~ {2}250 2\.1\.5/m, 'the RCPT reply');

    repl.typeLine(':data');
    await repl.waitFor(/^data> $/m, 'the body prompt');
    for (const line of [`Subject: ${token}`, '', 'Hello Lisa,', '.this line starts with a dot', 'bye']) repl.typeLine(line);
    repl.typeLine('.');
    const afterData = await repl.waitFor(/queued as [0-9A-F]+/, 'the end-of-data reply');
    assert.match(afterData, /^ ~> \.this line starts with a dot$/m, 'the transcript shows the line as typed');
    await repl.waitFor(/\(TLSv1\.[23], john@example\.org\)> $/m, 'the prompt out of the transaction');

    repl.typeLine(`:save ${saved}`);
    await repl.waitFor(/saved \d+ transcript events/, 'the save confirmation');
    repl.keys('C-d');
    await repl.waitFor(/^<~ {2}221 2\.0\.0 Bye/m, 'QUIT sent on Ctrl-D');
    const screen = await repl.waitFor(/^\[exit 0\]$/m, 'the exit status');

    const message = await waitForFile(join(lab.maildir, 'lisa', 'new'), token, 15_000);
    assert.match(message, /\nHello Lisa,\r?\n\.this line starts with a dot\r?\nbye/, 'one dot arrives: stuffed on the wire, unstuffed by the server');
    const transcript = readFileSync(saved, 'utf8');
    assert.match(transcript, /AUTH PLAIN <credentials for john@example\.org>/);
    assert.match(transcript, /235 2\.7\.0/);
    const history = readFileSync(join(state, 'smtpcheck', 'repl_history'), 'utf8');
    assert.match(history, /^:auth plain john@example\.org$/m);
    assert.doesNotMatch(history, /Hello Lisa/, 'message bodies are not commands');
    for (const [where, text] of [['screen', screen], ['saved transcript', transcript], ['history', history]]) {
      assert.doesNotMatch(text!, /summersun|c3VtbWVyc3Vu/, `the password (or its base64) is not in the ${where}`);
    }
  });
});

describe('repl on a terminal, against scripted servers', () => {
  it('shows the server hanging up while the user is typing, and the prompt says closed', { timeout: 30_000 }, async () => {
    const { server, hangUp } = await fixtures.serverThatHangsUp('421');
    const repl = startRepl(['--server', `127.0.0.1:${server.port}`], fixtures.directory());
    await repl.waitFor(/\(plain\)> $/m, 'the prompt');
    repl.typeLine('EHLO x.example');
    await repl.waitFor(/^<- {2}250 fake\.example\.org/m, 'the EHLO reply');
    repl.type('NOOP half typ');
    await repl.waitFor(/\(plain\)> NOOP half typ$/m, 'the half-typed line');

    const started = Date.now();
    hangUp();
    const screen = await repl.waitFor(/\(closed\)> NOOP half typ$/m, 'the closed prompt with the typing kept', 3000);
    assert.ok(Date.now() - started < 3000, 'shown at once, not at the next command');
    assert.match(screen, /=== Connection closed by server/);
    assert.match(screen, /421 4\.4\.2 fake\.example\.org Error: timeout exceeded/, 'the reason the server gave is shown');

    repl.keys('Enter');
    await repl.waitFor(/not connected: the server closed the connection/, 'the refusal to send on a dead session');
    assert.equal(server.connections[0]!.includes('NOOP half typ'), false, 'nothing was sent after the hang-up');
    repl.keys('C-d');
    await repl.waitFor(/^\[exit 0\]$/m, 'the exit after Ctrl-D');
  });

  it('stops waiting for a silent server on Ctrl-C, and the prompt says closed', { timeout: 30_000 }, async () => {
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      while ((await peer.readLine()) !== null);
    });
    fixtures.keep(server);
    const repl = startRepl(['--server', `127.0.0.1:${server.port}`], fixtures.directory());
    await repl.waitFor(/\(plain\)> $/m, 'the prompt');
    repl.typeLine('NOOP');
    await repl.waitFor(/^ -> NOOP$/m, 'the NOOP sent');
    repl.keys('C-c');
    const screen = await repl.waitFor(/\(closed\)> $/m, 'the closed prompt after Ctrl-C');
    assert.match(screen, /^\^C\n\*\*\* interrupted: connection closed/m, 'no stale prompt redrawn over the wait');
    repl.keys('C-d');
    await repl.waitFor(/^\[exit 0\]$/m, 'the exit after Ctrl-D');
  });

  it('completes with Tab, cancels the typed line with Ctrl-C, and quits with QUIT on Ctrl-D', { timeout: 30_000 }, async () => {
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        peer.write(/^QUIT/i.test(line) ? '221 2.0.0 Bye\r\n' : '250 2.0.0 Ok\r\n');
        if (/^QUIT/i.test(line)) peer.close();
      }
    });
    fixtures.keep(server);
    const repl = startRepl(['--server', `127.0.0.1:${server.port}`], fixtures.directory());
    await repl.waitFor(/\(plain\)> $/m, 'the prompt');

    repl.type(':sta');
    repl.keys('Tab');
    await repl.waitFor(/\(plain\)> :starttls$/m, ':sta completed to :starttls');
    repl.keys('C-c');
    await repl.waitFor(/> \^C\n.*\(plain\)> $/m, 'a fresh prompt after Ctrl-C');

    repl.type('no');
    repl.keys('Tab');
    await repl.waitFor(/\(plain\)> noop$/m, 'a verb completed in the case it was started');
    repl.keys('Enter');
    await repl.waitFor(/^<- {2}250 2\.0\.0 Ok/m, 'the NOOP reply');

    repl.keys('C-d');
    await repl.waitFor(/^\[exit 0\]$/m, 'the exit after Ctrl-D');
    assert.deepEqual(server.connections[0], ['noop', 'QUIT'], 'the cancelled line never went out; Ctrl-D sent QUIT');
  });
});
