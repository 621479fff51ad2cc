import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundEvidence, MAX_EVIDENCE_LINE, MAX_EVIDENCE_LINES } from '../../src/render/evidence-lines.js';

describe('evidence bounds (issue 12: a flooding server must not make a report of megabytes)', () => {
  it('keeps short evidence as it is', () => {
    assert.deepEqual(boundEvidence(['a', 'b']), ['a', 'b']);
  });

  it('cuts long evidence and long lines, saying how much was left out', () => {
    const lines = Array.from({ length: MAX_EVIDENCE_LINES + 10 }, (_, index) => (index === 0 ? 'x'.repeat(MAX_EVIDENCE_LINE + 5) : `line ${index}`));
    const bounded = boundEvidence(lines);
    assert.equal(bounded.length, MAX_EVIDENCE_LINES + 1);
    assert.equal(bounded[0]!.length, MAX_EVIDENCE_LINE + 1);
    assert.match(bounded.at(-1)!, /^… evidence cut: 10 more lines \(\d+ bytes\) and 5 characters of long lines left out$/);
  });
});
