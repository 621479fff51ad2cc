import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Verdict } from '../../src/checks/check.js';
import type { CheckResult } from '../../src/checks/check.js';
import { BaselineFormatError, baselineOf, compareWithBaseline, movementOf, parseBaseline } from '../../src/checks/baseline.js';

const result = (id: string, verdict: Verdict): CheckResult => ({ id, title: id, verdict, severity: 'high', summary: `${id} ${verdict}`, evidence: [], fix: null, durationMs: 1 });

describe('movementOf: only a check that got worse fails a baselined run', () => {
  const cases: [Verdict | null, Verdict | null, string][] = [
    ['pass', 'pass', 'same'],
    ['pass', 'info', 'same'],
    ['pass', 'warn', 'worse'],
    ['pass', 'fail', 'worse'],
    ['pass', 'inconclusive', 'worse'],
    ['pass', 'error', 'worse'],
    ['info', 'warn', 'worse'],
    ['warn', 'fail', 'worse'],
    ['inconclusive', 'fail', 'worse'],
    ['warn', 'warn', 'same'],
    ['fail', 'fail', 'same'],
    ['fail', 'warn', 'better'],
    ['fail', 'pass', 'better'],
    ['warn', 'pass', 'better'],
    ['error', 'pass', 'better'],
    ['warn', 'inconclusive', 'changed'],
    ['fail', 'inconclusive', 'changed'],
    ['pass', 'skip', 'worse'],
    ['pass', null, 'worse'],
    [null, 'pass', 'new'],
    [null, 'warn', 'new'],
    [null, 'fail', 'worse'],
    ['skip', 'fail', 'worse'],
    ['skip', 'skip', 'same'],
    [null, 'skip', 'same'],
  ];
  for (const [before, after, expected] of cases) {
    it(`${before ?? 'absent'} → ${after ?? 'absent'}: ${expected}`, () => assert.equal(movementOf(before, after), expected));
  }
});

describe('compareWithBaseline', () => {
  const saved = baselineOf([{ name: 'mx', results: [result('a', 'pass'), result('b', 'fail'), result('c', 'pass')] }, { name: 'old', results: [result('a', 'pass')] }], '0.1.0');
  saved.targets.mx!['retired-check'] = { verdict: 'pass', summary: 'from another version' };

  it('lists what got worse and better, reports unknown ids, targets not run and new targets without counting them', () => {
    const comparison = compareWithBaseline(saved, [{ name: 'mx', results: [result('a', 'warn'), result('b', 'pass')] }, { name: 'new', results: [result('a', 'fail')] }], (id) => id !== 'retired-check');
    assert.deepEqual(comparison.worse.map((change) => `${change.target}/${change.id}: ${change.before}→${change.after}`), ['mx/a: pass→warn', 'mx/c: pass→null', 'new/a: null→fail']);
    assert.deepEqual(comparison.better.map((change) => change.id), ['b']);
    assert.deepEqual(comparison.unknownIds, ['retired-check']);
    assert.deepEqual(comparison.targetsNotRun, ['old']);
    assert.deepEqual(comparison.newTargets, ['new']);
  });

  it('the same verdicts give nothing worse', () => {
    const comparison = compareWithBaseline(saved, [{ name: 'mx', results: [result('a', 'pass'), result('b', 'fail'), result('c', 'info')] }], (id) => id !== 'retired-check');
    assert.deepEqual(comparison.worse, []);
  });
});

describe('parseBaseline', () => {
  it('reads what baselineOf writes', () => {
    const written = baselineOf([{ name: 'mx', results: [result('a', 'warn')] }], '0.1.0', new Date('2026-12-08T00:00:00Z'));
    assert.deepEqual(parseBaseline(JSON.stringify(written)), written);
  });
  for (const [name, text, message] of [
    ['not JSON', '{', /not JSON/],
    ['a foreign JSON file', '{"targets": {}}', /not an smtpcheck baseline/],
    ['another format version', '{"format": "smtpcheck-baseline", "version": 99, "targets": {}}', /version 99/],
    ['a verdict that is not one', '{"format": "smtpcheck-baseline", "version": 1, "targets": {"mx": {"a": {"verdict": "great"}}}}', /no valid "verdict"/],
  ] as const) {
    it(`refuses ${name}`, () => assert.throws(() => parseBaseline(text), (error: unknown) => error instanceof BaselineFormatError && message.test(error.message)));
  }
});
