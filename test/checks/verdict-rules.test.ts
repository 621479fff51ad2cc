import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../src/checks/check.js';
import { judgeSmugglingReplies } from '../../src/checks/smug-eod.js';
import { exitCodeForResults } from '../../src/outcome/exit-codes.js';
import type { Reply } from '../../src/core/reply.js';
import { renderGithubAnnotations } from '../../src/render/github-annotations.js';
import { renderJunit } from '../../src/render/junit.js';
import { linesEvidence } from '../../src/checks/evidence.js';

const reply = (code: number): Reply => ({ code, enhanced: null, lines: [''], raw: [String(code)] });
const result = (id: string, verdict: CheckResult['verdict'], extra: Partial<CheckResult> = {}): CheckResult => ({ id, title: id, verdict, severity: 'high', summary: `${id} ${verdict}`, evidence: linesEvidence(['<- 250 ok']), fix: 'do this', durationMs: 5, ...extra });

describe('smuggling reply rules (docs/checks.md#smug-eod)', () => {
  it('one reply is secure', () => assert.equal(judgeSmugglingReplies([reply(250)]), 'single'));
  it('a 550 bare-LF rejection alone is secure', () => assert.equal(judgeSmugglingReplies([reply(550)]), 'single'));
  it('a later 354 means the smuggled DATA ran', () => assert.equal(judgeSmugglingReplies([250, 250, 250, 354, 250].map(reply)), 'smuggled'));
  it('extra replies ending in a pipelining refusal mean DATA ended early without a smuggled message', () =>
    assert.equal(judgeSmugglingReplies([250, 250, 250, 554].map(reply)), 'ended-early'));
});

describe('CI exit codes', () => {
  it('is 0 when everything passes, warnings and skips included', () => assert.equal(exitCodeForResults([result('a', 'pass'), result('b', 'warn'), result('c', 'skip'), result('d', 'info')], false), 0));
  it('is 10 for any failure, even beside errors', () => assert.equal(exitCodeForResults([result('a', 'error'), result('b', 'fail')], false), 10));
  it('is 11 for errors or inconclusive results without failures: a timeout is never a pass', () => {
    assert.equal(exitCodeForResults([result('a', 'pass'), result('b', 'error')], false), 11);
    assert.equal(exitCodeForResults([result('a', 'inconclusive')], false), 11);
  });
  it('fails warnings with --strict', () => assert.equal(exitCodeForResults([result('a', 'warn')], true), 10));
  it('ignores a failure the suite config declared expected', () => assert.equal(exitCodeForResults([result('a', 'fail', { expected: true })], false), 0));
});

describe('report formats', () => {
  it('writes one JUnit testcase per check with failure, error and skipped elements', () => {
    const xml = renderJunit([{ name: 'mx <1>', results: [result('relay-open-basic', 'fail'), result('conn-greeting', 'pass'), result('smug-eod', 'skip'), result('tls-versions', 'error')], durationMs: 1200 }]);
    assert.match(xml, /<testsuite name="mx &lt;1&gt;" tests="4" failures="1" errors="1" skipped="1" time="1\.200">/);
    assert.match(xml, /<testcase classname="mx &lt;1&gt;" name="relay-open-basic" time="0\.005">\s*<failure type="high" message="relay-open-basic fail">/);
    assert.match(xml, /name="smug-eod"[^>]*>\s*<skipped /);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 4);
  });

  it('reports a failure the suite config expects as passed output, not as a JUnit failure or an annotation', () => {
    const expected = result('relay-open-basic', 'fail', { expected: true });
    const xml = renderJunit([{ name: 'mx', results: [expected], durationMs: 5 }]);
    assert.match(xml, /failures="0" errors="0"/);
    assert.match(xml, /<system-out>fail \(expected by the suite config\)/);
    assert.deepEqual(renderGithubAnnotations('mx', [expected]), []);
  });

  it('annotates failures as errors and warnings as warnings for GitHub Actions, escaping newlines', () => {
    const lines = renderGithubAnnotations('mx:25', [result('relay-open-basic', 'fail', { fix: 'line1\nline2' }), result('tls-versions', 'warn'), result('conn-greeting', 'pass')]);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^::error title=smtpcheck relay-open-basic \(mx%3A25\)::FAIL \[high\] relay-open-basic fail%0Afix: line1%0Aline2$/);
    assert.match(lines[1]!, /^::warning /);
  });
});
