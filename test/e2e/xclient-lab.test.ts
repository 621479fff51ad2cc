import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { matrixTarget } from './expected-verdicts.js';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';
import { evidenceLines } from '../../src/render/evidence-lines.js';

/**
 * XCLIENT against real Postfix (issue 15): the "xclient" service trusts only
 * 127.0.0.2, the lab's stand-in for a proxy; "xclient-open" trusts everyone. The
 * lab's mynetworks is 192.0.2.1/32, so claiming that address is what relays.
 */
const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'p@example.net', '--to', 'r@example.com', '--quit-after', 'rcpt', '--timeout', '10', ...extra], { timeoutMs: 30_000 });

/** Each reply of a --json run as "step code", in order. */
const replies = (stdout: string) =>
  (JSON.parse(stdout) as { events: { type: string; step?: string; reply?: { code: number } }[] }).events.flatMap((event) => (event.type === 'receive' ? [`${event.step} ${event.reply?.code}`] : []));

const xclientUntrusted = async (service: string) => {
  const [result] = await runChecks(CHECKS.filter((check) => check.id === 'xclient-untrusted'), matrixTarget(postfixLab(), servicePort(service), 'mta', service));
  return result!;
};

describe('XCLIENT on the real Postfix lab', { concurrency: true }, () => {
  it('from the trusted 127.0.0.2, XCLIENT ADDR=192.0.2.1 makes Postfix treat the session as from mynetworks: it relays', async () => {
    const result = await send(servicePort('xclient'), '--local-address', '127.0.0.2', '--xclient', 'ADDR=192.0.2.1 NAME=[UNAVAILABLE]');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.match(result.stdout, / -> XCLIENT ADDR=192\.0\.2\.1 NAME=\[UNAVAILABLE\]\n<- {2}220 /);
    assert.match(result.stdout, /RCPT TO:<r@example\.com>\n<- {2}250 /);
  });

  it('from the trusted 127.0.0.2, --quit-after xclient: QUIT right after XCLIENT\'s 220, no second EHLO', async () => {
    const result = await send(servicePort('xclient'), '--local-address', '127.0.0.2', '--xclient-addr', '192.0.2.1', '--quit-after', 'xclient', '--json');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(replies(result.stdout), ['greeting 220', 'ehlo 250', 'xclient 220', 'quit 221']);
  });

  for (const name of ['xclient-ehlo', 'xclient-helo']) {
    it(`from the trusted 127.0.0.2, --quit-after ${name}: EHLO, XCLIENT (220), EHLO again to the new session, then QUIT`, async () => {
      const result = await send(servicePort('xclient'), '--local-address', '127.0.0.2', '--xclient-addr', '192.0.2.1', '--quit-after', name, '--json');
      assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
      assert.deepEqual(replies(result.stdout), ['greeting 220', 'ehlo 250', 'xclient 220', 'ehlo 250', 'quit 221']);
    });
  }

  it('from the trusted 127.0.0.2, claiming an outside address (--xclient-addr 198.51.100.7) does not relay: exit 5', async () => {
    const result = await send(servicePort('xclient'), '--local-address', '127.0.0.2', '--xclient-addr', '198.51.100.7');
    assert.equal(result.code, ExitCode.rejected, result.stdout + result.stderr);
    assert.match(result.stderr, /Relay access denied/);
  });

  it('from the untrusted 127.0.0.1, XCLIENT is not listed: exit 5 before XCLIENT is sent', async () => {
    const result = await send(servicePort('xclient'), '--xclient-addr', '192.0.2.1');
    assert.equal(result.code, ExitCode.rejected, result.stdout + result.stderr);
    assert.match(result.stderr, /server does not list XCLIENT to this client/);
    assert.doesNotMatch(result.stdout, /-> XCLIENT/);
  });

  it('xclient-untrusted passes on xclient (from 127.0.0.1) and fails on xclient-open', async () => {
    assert.equal((await xclientUntrusted('xclient')).verdict, 'pass');
    const open = await xclientUntrusted('xclient-open');
    assert.equal(open.verdict, 'fail', open.summary);
    assert.ok(evidenceLines(open.evidence).some((line) => line.includes('XCLIENT ADDR=127.0.0.1')), evidenceLines(open.evidence).join('\n'));
  });
});
