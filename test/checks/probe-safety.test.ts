import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckTarget } from '../../src/checks/context.js';
import { findCheck, RELAY_CHECK_IDS } from '../../src/checks/registry.js';
import { runCheck } from '../../src/checks/runner.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import { SHORT_TIMEOUTS, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * The safety rules of docs/checks.md#safety-rules-and-the-source-address, on the wire: probes are harmless by construction
 * even against a server that accepts everything. Relay probes stop at RCPT and reset;
 * smuggling mail goes only to the recipient the user named; the plaintext-AUTH probe
 * never sends a credential; a wrong password is tried once.
 */
const track = serverPool();

const target = (port: number, extra: Partial<Omit<CheckTarget, 'connection'>> = {}): CheckTarget =>
  fakeCheckTarget(port, { connection: { timeouts: { ...SHORT_TIMEOUTS, commandMs: 1000 } }, localRecipient: 'postmaster@example.org', ...extra });

/** An open relay that takes anything, the worst case for probe safety. */
const acceptEverything = () => track(startResponder(smtpResponder({ ehlo: (state) => [...(state.tls ? [] : ['STARTTLS']), 'PIPELINING', 'AUTH PLAIN LOGIN'] })));

describe('probes are safe by design, even against a server that accepts everything', { concurrency: true }, () => {
  it('relay probes never send DATA, and reset every transaction they open', async () => {
    const server = await acceptEverything();
    for (const id of RELAY_CHECK_IDS) await runCheck(findCheck(id)!, target(server.port));
    assert.ok(server.connections.length >= RELAY_CHECK_IDS.length, 'the probes ran');
    for (const lines of server.connections) {
      assert.ok(!lines.some((line) => /^DATA\b/i.test(line)), `DATA sent: ${JSON.stringify(lines)}`);
      const lastRcpt = lines.map((line) => /^RCPT\b/i.test(line)).lastIndexOf(true);
      if (lastRcpt >= 0) assert.ok(lines.slice(lastRcpt).some((line) => /^RSET\b/i.test(line)), `no RSET after RCPT: ${JSON.stringify(lines)}`);
    }
  });

  it('smuggling probes deliver only to the recipient the user named, smuggled part included', async () => {
    const server = await acceptEverything();
    const named = 'named-recipient@example.org';
    const result = await runCheck(findCheck('smug-eod')!, target(server.port, { localRecipient: named, recipientGiven: true }));
    assert.notEqual(result.verdict, 'skip');
    const recipients = server.connections.flat().flatMap((line) => [...line.matchAll(/RCPT TO:<([^>]*)>/gi)].map((match) => match[1]));
    assert.ok(recipients.length > 0);
    assert.deepEqual([...new Set(recipients)], [named]);
  });

  it('the plaintext-AUTH probe sends "AUTH PLAIN" without a credential, then cancels with "*"', async () => {
    const server = await acceptEverything();
    const result = await runCheck(findCheck('auth-refused-plaintext')!, target(server.port, { role: 'submission' }));
    assert.equal(result.verdict, 'fail', 'the server waited for a cleartext password');
    assert.deepEqual(server.connections[0]!.filter((line) => !/^(EHLO|QUIT)\b/i.test(line)), ['AUTH PLAIN', '*']);
  });

  it('a wrong password is tried once, inside TLS', async () => {
    const server = await acceptEverything();
    const result = await runCheck(findCheck('auth-wrong-password')!, target(server.port, { role: 'submission', credentials: { user: 'john@example.org', password: 'summersun' } }));
    assert.equal(result.verdict, 'pass', result.summary);
    const authLines = server.connections.flat().filter((line) => /^AUTH\b/i.test(line));
    assert.equal(authLines.length, 1);
    assert.ok(server.connections.every((lines) => !lines.some((line) => /^AUTH\b/i.test(line)) || lines.indexOf('STARTTLS') < lines.findIndex((line) => /^AUTH\b/i.test(line))), 'AUTH only after STARTTLS');
  });
});
