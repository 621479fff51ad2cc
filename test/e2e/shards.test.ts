import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';

/**
 * Shards on the real Postfix lab (docs/ci.md#shards): a ten-target suite run whole
 * and as eight shards merged with `report merge` gives the same verdicts, the same
 * target order and the same exit code.
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-shards-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVICES = ['mta', 'open-relay', 'vrfy', 'no-starttls', 'smuggling'];
const CHECKS = ['conn-greeting', 'starttls-offered', 'relay-open-basic', 'enum-vrfy'];

function suiteFile(): string {
  const lab = postfixLab();
  const targets = Array.from({ length: 10 }, (_, index) => {
    const service = SERVICES[index % SERVICES.length]!;
    return `  - name: t${index}-${service}\n    server: ${lab.host}:${servicePort(service)}\n    role: mta\n    local-recipient: ${lab.users[0]!.user}\n    tls-ca: ${lab.caFile}\n    checks: [${CHECKS.join(', ')}]\n`;
  });
  const file = join(dir, 'suite.yml');
  writeFileSync(file, `max-connections: 16\ntargets:\n${targets.join('')}`);
  return file;
}

interface Report {
  exitCode: number;
  result: { targets: { name: string; position: number; checks: { id: string; verdict: string }[] }[]; merged?: { notes: string[] } };
}

/** What must not depend on sharding: target order and names, each check's verdict, the exit code. */
const verdicts = (report: Report) => ({
  exitCode: report.exitCode,
  targets: report.result.targets.map((target) => ({ name: target.name, position: target.position, checks: Object.fromEntries(target.checks.map((check) => [check.id, check.verdict])) })),
});

const noCiEnvironment = { CI_NODE_INDEX: '', CI_NODE_TOTAL: '', JOB_COMPLETION_INDEX: '' };

describe('check --config --shard and report merge against the real Postfix lab', { concurrency: false }, () => {
  const suite = suiteFile();

  it('eight shards merged equal the unsharded run', async () => {
    const whole = await runCli(['check', '--config', suite, '--json'], { timeoutMs: 120_000, env: noCiEnvironment });
    assert.equal(whole.code, ExitCode.checksFailed, whole.stderr);
    const files: string[] = [];
    for (let index = 1; index <= 8; index += 1) {
      const shard = await runCli(['check', '--config', suite, '--shard', `${index}/8`, '--json'], { timeoutMs: 120_000, env: noCiEnvironment });
      const file = join(dir, `shard-${index}.json`);
      writeFileSync(file, shard.stdout);
      files.push(file);
    }
    const merged = await runCli(['report', 'merge', '--json', ...files], { timeoutMs: 30_000 });
    assert.equal(merged.code, ExitCode.checksFailed, merged.stderr);
    const mergedReport = JSON.parse(merged.stdout) as Report;
    assert.deepEqual(verdicts(mergedReport), verdicts(JSON.parse(whole.stdout) as Report));
    assert.deepEqual(mergedReport.result.merged!.notes, []);
  });

  it('a missing shard is said, and the merge covers what it was given', async () => {
    const merged = await runCli(['report', 'merge', join(dir, 'shard-1.json'), join(dir, 'shard-3.json')], { timeoutMs: 30_000 });
    assert.match(merged.stdout + merged.stderr, /shards missing: 2\/8, 4\/8, 5\/8, 6\/8, 7\/8, 8\/8; what they ran is not in this report/);
    assert.match(merged.stdout, /3 targets from 2 reports/);
  });

  it("GitLab's CI_NODE_INDEX/CI_NODE_TOTAL pick the slice, and the report says which", async () => {
    const shard = await runCli(['check', '--config', suite], { timeoutMs: 120_000, env: { ...noCiEnvironment, CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' } });
    assert.match(shard.stdout, /^shard 2\/4 \(CI_NODE_INDEX\/CI_NODE_TOTAL\): 3 of 10 targets: t1-open-relay, t5-mta, t9-smuggling$/m);
  });

  it('a bad shard is a usage error before anything is sent', async () => {
    for (const [args, env, message] of [
      [['--shard', '9/8'], noCiEnvironment, /shard 9 is not between 1 and 8/],
      [['--shard', 'two'], noCiEnvironment, /--shard must be I\/N/],
      [[], { ...noCiEnvironment, JOB_COMPLETION_INDEX: '0' }, /JOB_COMPLETION_INDEX is set but not --shard-total/],
    ] as const) {
      const result = await runCli(['check', '--config', suite, ...args], { env });
      assert.equal(result.code, ExitCode.usage, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
  });
});
