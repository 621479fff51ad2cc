import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eximLab, runCli, waitForDelivery } from './postfix-lab.js';

/** send through the real Exim lab: Exim words the end-of-data reply its own way (`250 OK id=…`). */
describe('commands against the real Exim lab', () => {
  const lab = eximLab();
  const port = lab.services['exim-submission']!.port;

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
});
