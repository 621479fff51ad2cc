import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eximLab, runCli, waitForDelivery } from './postfix-lab.js';

/** send, auth, caps and relay-test through the real Exim lab, which words its replies its own way and cuts a session at its fourth syntax error. */
describe('commands against the real Exim lab', () => {
  const lab = eximLab();
  const port = lab.services['exim-submission']!.port;

  it('caps on the Exim MTA explains the keywords Exim adds by default (PIPECONNECT, CHUNKING)', async () => {
    const result = await runCli(['caps', '--server', `127.0.0.1:${lab.services['exim-mta']!.port}`, '--tls-ca', lab.caFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^PIPECONNECT +yes +yes +early pipelining/m);
    assert.match(result.stdout, /^CHUNKING +yes +yes +BDAT/m);
    assert.doesNotMatch(result.stdout, /not known to smtpcheck/);
  });

  for (const [service, tls] of [['exim-submission', []], ['exim-submissions', ['--tls-on-connect']]] as const) {
    it(`auth --auth-mech all on ${service}: PLAIN and LOGIN both accepted (Exim's plaintext authenticators)`, async () => {
      const result = await runCli(['auth', '--server', `127.0.0.1:${lab.services[service]!.port}`, ...tls, '--tls-ca', lab.caFile, '--auth-user', 'john@example.org', '--auth-mech', 'all'], { env: { SMTPCHECK_PASSWORD: 'summersun' } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^PLAIN +235 /m);
      assert.match(result.stdout, /^LOGIN +235 /m);
    });
  }

  it('a wrong password exits 4 on Exim\'s bare 535 (no enhanced status code), in one line', async () => {
    const result = await runCli(['auth', '--server', `127.0.0.1:${port}`, '--tls-ca', lab.caFile, '--auth-user', 'john@example.org'], { env: { SMTPCHECK_PASSWORD: 'wintersun' } });
    assert.equal(result.code, 4);
    assert.match(result.stderr, /535 Incorrect authentication data/);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });

  const relayTest = async (service: string): Promise<{ code: number | null; outcomes: Record<string, string> }> => {
    const result = await runCli(['relay-test', '--server', `127.0.0.1:${lab.services[service]!.port}`, '--local-recipient', 'john@example.org', '--json']);
    const probes: { form: string; outcome: string }[] = JSON.parse(result.stdout).result.checks.flatMap((check: { details?: unknown }) => (Array.isArray(check.details) ? check.details : []));
    return { code: result.code, outcomes: Object.fromEntries(probes.map((probe) => [probe.form, probe.outcome])) };
  };

  it('relay-test on the secure Exim MTA: all 51 forms (29, and each from <> too) refused (550 relay not permitted, 501 syntax errors), exit 0, no session cut', async () => {
    const log = readFileSync(lab.eximLog, 'utf8').length;
    const { code, outcomes } = await relayTest('exim-mta');
    assert.equal(code, 0);
    assert.equal(Object.keys(outcomes).length, 51);
    assert.deepEqual([...new Set(Object.values(outcomes))], ['refused']);
    assert.doesNotMatch(readFileSync(lab.eximLog, 'utf8').slice(log), /too many syntax or protocol errors/);
  });

  it('relay-test on the Exim open relay: exactly the forms Exim routes are relayed, exit 10', async () => {
    const { code, outcomes } = await relayTest('exim-open-relay');
    assert.equal(code, 10);
    const relayed = Object.entries(outcomes).filter(([, outcome]) => outcome === 'relayed').map(([form]) => form);
    // The %-hack, quoted, double-@ and bang forms are refused by Exim's default ACL
    // (restricted characters), domain literals by Exim itself; source routes are stripped.
    assert.deepEqual(relayed.sort(), [
      ...['<@example.org:r@example.net>', '<@mail.example.org:r@example.net>', '<r@EXAMPLE.NET>', '<r@example.com>', '<r@example.org.example.net>', '<r@smtpcheck-unhosted.example.org>'].flatMap((form) => [form, `${form} from <>`]),
      'MAIL FROM:<>', 'MAIL FROM:<p@example.org>', 'MAIL FROM:<p@mail.example.org>', 'MAIL FROM:<postmaster@example.org>',
    ].sort());
    assert.deepEqual([...new Set(Object.values(outcomes))].sort(), ['refused', 'relayed']);
  });

  it('send through Exim submission reports Exim\'s queue id, and the message arrives in the Maildir', async () => {
    const result = await runCli(
      ['send', '--server', `127.0.0.1:${port}`, '--tls', '--tls-ca', lab.caFile, '--auth-user', 'john@example.org', '--from', 'john@example.org', '--to', 'lisa@example.org', '--json'],
      { env: { SMTPCHECK_PASSWORD: 'summersun' } },
    );
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    // Exim 4.96: base-62 time, pid and fraction, e.g. 1tXyZa-000123-AB.
    assert.match(json.result.queueId, /^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$/);
    const text = await runCli(
      ['send', '--server', `127.0.0.1:${port}`, '--tls', '--tls-ca', lab.caFile, '--auth-user', 'john@example.org', '--from', 'john@example.org', '--to', 'lisa@example.org'],
      { env: { SMTPCHECK_PASSWORD: 'summersun' } },
    );
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /accepted for 1 of 1 recipient\(s\), queued as [0-9A-Za-z]{6}-/);
    await waitForDelivery(join(lab.maildir, 'lisa', 'new'), json.result.token);
  });

  it('send --chunking: Exim answers BDAT LAST in two lines (250- … byte chunk, total …, 250 OK id=…); the queue id is still found', async () => {
    const result = await runCli(
      ['send', '--server', `127.0.0.1:${port}`, '--tls', '--tls-ca', lab.caFile, '--auth-user', 'john@example.org', '--from', 'john@example.org', '--to', 'lisa@example.org', '--chunking'],
      { env: { SMTPCHECK_PASSWORD: 'summersun' } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /~> BDAT \d+ LAST\n<~ {2}250- *\d+ byte chunk, total \d+\n<~ {2}250 OK id=(\S+)\n/);
    const id = /250 OK id=(\S+)\n/.exec(result.stdout)![1]!;
    assert.match(result.stdout, new RegExp(`queued as ${id}`));
  });
});
