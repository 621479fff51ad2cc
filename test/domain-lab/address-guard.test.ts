import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCliRefusingDials } from '../fakes/cli-process.js';
import { dnsLab } from './dns-lab.js';

/**
 * public-mx.test (test/lab/dns/start.sh) names an MX and an MTA-STS host on
 * documentation addresses beside a loopback backup MX. Every run here has each TCP
 * connection refused and recorded before it is made (test/fakes/cli-process.ts), so
 * nothing leaves the machine whatever smtpcheck does; the guard must stop the run
 * before it tries any.
 */
const LOOPBACK = '127.0.0.0/8,::1/128';
const args = (...extra: string[]): string[] => ['domain', 'public-mx.test', '--resolver', dnsLab().resolver, '--timeout', '5', ...extra];

describe('--only-addresses: an MX outside the ranges is reported and never dialled', () => {
  it('with loopback only: exit 2, one line naming the hosts and addresses, and no connection tried at all', async () => {
    const run = await runCliRefusingDials(args('--only-addresses', LOOPBACK), { timeoutMs: 30_000 });
    assert.deepEqual(run.dials, []);
    assert.equal(run.code, ExitCode.connect, run.stderr);
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^smtpcheck: error: mx\.public-mx\.test → 192\.0\.2\.25, 2001:db8::25; mta-sts\.public-mx\.test → 192\.0\.2\.26: outside .* — /);
  });

  it('the same from SMTPCHECK_ONLY_ADDRESSES, in JSON: reason address-not-allowed, no connect event', async () => {
    const run = await runCliRefusingDials(args('--json'), { env: { SMTPCHECK_ONLY_ADDRESSES: LOOPBACK }, timeoutMs: 30_000 });
    assert.deepEqual(run.dials, []);
    const json = JSON.parse(run.stdout) as { exitCode: number; error: { reason: string }; events: { type: string }[] };
    assert.equal(json.exitCode, ExitCode.connect);
    assert.equal(json.error.reason, 'address-not-allowed');
    assert.deepEqual(json.events.map((event) => event.type), ['error']);
  });

  it('control: without a guard the run would dial the documentation addresses (refused here before any packet)', async () => {
    const run = await runCliRefusingDials(args('--checks', 'mx-reachable,mta-sts-policy', '--json'), { env: { SMTPCHECK_ONLY_ADDRESSES: '' }, timeoutMs: 30_000 });
    const dialled = run.dials.map((dial) => `${dial.host}:${dial.port}`);
    for (const expected of ['192.0.2.25:25', '2001:db8::25:25', `${dnsLab().net}.39:25`, 'mta-sts.public-mx.test:443']) assert.ok(dialled.includes(expected), `${expected} in ${dialled.join(' ')}`);
  });
});
