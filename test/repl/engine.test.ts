import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { after, describe, it } from 'node:test';
import { CHECKS } from '../../src/checks/registry.js';
import { parseEhloReply } from '../../src/core/capabilities.js';
import { Transcript } from '../../src/core/transcript.js';
import type { Question, ReplIo } from '../../src/repl/engine.js';
import { describeCapabilityChange, ReplEngine } from '../../src/repl/engine.js';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';
import { Fixtures } from './fixtures.js';

/** The engine without any terminal: a scripted user on one side, a scripted server on the other. */

const fixtures = new Fixtures();
after(() => fixtures.cleanUp());

class ScriptedUser implements ReplIo {
  readonly interactive = false;
  readonly printed: string[] = [];
  constructor(private readonly answers: string[] = []) {}
  print(lines: string[]): void {
    this.printed.push(...lines);
  }
  async readBodyLine(): Promise<string | null> {
    return this.answers.shift() ?? null;
  }
  async ask(question: Question): Promise<string> {
    return this.answers.shift() ?? question.default ?? '';
  }
  async password(): Promise<string> {
    return 'summersun';
  }
}

async function engineFor(server: FakeServer, user = new ScriptedUser()) {
  const transcript = new Transcript();
  const engine = new ReplEngine({
    establish: { host: '127.0.0.1', port: server.port, heloName: 'client.example.com', tlsMode: 'none', transcript, timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataMs: 2000 } },
    flags: {},
    transcript,
    io: user,
    palette: new Chalk({ level: 0 }),
    checks: CHECKS,
  });
  await engine.connect();
  return { engine, transcript, user };
}

describe('the REPL engine', () => {
  it('follows the replies to typed lines in the state: capabilities, transaction, reset', async () => {
    const server = await startResponder((line) => (/^EHLO/i.test(line) ? ehloLines(['AUTH PLAIN LOGIN', 'PIPELINING']) : '250 2.0.0 Ok'));
    fixtures.keep(server);
    const { engine } = await engineFor(server);
    assert.deepEqual(engine.mechanisms, []);
    await engine.execute('ehlo x.example');
    assert.deepEqual(engine.mechanisms, ['PLAIN', 'LOGIN'], 'a typed EHLO feeds Tab completion');
    await engine.execute('MAIL FROM:<a@example.org>');
    assert.equal(engine.state.inTransaction, true);
    await engine.execute('RSET');
    assert.equal(engine.state.inTransaction, false);
    await engine.finish();
    assert.equal(engine.state.open, false);
  });

  it('marks the session lost and reports why when the server hangs up between commands', async () => {
    const { server, hangUp } = await fixtures.serverThatHangsUp('silently');
    const { engine, transcript, user } = await engineFor(server);
    await engine.execute('EHLO x.example');
    const closed = new Promise<void>((resolve) => transcript.on((event) => event.type === 'close' && resolve()));
    hangUp();
    await closed;
    assert.equal(engine.state.open, false);
    assert.equal(engine.connectionLost, true);
    await engine.finish();
    assert.ok(transcript.events.some((event) => event.type === 'error' && /closed the connection|reset/.test(event.message)), 'the reason is in the transcript');
    const outcome = await engine.execute('NOOP');
    assert.deepEqual(outcome, { status: 'failed', exitCode: 6 });
    assert.ok(user.printed.some((line) => /:reconnect/.test(line)), 'the hint says how to go on');
  });

  it('refuses to ask for a password on a plaintext connection', async () => {
    const server = await startResponder((line) => (/^EHLO/i.test(line) ? ehloLines(['AUTH PLAIN']) : '250 2.0.0 Ok'));
    fixtures.keep(server);
    const { engine, user } = await engineFor(server);
    let asked = false;
    user.password = async () => {
      asked = true;
      return 'x';
    };
    assert.deepEqual(await engine.execute(':auth plain john@example.org'), { status: 'failed', exitCode: 4 });
    assert.equal(asked, false);
    await engine.finish();
  });

  it('stops waiting for a silent server on interrupt and drops the connection', async () => {
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.readLine();
    });
    fixtures.keep(server);
    const { engine, transcript } = await engineFor(server);
    const running = engine.execute('NOOP');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(engine.busy, true);
    engine.interrupt();
    assert.deepEqual(await running, { status: 'cancelled' });
    assert.equal(engine.state.open, false);
    assert.equal(engine.connectionLost, false, 'we hung up, not the server');
    assert.ok(transcript.events.some((event) => event.type === 'warn' && event.kind === undefined && /interrupted/.test(event.message)));
  });

  it('says in one line what STARTTLS changed in the capabilities', () => {
    const ehlo = (...lines: string[]) => parseEhloReply({ code: 250, enhanced: null, lines: ['mail.example.org', ...lines], raw: [] });
    const change = describeCapabilityChange({ capabilitiesBeforeTls: ehlo('STARTTLS', 'SIZE 1000', 'PIPELINING'), capabilities: ehlo('AUTH PLAIN LOGIN', 'SIZE 2000', 'PIPELINING') });
    assert.equal(change, 'added AUTH PLAIN LOGIN; removed STARTTLS; SIZE 1000 → 2000');
    assert.equal(describeCapabilityChange({ capabilitiesBeforeTls: ehlo('PIPELINING'), capabilities: ehlo('PIPELINING') }), 'capabilities unchanged');
  });
});
