import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { matrixTarget } from './expected-verdicts.js';
import { LAB_DIR, postfixLab, runCli, servicePort } from './postfix-lab.js';
import { evidenceLines } from '../../src/render/evidence-lines.js';

/**
 * PROXY protocol against real components (issue 15): Postfix with
 * smtpd_upstream_proxy_protocol = haproxy takes smtpcheck's v1 and v2 headers and
 * believes them; a real HAProxy (test/lab/proxy/haproxy.sh) in front of it sends its
 * own; proxy-untrusted tells the exposed services from the ones behind the balancer.
 */
interface HaproxyPorts {
  v1: number;
  v2: number;
}

function haproxy(): HaproxyPorts {
  try {
    return JSON.parse(readFileSync(`${LAB_DIR}/haproxy/proxy.json`, 'utf8')) as HaproxyPorts;
  } catch {
    throw new Error(`the lab's HAProxy is not running (${LAB_DIR}/haproxy/proxy.json missing): bash test/lab/proxy/haproxy.sh start`);
  }
}

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'p@example.net', '--to', 'r@example.com', '--quit-after', 'rcpt', '--timeout', '10', ...extra], { timeoutMs: 30_000 });

const proxyUntrusted = async (port: number, service?: string) => {
  const check = CHECKS.filter((candidate) => candidate.id === 'proxy-untrusted');
  const [result] = await runChecks(check, matrixTarget(postfixLab(), port, 'mta', service));
  return result!;
};

describe('PROXY protocol on the real Postfix lab and HAProxy', { concurrency: true }, () => {
  for (const version of ['v1', 'v2']) {
    it(`Postfix takes smtpcheck's ${version} header and believes it: claiming 127.0.0.1 relays on proxy-open, claiming 192.0.2.99 does not`, async () => {
      const port = servicePort('proxy-open');
      const trusted = await send(port, '--proxy-protocol', version, '--proxy-source', '127.0.0.1:40000');
      assert.equal(trusted.code, ExitCode.ok, trusted.stdout + trusted.stderr);
      assert.match(trusted.stdout, /RCPT TO:<r@example\.com>\n<- {2}250 /);
      const outside = await send(port, '--proxy-protocol', version, '--proxy-source', '192.0.2.99:40000');
      assert.equal(outside.code, ExitCode.rejected, outside.stdout + outside.stderr);
      assert.match(outside.stderr, /Relay access denied/);
    });
  }

  it('a PROXY header to a Postfix port without smtpd_upstream_proxy_protocol: exit 2, proxy-refused, no EHLO sent', async () => {
    const result = await send(servicePort('mta'), '--proxy-protocol', 'v1', '--proxy-source', '127.0.0.1:40000', '--json');
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    const document = JSON.parse(result.stdout) as { error: { reason: string } };
    assert.equal(document.error.reason, 'proxy-refused');
    assert.doesNotMatch(result.stdout, /EHLO/);
  });

  it('--quit-after proxy: Postfix took the header (its greeting, a 250 to NOOP), then QUIT, no EHLO', async () => {
    const result = await send(servicePort('proxied'), '--proxy-protocol', 'v2', '--proxy-source', '192.0.2.99:40000', '--quit-after', 'proxy', '--json');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    const events = (JSON.parse(result.stdout) as { events: { type: string; step?: string; reply?: { code: number } }[] }).events;
    assert.deepEqual(events.filter((event) => event.type === 'receive').map((event) => `${event.step} ${event.reply?.code}`), ['greeting 220', 'command 250', 'quit 221']);
  });

  for (const version of ['v1', 'v2'] as const) {
    it(`through HAProxy sending ${version}: Postfix greets (it parsed HAProxy's header) and takes mail for its own domain`, async () => {
      const result = await runCli(['send', '--server', `127.0.0.1:${haproxy()[version]}`, '--from', 'p@example.net', '--to', 'john@example.org', '--quit-after', 'rcpt', '--timeout', '10'], { timeoutMs: 30_000 });
      assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    });

    it(`proxy-untrusted passes through HAProxy (${version}): our header reaches Postfix as a command, not as a header`, async () => {
      const result = await proxyUntrusted(haproxy()[version]);
      assert.equal(result.verdict, 'pass', result.summary);
    });
  }

  it('proxy-untrusted fails on proxy-open: a header from anyone, and the claimed 127.0.0.1 relays', async () => {
    const result = await proxyUntrusted(servicePort('proxy-open'), 'proxy-open');
    assert.equal(result.verdict, 'fail', result.summary);
    assert.ok(evidenceLines(result.evidence).some((line) => line.includes('PROXY TCP4 127.0.0.1')), evidenceLines(result.evidence).join('\n'));
  });

  it('proxy-untrusted warns on proxied reached directly, and passes on a port without the setting', async () => {
    assert.equal((await proxyUntrusted(servicePort('proxied'), 'proxied')).verdict, 'warn');
    assert.equal((await proxyUntrusted(servicePort('mta'))).verdict, 'pass');
  });
});
