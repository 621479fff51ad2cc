import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CheckTarget } from '../../src/checks/context.js';
import { findCheck, RELAY_CHECK_IDS } from '../../src/checks/registry.js';
import { runCheck } from '../../src/checks/runner.js';
import { SENTINEL_VERB } from '../../src/checks/unsolicited-replies.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { ehloLines, ehloReply, startResponder } from '../fakes/smtp-responder.js';
import { evidenceLines } from '../../src/render/evidence-lines.js';

/**
 * Verdicts on servers that are wrong on purpose: every check must be able to fail,
 * and a broken exchange must never become a pass.
 */
const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((server) => server.close())));

async function responder(...args: Parameters<typeof startResponder>) {
  const server = await startResponder(...args);
  servers.push(server);
  return server;
}

const target = fakeCheckTarget;

const run = (id: string, checkTarget: CheckTarget) => runCheck(findCheck(id)!, checkTarget);

/** An MX that takes every recipient: an open relay for every address form. */
const acceptAll = (line: string) => (/^EHLO/i.test(line) ? ehloLines(['PIPELINING']) : /^(MAIL|RCPT|RSET|NOOP)/i.test(line) ? '250 2.1.5 Ok' : '502 5.5.2 unknown');

describe('check verdicts against scripted servers', () => {
  it('an accept-all MX fails every relay address-form check (and passes the control)', async () => {
    const server = await responder(acceptAll);
    for (const id of RELAY_CHECK_IDS.filter((id) => findCheck(id)!.roles.includes('mta'))) {
      const result = await run(id, target(server.port));
      assert.equal(result.verdict, id === 'relay-control' ? 'pass' : 'fail', `${id}: ${result.summary}`);
      if (id !== 'relay-control') assert.equal(result.severity, 'crit');
    }
  });

  it('an MX that demands STARTTLS (530) and relays inside TLS fails: refusing plaintext is not a pass', async () => {
    const server = await responder((line, state) => {
      if (/^EHLO/i.test(line)) return ehloLines(['STARTTLS']);
      if (/^STARTTLS/i.test(line)) return '220 2.0.0 Ready to start TLS';
      if (!state.tls && /^(MAIL|RCPT)/i.test(line)) return '530 5.7.0 Must issue a STARTTLS command first';
      return /^(MAIL|RCPT|RSET)/i.test(line) ? '250 2.1.5 Ok' : '502 5.5.2 unknown';
    });
    const result = await run('relay-open-basic', target(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.ok(evidenceLines(result.evidence).some((line) => line.includes('RELAYED')));
    assert.equal((await run('relay-control', target(server.port))).verdict, 'pass');
  });

  it('an MX that answers VRFY with 530 in plaintext and enumerates inside TLS fails enum-vrfy (asked again inside TLS)', async () => {
    const server = await responder((line, state) => {
      if (/^EHLO/i.test(line)) return ehloLines(['STARTTLS']);
      if (/^STARTTLS/i.test(line)) return '220 2.0.0 Ready to start TLS';
      const vrfy = /^VRFY (.*)$/i.exec(line);
      if (vrfy && !state.tls) return '530 5.7.0 Must issue a STARTTLS command first';
      if (vrfy) return vrfy[1] === 'john@example.org' || vrfy[1] === 'john' ? '252 2.0.0 john@example.org' : '550 5.1.1 User unknown';
      return /^(MAIL|RCPT|RSET)/i.test(line) ? '250 2.1.5 Ok' : '502 5.5.2 unknown';
    });
    const result = await run('enum-vrfy', target(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.ok(evidenceLines(result.evidence).some((line) => /-> STARTTLS/.test(line)), 'the pairs were asked again inside TLS');
  });

  it('an MX that refuses every sender gives inconclusive relay verdicts, never a pass', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? ehloLines([]) : /^MAIL/i.test(line) ? '550 5.7.1 go away' : '250 Ok'));
    for (const id of ['relay-open-basic', 'relay-quoted']) assert.equal((await run(id, target(server.port))).verdict, 'inconclusive', id);
  });

  it('a server refusing every recipient makes relay verdicts inconclusive, not a pass (control probe, docs/checks.md#safety-rules-and-the-source-address)', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? ehloLines([]) : /^RCPT/i.test(line) ? '550 5.1.1 no' : '250 2.0.0 Ok'));
    const basic = await run('relay-open-basic', target(server.port));
    assert.equal(basic.verdict, 'inconclusive', basic.summary);
    assert.match(basic.summary, /control recipient john@example\.org refused/);
    assert.equal((await run('relay-control', target(server.port))).verdict, 'inconclusive');
  });

  it('a server that goes silent mid-probe gives error, never pass', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? ehloLines([]) : /^MAIL/i.test(line) ? '250 2.1.0 Ok' : null));
    const result = await run('relay-open-basic', target(server.port));
    assert.equal(result.verdict, 'error');
    assert.match(result.summary, /timed out .* RCPT/);
  });

  it('starttls-injection fails when the server runs the pipelined EHLO inside TLS (CVE-2011-0411)', async () => {
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake ESMTP\r\n');
      await peer.answer(ehloReply(['STARTTLS']));
      await peer.readLine();
      peer.write('220 2.0.0 Ready to start TLS\r\n');
      await peer.startTls();
      // The vulnerable part: the EHLO that arrived in plaintext is answered inside TLS.
      await peer.answer(ehloReply(['AUTH PLAIN']));
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) peer.write(line === SENTINEL_VERB ? '502 5.5.2 Error: command not recognized\r\n' : '250 2.0.0 Ok\r\n');
    });
    servers.push(server);
    const result = await run('starttls-injection', target(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /executed inside TLS/);
  });

  it('auth-wrong-password is critical when any password is accepted', async () => {
    const server = await responder((line, state) => {
      if (/^EHLO/i.test(line)) return ehloLines(state.tls ? ['AUTH PLAIN LOGIN'] : ['STARTTLS']);
      if (/^STARTTLS/i.test(line)) return '220 2.0.0 Ready';
      if (/^AUTH/i.test(line)) return '235 2.7.0 Authentication successful';
      return '250 Ok';
    });
    const result = await run('auth-wrong-password', target(server.port, { role: 'submission', credentials: { user: 'john@example.org', password: 'x' } }));
    assert.equal(result.verdict, 'fail');
    assert.equal(result.severity, 'crit');
  });

  it('auth-refused-plaintext fails when PLAIN is unsupported (504) but LOGIN waits for a cleartext credential', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? ehloLines(['AUTH LOGIN']) : /^AUTH PLAIN/i.test(line) ? '504 5.5.4 mechanism not supported' : /^AUTH LOGIN/i.test(line) ? '334 VXNlcm5hbWU6' : /^\*/.test(line) ? '501 5.7.0 cancelled' : '250 Ok'));
    const result = await run('auth-refused-plaintext', target(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /AUTH LOGIN without TLS got 334/);
    assert.ok(!server.connections.flat().some((line) => /^(am9obk|c3VtbWVy)/.test(line)), 'no credential was sent');
  });

  it('enum-expn fails when EXPN expands an alias; enum-vrfy passes when VRFY answers everyone alike', async () => {
    const server = await responder((line) => (/^EHLO/i.test(line) ? ehloLines(['VRFY', 'EXPN']) : /^EXPN/i.test(line) ? '250 2.1.5 <john@example.org>' : /^VRFY/i.test(line) ? '252 2.0.0 cannot verify' : '250 Ok'));
    assert.equal((await run('enum-expn', target(server.port))).verdict, 'fail');
    assert.equal((await run('enum-vrfy', target(server.port))).verdict, 'pass');
  });

  it('checks that need a login or a named recipient are skipped with the reason', async () => {
    const server = await responder(acceptAll);
    const result = await run('auth-success', target(server.port, { role: 'submission' }));
    assert.equal(result.verdict, 'skip');
    assert.match(result.summary, /--auth-user/);
    assert.match((await run('smug-eod', target(server.port))).summary, /--local-recipient/);
  });

  it('an unreachable server is an error for every check, never a pass', async () => {
    const server = await responder(acceptAll);
    const port = server.port;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    for (const id of ['conn-greeting', 'relay-open-basic', 'enum-vrfy']) {
      const result = await run(id, target(port));
      assert.equal(result.verdict, 'error', `${id}: ${result.summary}`);
      assert.match(result.summary, /refused/);
    }
  });
});
