import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
const lab = eximLab();
// Where Exim's log stood before the matrix: the lines after it are the matrix's.
const logBefore = readFileSync(lab.eximLog, 'utf8').length;

describe('check matrix against the real Exim lab', { concurrency: 5 }, () => {

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

// Runs after the matrix (top-level tests run one after another). Exim drops a client
// that pipelines outside RFC 2920 §3.1 ("SMTP protocol synchronization error"), sends a
// fourth unknown command or makes a fourth syntax error, and logs it (a line fail2ban's
// exim filter bans on): no probe may do any of these, whatever its verdict.
it('no probe of the matrix tripped Exim\'s pipelining synchronisation or its error limits', () => {
  const logged = readFileSync(lab.eximLog, 'utf8').slice(logBefore).split('\n');
  assert.deepEqual(logged.filter((line) => /synchronization error|too many (unrecognized commands|nonmail commands|syntax or protocol errors)/i.test(line)), []);
  assert.ok(logged.some((line) => /<= /.test(line)), 'the matrix sent mail through Exim (the log is the right one)');
});
