import { evidenceLines } from './evidence-lines.js';
import type { ReportedSuite } from './report-formats.js';
import { counts, isUnsettled } from '../checks/verdict-policy.js';


const escapeXml = (text: string): string =>
  text
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** JUnit XML (the de-facto schema CI dashboards read): one testsuite per target, one testcase per check. */
export function renderJunit(suites: readonly ReportedSuite[]): string {
  const body = suites.map((suite) => {
    const failures = suite.results.filter((result) => result.verdict === 'fail' && counts(result)).length;
    const errors = suite.results.filter((result) => isUnsettled(result.verdict) && counts(result)).length;
    const skipped = suite.results.filter((result) => result.verdict === 'skip').length;
    const cases = suite.results.map((result) => {
      const open = `    <testcase classname="${escapeXml(suite.name)}" name="${escapeXml(result.id)}" time="${(result.durationMs / 1000).toFixed(3)}">`;
      const detail = () => escapeXml([result.summary, result.fix ? `fix: ${result.fix}` : '', ...evidenceLines(result.evidence)].filter(Boolean).join('\n'));
      let inner = '';
      if (result.expected) inner = `\n      <system-out>${escapeXml(`${result.verdict} (expected by the suite config): ${result.summary}`)}</system-out>\n    `;
      else if (result.verdict === 'fail') inner = `\n      <failure type="${result.severity}" message="${escapeXml(result.summary)}">${detail()}</failure>\n    `;
      else if (isUnsettled(result.verdict)) inner = `\n      <error type="${result.verdict}" message="${escapeXml(result.summary)}">${detail()}</error>\n    `;
      else if (result.verdict === 'skip') inner = `\n      <skipped message="${escapeXml(result.summary)}"/>\n    `;
      else inner = `\n      <system-out>${escapeXml(`${result.verdict}: ${result.summary}`)}</system-out>\n    `;
      return `${open}${inner}</testcase>`;
    });
    return `  <testsuite name="${escapeXml(suite.name)}" tests="${suite.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(suite.durationMs / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="smtpcheck">\n${body.join('\n')}\n</testsuites>\n`;
}
