import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInjection, judgeRefusedStartTls } from '../../src/checks/starttls-injection.js';
import { endsWithSentinelAnswers } from '../../src/checks/unsolicited-replies.js';
import { ProtocolError } from '../../src/core/errors.js';
import type { Reply } from '../../src/core/reply.js';

const reply = (code: number): Reply => ({ code, enhanced: null, lines: [''], raw: [String(code)] });
const replies = (...codes: number[]) => codes.map(reply);

describe('sentinel answers end the count of unsolicited replies', () => {
  it('500 or 502 followed by 250, as the last two replies, are the sentinels', () => {
    assert.ok(endsWithSentinelAnswers(replies(500, 250)));
    assert.ok(endsWithSentinelAnswers(replies(502, 250)));
    assert.ok(endsWithSentinelAnswers(replies(250, 250, 502, 250)));
  });

  it('a lone 250 or a lone 502 is not: either may answer the injected or smuggled command', () => {
    assert.ok(!endsWithSentinelAnswers(replies(250)));
    assert.ok(!endsWithSentinelAnswers(replies(502)));
    assert.ok(!endsWithSentinelAnswers(replies(250, 250)));
    assert.ok(!endsWithSentinelAnswers(replies(500, 250, 500)));
  });
});

describe('starttls-injection verdict rules', () => {
  it('passes when only the sentinels were answered', () => assert.equal(judgeInjection({ unsolicited: [], end: 'sentinels' }).verdict, 'pass'));

  it('fails on any reply before the sentinel answers, a 502 to the injected EHLO included', () => {
    const outcome = judgeInjection({ unsolicited: replies(502), end: 'sentinels' });
    assert.equal(outcome.verdict, 'fail');
    assert.match(outcome.summary, /executed inside TLS: unsolicited 502/);
  });

  it('counts every reply as unsolicited when the sentinel answers never came', () => {
    for (const end of ['silence', 'closed', 'flood'] as const) assert.equal(judgeInjection({ unsolicited: replies(250), end }).verdict, 'fail', end);
  });

  it('is inconclusive when nothing at all came back, and an error when the server hung up without a word', () => {
    assert.equal(judgeInjection({ unsolicited: [], end: 'silence' }).verdict, 'inconclusive');
    assert.throws(() => judgeInjection({ unsolicited: [], end: 'closed', closedBy: new ProtocolError('command', 'closed-by-server', 'server closed the connection') }), /server closed/);
  });

  it('passes when the pipelined STARTTLS is refused for good: a strict server (554 SMTP synchronization error) never lets it reach TLS', () => {
    for (const code of [554, 503, 502]) assert.equal(judgeRefusedStartTls(reply(code)).verdict, 'pass', String(code));
  });

  it('is inconclusive when the pipelined STARTTLS is deferred or oddly answered: TLS never started', () => {
    for (const code of [454, 421, 250, 354]) assert.equal(judgeRefusedStartTls(reply(code)).verdict, 'inconclusive', String(code));
  });
});
