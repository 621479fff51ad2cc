import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import type { CheckResult } from '../../src/checks/check.js';
import { linesEvidence } from '../../src/checks/evidence.js';
import { addReportFormatOptions, writeReportFormats } from '../../src/cli/report-formats.js';
import { REPORT_FORMATS } from '../../src/render/report-formats.js';

const result = (id: string, verdict: CheckResult['verdict']): CheckResult => ({ id, title: id, verdict, severity: 'crit', summary: `${id} ${verdict}`, evidence: linesEvidence(['<-  250 ok']), fix: 'fix it', durationMs: 3 });
const suites = [{ name: 'mx:25', results: [result('relay-open-basic', 'fail'), result('conn-greeting', 'pass')], durationMs: 10 }];

/** What writeReportFormats writes to stdout, with `env`. */
async function stdoutOf(env: NodeJS.ProcessEnv, flags = {}): Promise<string> {
  let written = '';
  await writeReportFormats(flags, suites, { env, write: (text) => (written += text) });
  return written;
}

describe('report formats: chosen in one place for every command (docs/architecture.md#where-things-go)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-formats-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every file format of the registry becomes an option of a command', () => {
    const command = addReportFormatOptions(new Command('x'));
    const files = REPORT_FORMATS.flatMap((format) => (format.destination.kind === 'file' ? [format.destination.flag] : []));
    assert.deepEqual(command.options.map((option) => option.flags), files);
    assert.ok(files.includes('--junit <file>'));
  });

  it('--junit writes the XML file; nothing on stdout outside GitHub Actions', async () => {
    const file = join(dir, 'report.xml');
    assert.equal(await stdoutOf({}, { junit: file }), '');
    const xml = readFileSync(file, 'utf8');
    assert.match(xml, /<testsuite name="mx:25" tests="2" failures="1"/);
    assert.match(xml, /<failure type="crit" message="relay-open-basic fail">/);
  });

  it('inside GitHub Actions the findings are annotations on stdout, and no file is written unasked', async () => {
    const out = await stdoutOf({ GITHUB_ACTIONS: 'true' });
    assert.equal(out, '::error title=smtpcheck relay-open-basic (mx%3A25)::FAIL [crit] relay-open-basic fail%0Afix: fix it\n');
  });
});
