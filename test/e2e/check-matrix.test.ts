import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult, Verdict } from '../../src/checks/check.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import { EXPECTED_FLAWS, expectedVerdict, matrixTarget } from './expected-verdicts.js';
import { postfixLab } from './postfix-lab.js';

/** Issue 4's matrix on the real Postfix lab: the exact verdict of every cell (expected-verdicts.ts). */
// Rows run side by side: each waits out Dovecot's auth_failure_delay.
describe('check matrix against the real Postfix lab', { concurrency: 5 }, () => {
  const lab = postfixLab();

  it('the lab has every service the matrix expects', () => {
    assert.deepEqual(Object.keys(lab.services).sort(), Object.keys(EXPECTED_FLAWS).sort());
  });

  for (const [name, flaws] of Object.entries(EXPECTED_FLAWS)) {
    const service = lab.services[name];
    if (!service) continue;
    it(`${name} (${service.role}, port ${service.port}): ${service.flaw ?? 'secure'}; every check gives its expected verdict`, async () => {
      const target = matrixTarget(lab, service.port, service.role, name);
      const checks = CHECKS.filter((check) => check.roles.includes(service.role));
      const results = await runChecks(checks, target);
      const expected = (id: string): Verdict => expectedVerdict(name, service.role, id);
      const wrong = results.filter((result) => result.verdict !== expected(result.id));
      assert.deepEqual(
        wrong.map((result: CheckResult) => `${result.id}: got ${result.verdict} (${result.summary}), expected ${expected(result.id)}`),
        [],
      );
      for (const id of Object.keys(flaws)) assert.ok(checks.some((check) => check.id === id), `${id} applies to ${service.role}`);
      for (const result of results.filter((r) => r.verdict === 'fail')) {
        assert.ok(result.evidence.length > 0, `${result.id} has evidence`);
        assert.ok(result.fix, `${result.id} has a fix hint`);
      }
    });
  }
});
