import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CheckDefinition } from '../../src/checks/check.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import { CHECKS, findCheck } from '../../src/checks/registry.js';
import { runCheck, runChecks } from '../../src/checks/runner.js';
import { InterruptedError } from '../../src/core/errors.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import type { FakePeer, FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';

/**
 * Ctrl-C on a running check (the REPL's :check, `check`'s SIGINT): every session
 * goes at once, slot waits give up, and the result is `error`, never a pass. The
 * timeouts are long, so only the interruption can explain a quick end.
 */
const LONG_TIMEOUTS = { connectMs: 30_000, greetingMs: 30_000, commandMs: 30_000, dataMs: 30_000 };
const INTERRUPT_AFTER_MS = 100;
const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((server) => server.close())));

/** A server that runs `script` on each connection and counts the connections the client has not closed yet. */
async function countingServer(script: (peer: FakePeer) => Promise<void> = async () => undefined): Promise<{ server: FakeServer; open: () => number }> {
  let open = 0;
  const server = await startFakeServer(async (peer) => {
    open += 1;
    await script(peer);
    while ((await peer.readLine()) !== null);
    open -= 1;
  });
  servers.push(server);
  return { server, open: () => open };
}

/** Resolves once `condition` holds; fails the test if it does not within `ms`. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Abort after INTERRUPT_AFTER_MS; returns the controller and when it fired. */
function interruptSoon(): { signal: AbortSignal; abortedAt: () => number } {
  const controller = new AbortController();
  let at = 0;
  setTimeout(() => {
    at = performance.now();
    controller.abort();
  }, INTERRUPT_AFTER_MS);
  return { signal: controller.signal, abortedAt: () => at };
}

describe('interrupting a running check', () => {
  it('a server that never greets: error "interrupted" within a second of the abort, and the connection closed', async () => {
    const { server, open } = await countingServer();
    const { signal, abortedAt } = interruptSoon();
    const result = await runCheck(findCheck('conn-greeting')!, fakeCheckTarget(server.port, { connection: { timeouts: LONG_TIMEOUTS } }), { signal });
    assert.ok(performance.now() - abortedAt() < 1000, `took ${Math.round(performance.now() - abortedAt())} ms after the abort`);
    assert.equal(result.verdict, 'error');
    assert.match(result.summary, /interrupted/);
    assert.equal(server.connections.length, 1);
    await eventually(() => open() === 0, 500, 'the server sees every connection closed');
  });

  it('a session already open (silent after MAIL) is destroyed too', async () => {
    // Interrupted once MAIL has arrived, not after a fixed time: a loaded machine may take longer to get there.
    const controller = new AbortController();
    let abortedAt = 0;
    const { server, open } = await countingServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.answer('250 fake.example.org\r\n');
      if (/^MAIL FROM/i.test((await peer.readLine()) ?? '')) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port, { connection: { timeouts: LONG_TIMEOUTS } }), { signal: controller.signal });
    assert.ok(abortedAt > 0 && performance.now() - abortedAt < 1000);
    assert.equal(result.verdict, 'error');
    assert.ok(server.connections.some((lines) => lines.some((line) => /^MAIL FROM/i.test(line))), 'the check was inside its session when interrupted');
    await eventually(() => open() === 0, 500, 'the server sees every connection closed');
  });

  it('a check that would conclude pass whatever happens is still reported error', async () => {
    const { server } = await countingServer();
    const stubborn: CheckDefinition = {
      id: 'stubborn',
      title: 'passes even when its session fails',
      roles: ['mta'],
      severity: 'high',
      fix: 'none',
      run: async (context) => {
        await context.open('none').catch(() => undefined);
        return { verdict: 'pass', summary: 'concluded anyway' };
      },
    };
    const { signal } = interruptSoon();
    const result = await runCheck(stubborn, fakeCheckTarget(server.port, { connection: { timeouts: LONG_TIMEOUTS } }), { signal });
    assert.equal(result.verdict, 'error');
    assert.match(result.summary, /interrupted/);
  });

  it('runChecks on one slot: the waits give up, no further check starts, nothing passes, every connection closes', async () => {
    const { server, open } = await countingServer();
    const checks = CHECKS.filter((check) => check.roles.includes('mta'));
    const { signal, abortedAt } = interruptSoon();
    const results = await runChecks(checks, fakeCheckTarget(server.port, { connection: { timeouts: LONG_TIMEOUTS }, slots: new ConnectionSlots(1) }), { signal, concurrency: 4 });
    assert.ok(performance.now() - abortedAt() < 1000, `took ${Math.round(performance.now() - abortedAt())} ms after the abort`);
    assert.equal(results.length, 4, 'the four checks running when interrupted; none started after');
    assert.deepEqual(
      results.map((result) => result.verdict),
      ['error', 'error', 'error', 'error'],
    );
    assert.deepEqual(
      results.map((result) => result.id),
      checks.slice(0, 4).map((check) => check.id),
      'in the order given',
    );
    assert.equal(server.connections.length, 1, 'one slot: only one check had connected');
    await eventually(() => open() === 0, 500, 'the server sees every connection closed');
  });

  it('without a signal nothing changes: the check runs to its own verdict', async () => {
    const { server } = await countingServer(async (peer) => peer.write('220 fake.example.org ESMTP\r\n'));
    const result = await runCheck(findCheck('conn-greeting')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
  });
});

describe('connection slots', () => {
  it('a wait given up on abort leaves the slot count intact', async () => {
    const slots = new ConnectionSlots(1);
    await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiting, InterruptedError);
    slots.release();
    await slots.acquire();
    await assert.rejects(slots.acquire(controller.signal), InterruptedError, 'an aborted signal gives up at once');
  });
});
