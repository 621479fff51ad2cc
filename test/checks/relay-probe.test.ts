import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayProbeResult } from '../../src/checks/relay-rules.js';
import { CHECKS, findCheck } from '../../src/checks/registry.js';
import { runCheck, runChecks } from '../../src/checks/runner.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';
import type { CheckDetails } from '../../src/checks/evidence.js';

/**
 * Relay probes sharing a sender share a session (MAIL FROM; the first probe; the
 * control; every probe; the control again; RSET). Servers whose answers depend on
 * what came before in the session must still be caught: a group's refusals count
 * only when its controls were accepted, else each probe is asked alone.
 */
const track = serverPool();

interface SessionMemory {
  refusals: number;
  rcpts: number;
  hostedAccepted: boolean;
}

/**
 * An MX hosting example.org (greeting host fake.example.org, so {srv} is that): MAIL
 * and RSET as a real one; `accepts` decides each RCPT from the address and what the
 * session saw so far (refusals in the session, RCPTs and hosted ones accepted in
 * the transaction).
 */
function scriptedMx(accepts: (address: string, seen: Readonly<SessionMemory>) => boolean) {
  return track(
    startResponder((line, state) => {
      const seen = (state.memory.session ??= { refusals: 0, rcpts: 0, hostedAccepted: false }) as SessionMemory;
      if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
      if (/^(MAIL|RSET)/i.test(line)) {
        Object.assign(seen, { rcpts: 0, hostedAccepted: false });
        return '250 2.1.0 Ok';
      }
      const rcpt = /^RCPT TO:<(.*)>$/i.exec(line);
      if (!rcpt) return '502 5.5.2 Error: command not recognized';
      const address = rcpt[1]!;
      const ok = accepts(address, seen);
      seen.rcpts += 1;
      if (!ok) {
        seen.refusals += 1;
        return `454 4.7.1 <${address}>: Relay access denied`;
      }
      if (/^[^@%!"]+@example\.org$/.test(address)) seen.hostedAccepted = true;
      return '250 2.1.5 Ok';
    }),
  );
}

const hosted = (address: string) => address === 'john@example.org';
const rcptLines = (lines: string[]) => lines.filter((line) => /^RCPT/i.test(line)).map((line) => line.slice('RCPT TO:'.length));
const probes = (details: CheckDetails | undefined): readonly RelayProbeResult[] => (details?.kind === 'relay-probes' ? details.probes : []);

describe('relay probe groups against scripted servers', { concurrency: true }, () => {
  it('a secure MX gets one session per sender group: first probe, control, every probe, control, RSET', async () => {
    const server = await scriptedMx(hosted);
    const result = await runCheck(findCheck('relay-quoted')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    const groups = server.connections.filter((lines) => lines.some((line) => /^RCPT/i.test(line)));
    assert.equal(groups.length, 2, 'four forms, each from two senders (p@{ext} and <>): one session per sender');
    assert.deepEqual(groups.map((lines) => lines.find((line) => /^MAIL/i.test(line))).sort(), ['MAIL FROM:<>', 'MAIL FROM:<p@example.net>']);
    for (const group of groups) {
      assert.deepEqual(rcptLines(group), ['<"r@example.net">', '<john@example.org>', '<"r@example.net">', '<"r%example.net">', '<"r@example.net"@[127.0.0.1]>', '<"r@example.net"@example.org>', '<john@example.org>']);
      assert.match(group.at(-2)!, /^RSET/);
    }
  });

  it('a server that relays only the first recipient of a transaction fails', async () => {
    const server = await scriptedMx((address, seen) => hosted(address) || seen.rcpts === 0);
    for (const id of ['relay-percent', 'relay-sender-forms']) {
      const result = await runCheck(findCheck(id)!, fakeCheckTarget(server.port));
      assert.equal(result.verdict, 'fail', `${id}: ${result.summary}`);
      assert.ok(probes(result.details).some((probe) => /first recipient of the transaction/.test(probe.reason)), id);
    }
  });

  it('a server that relays only after a hosted recipient was accepted fails: every probe is also asked after the control', async () => {
    const server = await scriptedMx((address, seen) => hosted(address) || seen.hostedAccepted);
    const result = await runCheck(findCheck('relay-bang')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /8 of 8 address forms relayed/);
  });

  it('a server that refuses everything after one refusal, control included, cannot hide a relay: the probes are asked alone', async () => {
    // Relays only <r%example.net@fake.example.org>, and only while the session is fresh.
    const server = await scriptedMx((address, seen) => seen.refusals === 0 && (hosted(address) || address === 'r%example.net@fake.example.org'));
    const result = await runCheck(findCheck('relay-percent')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    const relayed = probes(result.details).filter((probe) => probe.outcome === 'relayed');
    assert.deepEqual(relayed.map((probe) => probe.form), ['<r%example.net@fake.example.org>', '<r%example.net@fake.example.org> from <>']);
    for (const probe of relayed) assert.match(probe.reason, /asked alone: the control recipient john@example\.org was refused in the group's session/);
  });

  it('a control refused only at the end of a group makes each probe be asked alone, and those answers are judged', async () => {
    const server = await scriptedMx((address, seen) => hosted(address) && seen.rcpts < 2);
    const result = await runCheck(findCheck('relay-percent')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    assert.ok(probes(result.details).every((probe) => probe.outcome === 'refused' && /asked alone/.test(probe.reason) && probe.control?.code === 250));
    const withRcpt = server.connections.filter((lines) => lines.some((line) => /^RCPT/i.test(line)));
    const alone = withRcpt.filter((lines) => rcptLines(lines).length === 2);
    assert.equal(withRcpt.length - alone.length, 2, 'per sender (p@{ext} and <>) one group session');
    assert.equal(alone.length, 6, 'then each of the three forms alone, from each sender');
    for (const lines of alone) assert.deepEqual(rcptLines(lines)[0], '<john@example.org>', 'a probe alone asks the control first, as before groups');
  });

  it('an open relay behind sender verification that exempts the control (postmaster) fails every family: the null sender is asked too', async () => {
    // Exim's default ACL order: postmaster is accepted before "require verify = sender";
    // p@example.net does not verify, so every other recipient from it is refused; the
    // null sender has nothing to verify, and this server relays anything for it.
    const server = await track(
      startResponder((line, state) => {
        if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
        const mail = /^MAIL FROM:<(.*)>/i.exec(line);
        if (mail) {
          state.memory.sender = mail[1]!;
          return '250 OK';
        }
        if (/^RSET/i.test(line)) return '250 Reset OK';
        const address = /^RCPT TO:<(.*)>$/i.exec(line)?.[1];
        if (address === undefined) return '500 unrecognized command';
        if (address === 'postmaster@example.org') return '250 Accepted';
        if (state.memory.sender !== '') return '550 Sender verify failed';
        return '250 Accepted';
      }),
    );
    const families = CHECKS.filter((check) => check.id.startsWith('relay-') && check.id !== 'relay-control');
    const results = await runChecks(families, fakeCheckTarget(server.port, { localRecipient: 'postmaster@example.org' }));
    assert.deepEqual(results.map((result) => `${result.id}: ${result.verdict}`), families.map((check) => `${check.id}: fail`));
    for (const result of results) {
      const relayed = probes(result.details).filter((probe) => probe.outcome === 'relayed');
      assert.ok(relayed.length > 0 && relayed.every((probe) => probe.mailFrom === ''), `${result.id}: only the null sender relays here`);
    }
  });

  it('checks run together learn {srv} and {ip} from one greeting; a relay check alone opens a greeting-only session', async () => {
    const server = await scriptedMx(hosted);
    const greetingOnly = () => server.connections.filter((lines) => lines.length === 1 && /^QUIT/i.test(lines[0]!)).length;
    const results = await runChecks(CHECKS.filter((check) => check.id.startsWith('relay-')), fakeCheckTarget(server.port));
    assert.ok(results.every((result) => result.verdict === 'pass'), JSON.stringify(results.map((result) => [result.id, result.verdict, result.summary])));
    assert.equal(greetingOnly(), 0);
    await runCheck(findCheck('relay-double-at')!, fakeCheckTarget(server.port));
    assert.equal(greetingOnly(), 1);
  });
  it('an MX that drops a session at its fourth syntax error (Exim) never has to: a group stops at three and asks the rest alone', async () => {
    let cuts = 0;
    const server = await track(
      startResponder((line, state) => {
        if (/^EHLO/i.test(line)) return ehloLines(['PIPELINING']);
        if (/^(MAIL|RSET)/i.test(line)) return '250 OK';
        const address = /^RCPT TO:<(.*)>$/i.exec(line)?.[1];
        if (address === undefined) return '500 unrecognized command';
        if (hosted(address)) return '250 Accepted';
        if (/^[a-z0-9.%+-]+@[a-z0-9.-]+$/i.test(address)) return '550 relay not permitted';
        // Exim's synprot_error(): a 501 per malformed address, and at the fourth a second line and a hang-up.
        const errors = ((state.memory.errors as number | undefined) ?? 0) + 1;
        state.memory.errors = errors;
        if (errors <= 3) return `501 <${address}>: malformed address`;
        cuts += 1;
        setTimeout(() => state.peer.close(), 5);
        return `501-<${address}>: malformed address\n501 Too many syntax or protocol errors`;
      }),
    );
    const checks = CHECKS.filter((check) => ['relay-quoted', 'relay-double-at', 'relay-bang', 'relay-source-route'].includes(check.id));
    const results = await runChecks(checks, fakeCheckTarget(server.port));
    assert.deepEqual(results.map((result) => `${result.id}: ${result.verdict}`), checks.map((check) => `${check.id}: pass`));
    assert.equal(cuts, 0, 'no session reached the fourth syntax error');
    assert.ok(results.some((result) => probes(result.details).some((probe) => /group stopped after 3 syntax errors/.test(probe.reason))), 'some group stopped at its budget');
  });
});
