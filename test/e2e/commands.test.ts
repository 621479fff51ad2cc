import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { postfixLab, runCli, servicePort, waitForDelivery } from './postfix-lab.js';

/** caps, auth and send against the real Postfix + Dovecot lab (issue 2's "done when"). */
describe('commands against the real Postfix lab', () => {
  const lab = postfixLab();
  const ca = ['--tls-ca', lab.caFile];
  const john = { env: { SMTPCHECK_PASSWORD: 'summersun' } };

  it('caps on the MTA port shows STARTTLS and no AUTH before TLS, AUTH PLAIN LOGIN after', async () => {
    const result = await runCli(['caps', '--server', `127.0.0.1:${servicePort('mta')}`, ...ca, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.ok('STARTTLS' in json.result.beforeTls.extensions);
    assert.deepEqual(json.result.beforeTls.authMechanisms, []);
    assert.deepEqual(json.result.afterTls.authMechanisms, ['PLAIN', 'LOGIN']);
    assert.equal(json.result.tls.chainVerified, true);
    assert.equal(json.result.tls.nameMatches, true);
  });

  it('caps as text marks the TLS boundary and explains SIZE in MB', async () => {
    const result = await runCli(['caps', '--server', `127.0.0.1:${servicePort('mta')}`, ...ca]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^<- {2}220 /m);
    assert.match(result.stdout, /=== TLS started: TLSv1\.[23]/);
    assert.match(result.stdout, /^<~ {2}250-AUTH PLAIN LOGIN$/m);
    assert.match(result.stdout, /SIZE +10240000 +10240000 .*10\.2 MB/);
  });

  it('caps warns about AUTH offered before TLS on the plaintext-auth service', async () => {
    const result = await runCli(['caps', '--server', `127.0.0.1:${servicePort('plaintext-auth')}`, ...ca]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /AUTH PLAIN LOGIN offered before TLS/);
  });

  for (const mechanism of ['PLAIN', 'LOGIN']) {
    it(`auth ${mechanism} succeeds on submission after STARTTLS, verified against the lab CA`, async () => {
      const result = await runCli(['auth', '--server', `127.0.0.1:${servicePort('submission')}`, ...ca, '--auth-user', 'john@example.org', '--auth-mech', mechanism], john);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /235 2\.7\.0 Authentication successful/);
      assert.match(result.stdout, /chain trusted, name 127\.0\.0\.1 matches/);
      assert.doesNotMatch(result.stdout + result.stderr, /summersun/);
    });

    it(`auth ${mechanism} succeeds on implicit TLS (submissions)`, async () => {
      const result = await runCli(['auth', '--server', `127.0.0.1:${servicePort('submissions')}`, '--tls-on-connect', ...ca, '--auth-user', 'john@example.org', '--auth-mech', mechanism], john);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /TLS on connect/);
      assert.match(result.stdout, /235 2\.7\.0/);
    });
  }

  it('a wrong password exits 4 with the server\'s 535', async () => {
    const result = await runCli(['auth', '--server', `127.0.0.1:${servicePort('submission')}`, ...ca, '--auth-user', 'john@example.org'], { env: { SMTPCHECK_PASSWORD: 'wintersun' } });
    assert.equal(result.code, 4);
    assert.match(result.stderr, /535 5\.7\.8/);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    assert.doesNotMatch(result.stdout + result.stderr, /wintersun/);
  });

  it('refuses an untrusted certificate by default (exit 3) and continues with --insecure', async () => {
    const strict = await runCli(['caps', '--server', `127.0.0.1:${servicePort('mta')}`, '--tls']);
    assert.equal(strict.code, 3);
    assert.match(strict.stderr, /chain not trusted/);
    const insecure = await runCli(['caps', '--server', `127.0.0.1:${servicePort('mta')}`, '--tls', '--insecure']);
    assert.equal(insecure.code, 0);
    assert.match(insecure.stdout, /continuing because of --insecure/);
  });

  it('sends a message with an attachment through submission; it arrives intact in the Maildir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-e2e-'));
    const attachment = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 31 + 7) % 256));
    writeFileSync(join(dir, 'report.pdf'), attachment);
    const result = await runCli(
      ['send', '--server', `127.0.0.1:${servicePort('submission')}`, '--tls', ...ca, '--auth-user', 'john@example.org', '--from', 'john@example.org', '--to', 'lisa@example.org', '--body', 'Hello Lisa,\n.a line starting with a dot\nGrüße', '--attach', `@${join(dir, 'report.pdf')}`, '--json'],
      john,
    );
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.match(json.result.queueId, /^[0-9A-F]+$/);
    const token: string = json.result.token;
    const delivered = await waitForDelivery(join(lab.maildir, 'lisa', 'new'), token);
    assert.match(delivered, /\n\.a line starting with a dot\r?\n/, 'dot-stuffing undone by the server');
    assert.match(delivered, /Grüße/);
    const boundary = /boundary="([^"]+)"/.exec(delivered)![1]!;
    const part = delivered.split(`--${boundary}`).find((section) => section.includes('name="report.pdf"'))!;
    assert.match(part, /Content-Type: application\/pdf/);
    const encoded = part.split(/\r?\n\r?\n/)[1]!.replace(/\s+/g, '');
    assert.deepEqual(Buffer.from(encoded, 'base64'), attachment);
  });

  it('sends a raw --data message with BDAT (--chunking) and DSN parameters, and saves the peer chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-e2e-'));
    const token = `RAW${Date.now()}`;
    writeFileSync(join(dir, 'raw.eml'), `From: john@example.org\nTo: lisa@example.org\nSubject: ${token}\n\n.leading dot stays\n`);
    const chain = join(dir, 'chain.pem');
    const result = await runCli(
      ['send', '--server', `127.0.0.1:${servicePort('submission')}`, '--tls', ...ca, '--auth-user', 'john@example.org', '--to', 'lisa@example.org', '--data', `@${join(dir, 'raw.eml')}`, '--chunking', '--dsn-notify', 'SUCCESS,FAILURE', '--dsn-ret', 'HDRS', '--dsn-envid', 'env1', '--tls-save-chain', chain],
      john,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /~> MAIL FROM:<john@example\.org> SIZE=\d+ BODY=8BITMIME RET=HDRS ENVID=env1/);
    assert.match(result.stdout, /~> RCPT TO:<lisa@example\.org> NOTIFY=SUCCESS,FAILURE/);
    assert.match(result.stdout, /~> BDAT \d+ LAST\n<~ {2}250 2\.0\.0 Ok: \d+ bytes queued as/);
    assert.equal((readFileSync(chain, 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    const delivered = await waitForDelivery(join(lab.maildir, 'lisa', 'new'), token);
    assert.match(delivered, /\n\.leading dot stays\r?\n/, 'BDAT content is not dot-stuffed');
  });

  it('send refuses a foreign recipient without AUTH on the MTA port with the relay refusal (exit 5)', async () => {
    const result = await runCli(['send', '--server', `127.0.0.1:${servicePort('mta')}`, '--tls', ...ca, '--from', 'p@example.net', '--to', 'r@example.net']);
    assert.equal(result.code, 5);
    assert.match(result.stderr, /454 4\.7\.1 <r@example\.net>: Relay access denied/);
  });

  it('--quit-after ehlo stops cleanly with QUIT', async () => {
    const result = await runCli(['send', '--server', `127.0.0.1:${servicePort('mta')}`, '--quit-after', 'ehlo']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, / -> QUIT\n<- {2}221/);
    assert.doesNotMatch(result.stdout, /MAIL FROM/);
  });
});
