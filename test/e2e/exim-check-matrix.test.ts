import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../src/checks/check.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import { EXIM_EXPECTED_FLAWS, eximExpectedVerdict, matrixTarget } from './expected-verdicts.js';
import { eximLab } from './postfix-lab.js';

/**
 * Issue 12's second server family: every check on every service of the real Exim lab,
 * the exact verdict of every cell (expected-verdicts.ts, the Exim block, with each
 * difference from Postfix and its reason).
 */
describe('check matrix against the real Exim lab', { concurrency: 5 }, () => {
  const lab = eximLab();

  it('the lab has every service the matrix expects', () => {
    assert.deepEqual(Object.keys(lab.services).sort(), Object.keys(EXIM_EXPECTED_FLAWS).sort());
  });

  for (const [name, flaws] of Object.entries(EXIM_EXPECTED_FLAWS)) {
    const service = lab.services[name];
    if (!service) continue;
    it(`${name} (${service.role}, port ${service.port}): ${service.flaw ?? 'secure'}; every check gives its expected verdict`, async () => {
      const checks = CHECKS.filter((check) => check.roles.includes(service.role));
      const results = await runChecks(checks, matrixTarget(lab, service.port, service.role));
      const wrong = results.filter((result) => result.verdict !== eximExpectedVerdict(name, service.role, result.id));
      assert.deepEqual(
        wrong.map((result: CheckResult) => `${result.id}: got ${result.verdict} (${result.summary}), expected ${eximExpectedVerdict(name, service.role, result.id)}`),
        [],
      );
      assert.equal(results.length, checks.length, 'every applicable check gave a result');
      for (const id of Object.keys(flaws)) assert.ok(checks.some((check) => check.id === id), `${id} applies to ${service.role}`);
      for (const result of results.filter((r) => r.verdict === 'fail')) {
        assert.ok(result.evidence.length > 0, `${result.id} has evidence`);
        assert.ok(result.fix?.includes('Exim'), `${result.id}'s fix names the Exim setting: ${result.fix}`);
      }
    });
  }
});
