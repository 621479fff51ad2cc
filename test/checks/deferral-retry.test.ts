import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayProbeResult } from '../../src/checks/relay-rules.js';
import { findCheck } from '../../src/checks/registry.js';
import { runCheck } from '../../src/checks/runner.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import type { CheckDetails } from '../../src/checks/evidence.js';

/**
 * Fronts that defer (docs/checks.md#deferrals): a deferral is never a refusal, so an
 * open relay behind one is never a pass; a retry that reaches the truth judges it.
 */
const track = serverPool();
const hosted = (address: string) => /^(john|postmaster)@example\.org$/.test(address);

/**
 * An MX hosting example.org behind a front: `front` answers each RCPT first (a reply,
 * or null to let the server behind decide), given the connection's number (from 1)
 * and the sender/recipient pair; behind it the server relays when `openRelay`.
 */
function frontedMx(openRelay: boolean, front: (connection: number, pair: string, address: string) => string | null) {
  let connections = 0;
  return track(
    startResponder((line, state) => {
      const number = (state.memory.connection ??= ++connections) as number;
      if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
      const mail = /^MAIL FROM:<(.*)>/i.exec(line);
      if (mail) {
        state.memory.sender = mail[1];
        return '250 2.1.0 Ok';
      }
      if (/^RSET/i.test(line)) return '250 2.0.0 Ok';
      const rcpt = /^RCPT TO:<(.*)>$/i.exec(line);
      if (!rcpt) return '502 5.5.2 Error: command not recognized';
      const address = rcpt[1]!;
      const deferred = front(number, `${String(state.memory.sender)} ${address}`, address);
      if (deferred) return deferred;
      return hosted(address) || openRelay ? '250 2.1.5 Ok' : `554 5.7.1 <${address}>: Relay access denied`;
    }),
  );
}

/** postgrey with its default whitelist: postmaster@ is exempt; a pair is accepted once `delayMs` passed since it was first seen. */
function greylisting(delayMs: number) {
  const firstSeen = new Map<string, number>();
  return (_connection: number, pair: string, address: string): string | null => {
    if (/^postmaster@/.test(address)) return null;
    const seen = firstSeen.get(pair) ?? Date.now();
    firstSeen.set(pair, seen);
    return Date.now() - seen >= delayMs ? null : `450 4.7.1 <${address}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html`;
  };
}

const probes = (details: CheckDetails | undefined): readonly RelayProbeResult[] => (details?.kind === 'relay-probes' ? details.probes : []);
const deferralClass = (details: CheckDetails | undefined): string | undefined => (details?.kind === 'deferral' ? details.deferral?.class : undefined);
const control = { localRecipient: 'postmaster@example.org' };

describe('deferring fronts before relay checks', { concurrency: true }, () => {
  it('an open relay behind greylisting that exempts the control is inconclusive (greylisting), never pass', async () => {
    const server = await frontedMx(true, greylisting(60_000));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port, control));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.match(result.summary, /deferred \(greylisting/);
    assert.match(result.summary, /--retry-deferred/);
    assert.equal(probes(result.details)[0]!.deferral?.class, 'greylisting');
  });

  it('with --retry-deferred longer than the greylisting delay, the open relay behind it fails', async () => {
    const server = await frontedMx(true, greylisting(300));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port, { ...control, retryDeferredMs: 400 }));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(probes(result.details)[0]!.reason, /deferred, retried after/);
  });

  it('a secure MX behind greylisting still passes when the retry reaches its refusal', async () => {
    const server = await frontedMx(false, greylisting(300));
    const result = await runCheck(findCheck('relay-percent')!, fakeCheckTarget(server.port, { ...control, retryDeferredMs: 400 }));
    assert.equal(result.verdict, 'pass', result.summary);
  });

  it('a secure MX behind greylisting (control greylisted too) is settled by asking each group again whole after the delay: one retry a group', async () => {
    const server = await frontedMx(false, greylisting(300));
    const result = await runCheck(findCheck('relay-percent')!, fakeCheckTarget(server.port, { retryDeferredMs: 400 }));
    assert.equal(result.verdict, 'pass', result.summary);
    const withRcpt = server.connections.filter((lines) => lines.some((line) => /^RCPT/i.test(line)));
    // Two groups (p@example.net and <>), each deferred once and asked again whole: no form asked alone.
    assert.equal(withRcpt.length, 4, `sessions with RCPT: ${withRcpt.length}`);
    assert.ok(probes(result.details).every((probe) => /the group's session: 1 attempt deferred, retried after 0\.4 s/.test(probe.reason)), probes(result.details)[0]!.reason);
  });

  it("a postscreen-like front (450 4.3.2 to every RCPT of a client's first connection) is passed by reconnecting: the open relay behind it fails", async () => {
    const screened = new Set<number>();
    const server = await frontedMx(true, (connection) => (connection === 1 || screened.has(connection) ? '450 4.3.2 Service currently unavailable' : null));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
  });

  it('a front that defers every RCPT, hosted ones too, makes the relay check inconclusive (client-rejected), never pass', async () => {
    const server = await frontedMx(true, (_connection, _pair, address) => `450 4.7.1 <${address}>: Recipient address rejected: try again later`);
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.match(result.summary, /client-rejected/);
    const control = await runCheck(findCheck('relay-control')!, fakeCheckTarget(server.port));
    assert.equal(control.verdict, 'inconclusive', control.summary);
  });

  it('a 421 after a refusal (an error limit) is never counted as a refusal', async () => {
    const server = await frontedMx(false, (_connection, _pair, address) => (hosted(address) ? null : '421 4.7.0 fake.example.org Error: too many errors'));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.match(result.summary, /error-limit/);
  });

  it('an MX that accepts a foreign RCPT with 220 is an open relay', async () => {
    const server = await frontedMx(false, (_connection, _pair, address) => (hosted(address) ? null : '220 2.1.5 Ok'));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(probes(result.details)[0]!.reason, /odd code 220/);
  });

  it('a 421 greeting (a connection limit) is backed off and retried, not judged', async () => {
    let connections = 0;
    const server = await track(
      startFakeServer(async (peer) => {
        connections += 1;
        if (connections === 1) {
          peer.write('421 4.7.0 fake.example.org Error: too many connections from 127.0.0.1\r\n');
          peer.close();
          return;
        }
        peer.write('220 fake.example.org ESMTP\r\n');
        for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
          if (/^EHLO/i.test(line)) peer.write('250-fake.example.org\r\n250 PIPELINING\r\n');
          else if (/^QUIT/i.test(line)) {
            peer.write('221 2.0.0 Bye\r\n');
            peer.close();
            return;
          } else peer.write('502 5.5.2 Error: command not recognized\r\n');
        }
      }),
    );
    const result = await runCheck(findCheck('esmtp-ehlo')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    assert.equal(connections, 2);
  });

  it('a 421 greeting that outlasts the retries is inconclusive (rate-limit) for conn-greeting, not a broken server', async () => {
    let connections = 0;
    const server = await track(
      startFakeServer(async (peer) => {
        connections += 1;
        peer.write('421 4.7.0 fake.example.org Error: too many connections from 127.0.0.1\r\n');
        peer.close();
      }),
    );
    const result = await runCheck(findCheck('conn-greeting')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.equal(deferralClass(result.details), 'rate-limit');
    assert.ok(connections >= 2, 'retried before giving up');
  });

  it('greylisting without --retry-deferred is not asked again at once: no reconnect can pass its delay', async () => {
    const server = await frontedMx(true, greylisting(60_000));
    const result = await runCheck(findCheck('relay-open-basic')!, fakeCheckTarget(server.port, control));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    // The run's greeting-only session ({srv}), then for each of the check's two senders
    // (p@{ext} and <>) the probe and the form asked alone: no reconnect after them.
    assert.equal(server.connections.length, 5, JSON.stringify(server.connections));
  });
});

/** An MX with VRFY off (502, an error each) that ends a session with 421 at its `hardLimit`th error, as Postfix's smtpd_hard_error_limit does. */
function errorLimitedMx(hardLimit: number) {
  return track(
    startResponder((line, state) => {
      if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
      const errors = ((state.memory.errors as number | undefined) ?? 0) + 1;
      state.memory.errors = errors;
      if (errors < hardLimit) return '502 5.5.1 VRFY command is disabled';
      state.peer.write('421 4.7.0 fake.example.org Error: too many errors\r\n');
      state.peer.close();
      return null;
    }),
  );
}

describe('sessions cut by an error limit', { concurrency: true }, () => {
  it('enum-vrfy goes on in a new session when the server cuts one, and passes on the 502s it got', async () => {
    const server = await errorLimitedMx(3);
    const result = await runCheck(findCheck('enum-vrfy')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    assert.match(result.summary, /VRFY not available/);
    assert.equal(server.connections.length, 2);
  });

  it('enum-vrfy reports a server that cuts every session at its first VRFY as a cut session, never as its answer', async () => {
    const server = await errorLimitedMx(1);
    const result = await runCheck(findCheck('enum-vrfy')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.match(result.summary, /cut the session with 421 4\.7\.0/);
    assert.equal(deferralClass(result.details), 'error-limit');
  });
});
