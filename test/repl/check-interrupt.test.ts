import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { after, describe, it } from 'node:test';
import { CHECKS } from '../../src/checks/registry.js';
import { Transcript } from '../../src/core/transcript.js';
import type { ReplIo } from '../../src/repl/engine.js';
import { ReplEngine } from '../../src/repl/engine.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { Fixtures } from './fixtures.js';

/** Ctrl-C during :check ends the check at once and leaves the typed session as it was. */
const fixtures = new Fixtures();
after(() => fixtures.cleanUp());

describe('the REPL engine interrupting :check', () => {
  it('ends a :check against a silent server at once, says so, and keeps the session open', async () => {
    let checkConnections = 0;
    let checkConnectionsOpen = 0;
    const silent = fixtures.keep(
      await startFakeServer(async (peer) => {
        checkConnections += 1;
        checkConnectionsOpen += 1;
        while ((await peer.readLine()) !== null);
        checkConnectionsOpen -= 1;
      }),
    );
    const typed = fixtures.keep(
      await startFakeServer(async (peer) => {
        peer.write('220 fake.example.org ESMTP\r\n');
        while ((await peer.answer('250 2.0.0 Ok\r\n')) !== null);
      }),
    );
    const printed: string[] = [];
    const io: ReplIo = { interactive: false, print: (lines) => printed.push(...lines), readBodyLine: async () => null, ask: async () => '', password: async () => '' };
    const transcript = new Transcript();
    const engine = new ReplEngine({
      establish: { host: '127.0.0.1', port: typed.port, heloName: 'client.example.com', tlsMode: 'none', transcript, timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataMs: 2000 } },
      // The check's own connections go to the silent server, with timeouts far beyond the test's.
      flags: { server: `127.0.0.1:${silent.port}`, localDomain: 'example.org', timeout: '30' },
      transcript,
      io,
      palette: new Chalk({ level: 0 }),
      checks: CHECKS,
    });
    await engine.connect();

    const running = engine.execute(':check conn-greeting');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(engine.busy, true);
    assert.equal(checkConnections, 1, 'the check is waiting for its greeting');
    const interruptedAt = performance.now();
    engine.interrupt();
    assert.deepEqual(await running, { status: 'cancelled' });
    assert.ok(performance.now() - interruptedAt < 1000, `took ${Math.round(performance.now() - interruptedAt)} ms`);
    assert.ok(printed.some((line) => /ERROR\s+conn-greeting.*interrupted/.test(line)), printed.join('\n'));
    assert.ok(printed.some((line) => /check interrupted.*this session is untouched/.test(line)));
    assert.ok(!printed.some((line) => /PASS/.test(line)));

    assert.equal(engine.state.open, true, 'the typed session is untouched');
    assert.deepEqual(await engine.execute('NOOP'), { status: 'ok' });
    assert.ok(!transcript.events.some((event) => event.type === 'warn' && event.kind === undefined && /interrupted/.test(event.message)), 'no "connection closed" warning about this session');
    const deadline = performance.now() + 500;
    while (checkConnectionsOpen > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(checkConnectionsOpen, 0, 'the check connection is closed');
    await engine.finish();
  });
});
