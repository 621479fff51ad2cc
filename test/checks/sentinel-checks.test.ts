import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckTarget } from '../../src/checks/context.js';
import { findCheck } from '../../src/checks/registry.js';
import { runCheck } from '../../src/checks/runner.js';
import { SENTINEL_QUIET_MS } from '../../src/checks/unsolicited-replies.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { ehloReply } from '../fakes/smtp-responder.js';

/**
 * starttls-injection and smug-eod count unsolicited replies with sentinels (an unknown
 * verb, then NOOP, each sent alone) instead of 2 s of silence: a clean server is
 * judged at once, a reply that merely looks like a sentinel's answer is still caught,
 * and a server that swallows a sentinel falls back to the 2 s timer. Strict servers
 * that refuse pipelined sentinels: pipelining-sync.test.ts.
 */
const track = serverPool();
const UNKNOWN = '500 5.5.2 Error: command not recognized\r\n';
// Waiting out the fallback timer takes at least SENTINEL_QUIET_MS by construction, so
// a check that ends sooner did not wait it out, however loaded the machine is.
const FAST_MS = SENTINEL_QUIET_MS;

/** After the handshake: answer XSMTPCHECK with `unknownVerb` (null: swallow it), NOOP with 250, QUIT with 221. */
async function commandsInsideTls(peer: FakePeer, unknownVerb: string | null = UNKNOWN): Promise<void> {
  for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
    if (/^QUIT/i.test(line)) {
      peer.write('221 2.0.0 Bye\r\n');
      peer.close();
      return;
    }
    if (/^NOOP/i.test(line)) peer.write('250 2.0.0 Ok\r\n');
    else if (unknownVerb !== null) peer.write(unknownVerb);
  }
}

/** An MX for starttls-injection: `injected` is what it does with the plaintext EHLO pipelined behind STARTTLS. */
function injectionMx(injected: 'discard' | 'answer-250' | 'answer-502', unknownVerb: string | null = UNKNOWN) {
  return track(
    startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.answer(ehloReply(['PIPELINING', 'STARTTLS']));
      await peer.readLine();
      // The one write carried "EHLO inj.invalid" too: a fixed server drops it before TLS.
      if (injected === 'discard') await peer.readLine();
      peer.write('220 2.0.0 Ready to start TLS\r\n');
      await peer.startTls();
      if (injected === 'answer-250') await peer.answer(ehloReply(['AUTH PLAIN']));
      if (injected === 'answer-502') await peer.answer('502 5.5.2 Error: command not recognized\r\n');
      await commandsInsideTls(peer, unknownVerb);
    }),
  );
}

/**
 * An MX for smug-eod. `bareLfEnds`: the message ends at the first dot line, so the
 * smuggled MAIL, RCPT and DATA run; otherwise the whole write is one message.
 * `guard`: a second DATA on the connection gets Postfix's pipelining refusal and a
 * hang-up. `unknownVerb`: the answer to XSMTPCHECK (null: swallowed).
 */
function smugglingMx(options: { bareLfEnds: boolean; guard?: boolean; unknownVerb?: string | null }) {
  return track(
    startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      let messages = 0;
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') peer.write(ehloReply(['PIPELINING']));
        else if (verb === 'MAIL') peer.write('250 2.1.0 Ok\r\n');
        else if (verb === 'RCPT') peer.write('250 2.1.5 Ok\r\n');
        else if (verb === 'RSET' || verb === 'NOOP') peer.write('250 2.0.0 Ok\r\n');
        else if (verb === 'QUIT') {
          peer.write('221 2.0.0 Bye\r\n');
          peer.close();
          return;
        } else if (verb === 'DATA') {
          if (options.guard && messages > 0) {
            peer.write('554 5.5.0 Error: SMTP protocol synchronization\r\n');
            peer.close();
            return;
          }
          peer.write('354 End data with <CR><LF>.<CR><LF>\r\n');
          // A probe holds two dot lines (after the bare-LF sequence, and the real end); the control one.
          const dots = options.bareLfEnds || !/probe/.test((await peer.readLine()) ?? '') ? 1 : 2;
          for (let seen = 0; seen < dots; ) {
            const body = await peer.readLine();
            if (body === null) return;
            if (body === '.') seen += 1;
          }
          messages += 1;
          peer.write(`250 2.0.0 Ok: queued as Q${messages}\r\n`);
        } else if (options.unknownVerb !== null) peer.write(options.unknownVerb ?? UNKNOWN);
      }
    }),
  );
}

const smugglingTarget = (port: number): CheckTarget => fakeCheckTarget(port, { recipientGiven: true });

describe('sentinels instead of silence', { concurrency: true }, () => {
  it('starttls-injection passes a server that discards the injected EHLO, without waiting out the timer', async () => {
    const server = await injectionMx('discard');
    const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    assert.ok(result.durationMs < FAST_MS, `${result.durationMs} ms`);
    assert.ok(server.connections[0]!.includes('XSMTPCHECK') && server.connections[0]!.includes('NOOP'), 'both sentinels sent');
  });

  it('starttls-injection fails a server that answers the injected EHLO, at once', async () => {
    const server = await injectionMx('answer-250');
    const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /unsolicited 250-fake\.example\.org/);
    assert.ok(result.durationMs < FAST_MS, `${result.durationMs} ms`);
  });

  it('starttls-injection fails a server that answers the injected EHLO with 502: it looks like a sentinel answer, but comes one too many', async () => {
    const server = await injectionMx('answer-502');
    const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /executed inside TLS: unsolicited 502/);
  });

  it('starttls-injection falls back to the timer when the server swallows the unknown verb, and does not pass', async () => {
    const server = await injectionMx('discard', null);
    const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.ok(result.durationMs >= SENTINEL_QUIET_MS, `${result.durationMs} ms`);
    assert.ok(!server.connections[0]!.includes('NOOP'), 'NOOP waits for the answer to the unknown verb');
  });

  it('smug-eod passes a server that keeps the sequences as content, without waiting out the timer', async () => {
    const server = await smugglingMx({ bareLfEnds: false });
    const result = await runCheck(findCheck('smug-eod')!, smugglingTarget(server.port));
    assert.equal(result.verdict, 'pass', result.summary);
    assert.ok(result.durationMs < FAST_MS, `${result.durationMs} ms`);
  });

  it('smug-eod fails a server that runs the smuggled transaction: its replies come before the sentinel answers', async () => {
    const server = await smugglingMx({ bareLfEnds: true });
    const result = await runCheck(findCheck('smug-eod')!, smugglingTarget(server.port));
    assert.equal(result.verdict, 'fail', result.summary);
    assert.match(result.summary, /lflf: 250 250 250 354 250/);
    assert.ok(result.durationMs < FAST_MS, `${result.durationMs} ms`);
  });

  it('smug-eod warns when only a pipelining guard that hangs up stops the smuggled DATA', async () => {
    const server = await smugglingMx({ bareLfEnds: true, guard: true });
    const result = await runCheck(findCheck('smug-eod')!, smugglingTarget(server.port));
    assert.equal(result.verdict, 'warn', result.summary);
    assert.match(result.summary, /lflf: 250 250 250 554/);
  });

  it('smug-eod falls back to the timer when the server swallows the unknown verb, and does not pass', async () => {
    const server = await smugglingMx({ bareLfEnds: false, unknownVerb: null });
    const result = await runCheck(findCheck('smug-eod')!, smugglingTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
    assert.ok(result.durationMs >= SENTINEL_QUIET_MS, `${result.durationMs} ms`);
  });
});
