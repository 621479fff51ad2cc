import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * `send` checks everything the user typed or named — headers, files, flag
 * combinations — before it asks for a password or connects: a mistake is exit 1,
 * one error line naming the flag, and the server never sees a connection.
 */
const track = serverPool();
const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-send-validation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bodyFile = join(dir, 'body.txt');
writeFileSync(bodyFile, 'Hello Lisa,\n.\nsee the attachment.\n');
const attachment = join(dir, 'report.csv');
writeFileSync(attachment, 'id,value\n1,42\n');
const lockedFile = join(dir, 'locked.txt');
writeFileSync(lockedFile, 'secret');
chmodSync(lockedFile, 0o000);

async function countingServer(keywords = ['PIPELINING', '8BITMIME', 'SIZE 10240000']) {
  let peer: FakePeer | null = null;
  const server = await track(startResponder(smtpResponder({ ehlo: () => keywords, override: (_step, _line, state) => void (peer = state.peer) })));
  return {
    port: server.port,
    connections: () => server.connections.length,
    /** Every line of the first connection, once the client has closed it. */
    wire: async () => {
      if (peer && !peer.socket.destroyed) await once(peer.socket, 'close');
      return server.connections[0] ?? [];
    },
  };
}

const send = (port: number, extra: string[], options: { filePermissionsApply?: boolean } = {}) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--timeout', '2', ...extra], { timeoutMs: 10_000, ...options });

/** Exit 1, one error line naming `flag` on stderr, no transcript, and no connection. */
async function assertRefusedBeforeConnecting(extra: string[], flag: string, message: RegExp, options: { filePermissionsApply?: boolean } = {}): Promise<void> {
  const server = await countingServer();
  const result = await send(server.port, ['--from', 'john@example.org', '--to', 'lisa@example.org', ...extra], options);
  assert.equal(result.code, ExitCode.usage, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one error line, got:\n${result.stderr}`);
  assert.ok(lines[0]!.startsWith('smtpcheck: error: '), lines[0]);
  assert.ok(lines[0]!.includes(flag), `the error names ${flag}: ${lines[0]}`);
  assert.match(lines[0]!, message);
  assert.equal(result.stdout, '', 'no transcript: nothing was said to the server');
  assert.equal(server.connections(), 0, 'the server saw a connection');
}

describe('send checks its input before connecting', { concurrency: true }, () => {
  it('a --header without a colon', async () => {
    await assertRefusedBeforeConnecting(['--header', 'X-Test 1'], '--header', /must look like "Name: value"/);
  });

  it('a --header with a CR or LF in it', async () => {
    await assertRefusedBeforeConnecting(['--header', 'X-Test: 1\r\nBcc: victim@example.net'], '--header', /contains a CR, LF or NUL character/);
  });

  it('a structured --header with a word too long to fold under 998 octets', async () => {
    await assertRefusedBeforeConnecting(['--header', `References: <${'r'.repeat(1200)}@example.org>`], '--header', /the References header cannot be written in lines of at most 998 octets/);
  });

  it('a --header address field with non-ASCII that is not a list of mailboxes', async () => {
    await assertRefusedBeforeConnecting(['--header', 'Reply-To: Jörg (Büro) <j@example.org>'], '--header', /the Reply-To header is not a list of addresses/);
  });

  it('an --attach file that does not exist', async () => {
    await assertRefusedBeforeConnecting(['--attach', join(dir, 'missing.pdf')], '--attach', /cannot read file .*missing\.pdf/);
  });

  it('an --attach path that is a directory', async () => {
    await assertRefusedBeforeConnecting(['--attach', `@${dir}`], '--attach', /cannot read file/);
  });

  it('an --attach file without read permission', async () => {
    await assertRefusedBeforeConnecting(['--attach', `@${lockedFile}`], '--attach', /cannot read file .*locked\.txt/, { filePermissionsApply: true });
  });

  it('a --body @file that does not exist', async () => {
    await assertRefusedBeforeConnecting(['--body', `@${join(dir, 'missing.txt')}`], '--body', /cannot read file .*missing\.txt/);
  });

  it('--data combined with --body', async () => {
    await assertRefusedBeforeConnecting(['--data', `@${bodyFile}`, '--body', 'text'], '--data', /cannot be combined with --body/);
  });

  it('a --data @file that does not exist', async () => {
    await assertRefusedBeforeConnecting(['--data', `@${join(dir, 'missing.eml')}`], '--data', /cannot read file/);
  });

  it('a --dsn-notify that is not a NOTIFY list, and a --dsn-ret that is neither FULL nor HDRS', async () => {
    await assertRefusedBeforeConnecting(['--dsn-notify', 'ALWAYS'], '--dsn-notify', /not a DSN NOTIFY list/);
    await assertRefusedBeforeConnecting(['--dsn-ret', 'BODY'], '--dsn-ret', /neither FULL nor HDRS/);
  });

  it('--auth-user without TLS is refused before any password is looked for', async () => {
    // No password anywhere and no terminal: looking for one first would say "no password".
    await assertRefusedBeforeConnecting(['--auth-user', 'john@example.org'], '--auth-user', /given without TLS/);
  });

  it('a --to that is not a list of addresses', async () => {
    await assertRefusedBeforeConnecting(['--to', 'Lisa lisa@example.org'], '--to', /is not a list of addresses/);
  });

  it('a --from with two addresses', async () => {
    await assertRefusedBeforeConnecting(['--from', 'john@example.org, lisa@example.org'], '--from', /takes one address/);
  });

  it('a bad --header before asking for the password', async () => {
    // No password source and no terminal would be an error of its own; the header comes first.
    await assertRefusedBeforeConnecting(['--header', 'X-Test 1', '--auth-user', 'john@example.org', '--tls'], '--header', /must look like/);
  });
});

describe('send with good input', () => {
  it('sends a message with display names, a body file and an attachment; the envelope holds the addresses only', async () => {
    const server = await countingServer();
    const result = await send(server.port, [
      '--from', 'Jörg Müller <joerg@example.org>',
      '--to', '"Example, Lisa" <lisa@example.org>, postmaster@example.org',
      '--header', 'X-Test: 1',
      '--body', `@${bodyFile}`,
      '--attach', `@${attachment}`,
    ]);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /✔ message smtpcheck-[0-9a-f]{12} accepted for 2 of 2 recipient\(s\), queued as 4XyZ1/);
    const wire = await server.wire();
    assert.equal(server.connections(), 1);
    assert.ok(wire.some((line) => /^MAIL FROM:<joerg@example\.org> SIZE=\d+ BODY=8BITMIME$/.test(line)), wire.join('\n'));
    assert.ok(wire.includes('RCPT TO:<lisa@example.org>'));
    assert.ok(wire.includes('RCPT TO:<postmaster@example.org>'));
    assert.ok(wire.includes('From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.org>'));
    assert.ok(wire.includes('To: "Example, Lisa" <lisa@example.org>, postmaster@example.org'));
    assert.ok(wire.includes('X-Test: 1'));
    assert.ok(wire.includes('..'), 'the body file, dot-stuffed');
    assert.ok(wire.includes(Buffer.from('id,value\n1,42\n').toString('base64')), 'the attachment');
    assert.deepEqual(wire.slice(-2), ['.', 'QUIT']);
  });
});

describe('send with DSN parameters', () => {
  it('sends an envelope id as xtext, so its spaces and "=" stay inside the one parameter (RFC 3461 §4.4)', async () => {
    const server = await countingServer(['PIPELINING', 'DSN', '8BITMIME']);
    const result = await send(server.port, ['--from', 'john@example.org', '--to', 'lisa@example.org', '--dsn-envid', 'batch 7 = done', '--dsn-ret', 'hdrs', '--dsn-notify', 'failure,delay']);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    const wire = await server.wire();
    assert.ok(wire.some((line) => /^MAIL FROM:<john@example\.org>.* RET=HDRS ENVID=batch\+207\+20\+3D\+20done$/.test(line)), wire.join('\n'));
    assert.ok(wire.includes('RCPT TO:<lisa@example.org> NOTIFY=FAILURE,DELAY'), wire.join('\n'));
  });
});
