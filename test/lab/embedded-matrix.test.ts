import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Verdict } from '../../src/checks/check.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import type { EmbeddedLab } from '../../src/lab/embedded-lab.js';
import { startEmbeddedLab } from '../../src/lab/embedded-lab.js';
import { expectedVerdict, matrixTarget } from '../e2e/expected-verdicts.js';

/**
 * The embedded lab's services give the same verdicts as their Postfix twins
 * (test/e2e/check-matrix.test.ts), except where smtp-server cannot imitate Postfix;
 * each such cell is listed here with the reason (docs/lab.md, "differences").
 */
const KNOWN_DIFFERENCES: Record<string, Partial<Record<string, Verdict>>> = {
  // smtp-server ends DATA only at <CRLF>.<CRLF>, so the bare-LF exemption that
  // mynetworks gives on the real open relay cannot happen here.
  'open-relay': { 'smug-eod': 'pass' },
};

describe('embedded lab: same verdicts as the Postfix twins', { concurrency: 4 }, () => {
  let lab: EmbeddedLab;
  before(async () => {
    lab = await startEmbeddedLab();
  });
  after(async () => {
    await lab.close();
  });

  const services = ['mta', 'submission', 'submissions', 'open-relay', 'plaintext-auth', 'submission-no-tls', 'spoofable', 'vrfy', 'no-starttls'];
  for (const name of services) {
    it(`${name}: every check gives the Postfix twin's verdict`, async () => {
      const service = lab.services[name];
      assert.ok(service, `the embedded lab has ${name}`);
      const results = await runChecks(CHECKS.filter((check) => check.roles.includes(service.role)), matrixTarget(lab, service.port, service.role));
      const expected = (id: string) => KNOWN_DIFFERENCES[name]?.[id] ?? expectedVerdict(name, service.role, id);
      assert.deepEqual(
        results.filter((result) => result.verdict !== expected(result.id)).map((result) => `${result.id}: got ${result.verdict} (${result.summary}), expected ${expected(result.id)}`),
        [],
      );
    });
  }
});
