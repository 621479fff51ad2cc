import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startCli } from '../fakes/cli-process.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * docs/security.md#secrets-are-never-shown-unless---show-secrets: every command that can carry a password, in
 * every output format, succeeding or failing, prints neither the password nor its
 * base64 forms; --show-secrets does (which proves the search would find them).
 */
const track = serverPool();
const USER = 'john@example.org';
const PASSWORD = 'Sup3r-s3cret-Pw!';
const OTHER_PASSWORD = 'not-the-same-one';
const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** The password, the AUTH PLAIN blob and the bare base64 LOGIN sends; also for auth-wrong-password's derived password. */
const SECRET_FORMS = [PASSWORD, `${PASSWORD}-smtpcheck-wrong`].flatMap((secret) => [secret, base64(`\0${USER}\0${secret}`), base64(secret)]);

function leaks(text: string): string[] {
  return SECRET_FORMS.filter((form) => text.includes(form));
}

/** A submission server that knows USER with `password`; PLAIN and LOGIN, STARTTLS with the demo certificate. */
const server = (password: string) => track(startResponder(smtpResponder({ user: USER, password, ehlo: (state) => [...(state.tls ? [] : ['STARTTLS']), 'AUTH PLAIN LOGIN', 'PIPELINING', 'DSN'] })));

const FORMATS: { name: string; flags: string[] }[] = [
  { name: 'text', flags: [] },
  { name: '--json', flags: ['--json'] },
  { name: '--quiet', flags: ['--quiet'] },
];

async function runAndCollect(args: string[], files: string[] = []): Promise<{ code: number | null; everything: string }> {
  const result = await runCli(args, { timeoutMs: 20_000, env: { SMTPCHECK_PASSWORD: PASSWORD } });
  const written = files.map((file) => readFileSync(file, 'utf8'));
  return { code: result.code, everything: [result.stdout, result.stderr, ...written].join('\n') };
}

describe('no password in any output: auth and send', { concurrency: true }, () => {
  for (const mechanism of ['PLAIN', 'LOGIN']) {
    for (const { name, flags } of FORMATS) {
      for (const failing of [false, true]) {
        it(`auth --auth-mech ${mechanism}, ${name}, ${failing ? 'failing (535)' : 'succeeding'}`, async () => {
          const fake = await server(failing ? OTHER_PASSWORD : PASSWORD);
          const { code, everything } = await runAndCollect(['auth', '--server', `127.0.0.1:${fake.port}`, '--tls-ca', demoCaFile(), '--auth-user', USER, '--auth-mech', mechanism, '--timeout', '2', ...flags]);
          assert.equal(code, failing ? ExitCode.auth : ExitCode.ok, everything);
          assert.deepEqual(leaks(everything), []);
          const wire = fake.connections[0]!.join('\n');
          assert.ok(wire.includes(mechanism === 'PLAIN' ? base64(`\0${USER}\0${PASSWORD}`) : base64(PASSWORD)), 'the searched-for form is what went on the wire');
        });
      }
    }
  }

  for (const { name, flags } of FORMATS) {
    for (const failing of [false, true]) {
      it(`send --tls --auth-user, ${name}, ${failing ? 'failing (535)' : 'succeeding'}`, async () => {
        const fake = await server(failing ? OTHER_PASSWORD : PASSWORD);
        const { code, everything } = await runAndCollect(['send', '--server', `127.0.0.1:${fake.port}`, '--tls', '--tls-ca', demoCaFile(), '--auth-user', USER, '--to', 'b@example.org', '--timeout', '2', ...flags]);
        assert.equal(code, failing ? ExitCode.auth : ExitCode.ok, everything);
        assert.deepEqual(leaks(everything), []);
      });
    }
  }

  it('a password from --auth-password or --auth-password-file is not shown either', async () => {
    const file = join(dir, 'password');
    writeFileSync(file, `${PASSWORD}\n`);
    for (const source of [['--auth-password', PASSWORD], ['--auth-password-file', file]]) {
      const fake = await server(PASSWORD);
      const result = await runCli(['auth', '--server', `127.0.0.1:${fake.port}`, '--tls-ca', demoCaFile(), '--auth-user', USER, '--timeout', '2', ...source], { timeoutMs: 20_000 });
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.deepEqual(leaks(`${result.stdout}\n${result.stderr}`), []);
    }
  });
});

describe('no password in any output: check --auth-user (every check, -v evidence, JUnit)', { concurrency: true }, () => {
  const variants: { name: string; flags: (tag: string) => string[]; files: (tag: string) => string[] }[] = [
    { name: 'text with -v and --junit FILE', flags: (tag) => ['-v', '--junit', join(dir, `${tag}-a.xml`)], files: (tag) => [join(dir, `${tag}-a.xml`)] },
    { name: '--json', flags: () => ['--json'], files: () => [] },
    { name: '--quiet with --junit FILE', flags: (tag) => ['--quiet', '--junit', join(dir, `${tag}-b.xml`)], files: (tag) => [join(dir, `${tag}-b.xml`)] },
  ];
  for (const { name, flags, files } of variants) {
    for (const failing of [false, true]) {
      it(`check, ${name}, ${failing ? 'with a password the server refuses' : 'with the right password'}`, async () => {
        const fake = await server(failing ? OTHER_PASSWORD : PASSWORD);
        const tag = failing ? 'failing' : 'ok';
        const { everything } = await runAndCollect(['check', '--server', `127.0.0.1:${fake.port}`, '--role', 'submission', '--tls-ca', demoCaFile(), '--auth-user', USER, '--timeout', '8', ...flags(tag)], files(tag));
        assert.match(everything, /auth-success/, 'the AUTH checks ran');
        assert.deepEqual(leaks(everything), []);
        assert.ok(fake.connections.some((lines) => lines.includes(`AUTH PLAIN ${base64(`\0${USER}\0${PASSWORD}`)}`) || lines.includes(base64(`\0${USER}\0${PASSWORD}`))), 'the real credentials went on the wire');
      });
    }
  }
});

describe('--show-secrets reveals them (so the searches above would have found a leak)', { concurrency: true }, () => {
  for (const { name, flags } of FORMATS.filter((format) => format.name !== '--quiet')) {
    it(`auth --show-secrets, ${name}: the AUTH PLAIN blob and the password are in the transcript`, async () => {
      const fake = await server(PASSWORD);
      const { code, everything } = await runAndCollect(['auth', '--server', `127.0.0.1:${fake.port}`, '--tls-ca', demoCaFile(), '--auth-user', USER, '--auth-mech', 'PLAIN', '--timeout', '2', '--show-secrets', ...flags]);
      assert.equal(code, ExitCode.ok);
      assert.ok(everything.includes(PASSWORD));
      assert.ok(everything.includes(base64(`\0${USER}\0${PASSWORD}`)));
    });
  }

  it('send --show-secrets with LOGIN: the bare base64 password is in the transcript', async () => {
    const fake = await server(PASSWORD);
    const { everything } = await runAndCollect(['send', '--server', `127.0.0.1:${fake.port}`, '--tls', '--tls-ca', demoCaFile(), '--auth-user', USER, '--auth-mech', 'LOGIN', '--to', 'b@example.org', '--timeout', '2', '--show-secrets']);
    assert.ok(everything.includes(base64(PASSWORD)));
  });
});

describe('a password on the command line', () => {
  it('draws the warning naming the safer sources, and is gone from /proc/<pid>/cmdline while the run is on', async () => {
    let connected!: () => void;
    const isConnected = new Promise<void>((resolve) => (connected = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const stalling = await track(
      startFakeServer(async (peer: FakePeer) => {
        connected();
        await released;
        peer.close();
      }),
    );
    const cli = startCli(['auth', '--server', `127.0.0.1:${stalling.port}`, '--tls-ca', demoCaFile(), '--auth-user', USER, '--auth-password', PASSWORD, '--greeting-timeout', '5']);
    try {
      await isConnected;
      const cmdline = readFileSync(`/proc/${cli.child.pid}/cmdline`, 'latin1');
      assert.ok(!cmdline.includes(PASSWORD), `cmdline shows the password: ${JSON.stringify(cmdline)}`);
      assert.equal(cmdline.split('\0')[0], 'smtpcheck');
    } finally {
      release();
    }
    const result = await cli.done;
    assert.equal(result.code, ExitCode.protocol);
    assert.match(result.stdout, /\*\*\* a password on the command line is visible to other local users \(ps, shell history\); prefer SMTPCHECK_PASSWORD, --auth-password-file or the prompt/);
    assert.deepEqual(leaks(result.stdout + result.stderr), []);
  });
});
