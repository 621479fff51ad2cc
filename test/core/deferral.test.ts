import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDeferral, deferralOf, replyDisposition } from '../../src/core/deferral.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, text: string): Reply => ({ code, enhanced: parseEnhancedStatus(text), lines: [text], raw: [`${code} ${text}`] });

describe('reply dispositions and deferral classes (docs/checks.md#deferrals)', () => {
  it('judges by the first digit: any 2yz accepts, 5yz refuses, 4yz defers, anything else settles nothing', () => {
    assert.equal(replyDisposition(reply(250, '2.1.5 Ok')), 'accepted');
    assert.equal(replyDisposition(reply(220, '2.1.5 Ok')), 'accepted');
    assert.equal(replyDisposition(reply(200, 'fine')), 'accepted');
    assert.equal(replyDisposition(reply(550, '5.7.1 Relaying denied')), 'refused');
    assert.equal(replyDisposition(reply(553, 'is undeliverable')), 'refused');
    assert.equal(replyDisposition(reply(450, '4.2.0 Greylisted')), 'deferred');
    assert.equal(replyDisposition(reply(451, 'Temporary local problem')), 'deferred');
    assert.equal(replyDisposition(reply(421, '4.7.0 Error: too many errors')), 'deferred');
    assert.equal(replyDisposition(reply(354, 'go ahead')), 'unsettled');
    assert.equal(replyDisposition(reply(150, 'odd')), 'unsettled');
    assert.equal(replyDisposition(reply(650, 'odd')), 'unsettled');
  });

  it("counts Postfix's 454 relay refusal (defer_unauth_destination) as a refusal, and no other 454", () => {
    assert.equal(replyDisposition(reply(454, '4.7.1 <r@example.com>: Relay access denied')), 'refused');
    assert.equal(replyDisposition(reply(550, '5.7.1 Relaying denied')), 'refused');
    assert.equal(replyDisposition(reply(450, '4.7.1 Relaying temporarily denied. Cannot resolve PTR record for 192.0.2.7')), 'deferred');
    assert.equal(replyDisposition(reply(454, '4.7.1 <r@example.com>: try again later')), 'deferred');
    assert.equal(replyDisposition(reply(454, '4.7.0 TLS not available due to local problem')), 'deferred');
  });

  it('names each class of deferral a front or a limit sends', () => {
    const cases: [Reply, string][] = [
      [reply(450, '4.7.1 <r@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html'), 'greylisting'],
      [reply(451, '4.7.1 Please try again later (greylisting)'), 'greylisting'],
      [reply(450, '4.3.2 Service currently unavailable'), 'screening'],
      [reply(421, '4.7.0 mail.example.org Error: too many connections from 127.0.0.1'), 'rate-limit'],
      [reply(450, '4.7.1 Error: too much mail from 127.0.0.1'), 'rate-limit'],
      [reply(421, '4.7.0 mail.example.org Error: too many errors'), 'error-limit'],
      [reply(450, '4.1.1 <r@example.com>: Recipient address rejected: unverified address: Address verification in progress'), 'verification-pending'],
      [reply(450, '4.7.1 Client host rejected: cannot find your hostname, [192.0.2.7]'), 'client-rejected'],
      [reply(450, '4.7.1 <r@example.org>: Recipient address rejected: Access denied'), 'policy'],
      [reply(421, 'mail.example.org lost input connection'), 'closing'],
      [reply(451, 'Temporary local problem - please try later'), 'temporary'],
    ];
    for (const [answer, expected] of cases) assert.equal(classifyDeferral(answer), expected, answer.raw[0]);
  });

  it('calls a deferral that the control recipient got too a restriction on the client', () => {
    const answer = reply(450, '4.7.1 <r@example.org>: Recipient address rejected: try later');
    assert.equal(classifyDeferral(answer), 'policy');
    assert.equal(classifyDeferral(answer, { controlDeferred: true }), 'client-rejected');
  });

  it('has a deferral only for a 4yz that is not a refusal', () => {
    assert.equal(deferralOf(reply(250, 'ok')), null);
    assert.equal(deferralOf(reply(550, 'no')), null);
    assert.equal(deferralOf(reply(454, '4.7.1 Relay access denied')), null);
    assert.deepEqual(deferralOf(reply(450, '4.3.2 Service currently unavailable'))?.class, 'screening');
  });
});
