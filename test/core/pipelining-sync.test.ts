import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchOptions } from '../../src/bench/bench-runner.js';
import { runBench } from '../../src/bench/bench-runner.js';
import { CHECKS, findCheck } from '../../src/checks/registry.js';
import { runCheck, runChecks } from '../../src/checks/runner.js';
import { SENTINEL_QUIET_MS } from '../../src/checks/unsolicited-replies.js';
import { establishSession } from '../../src/core/establish.js';
import type { Reply } from '../../src/core/reply.js';
import { fakeCheckTarget } from '../fakes/fake-check-target.js';
import { coreOptions, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * RFC 2920 §3.1 on a strict server (issue 12, defect 2): Exim's smtp_enforce_sync
 * answers input that came before the reply it had to wait for with "554 SMTP
 * synchronization error" and hangs up. Every write smtpcheck makes must be one
 * command or a legal group, and nothing pipelined when PIPELINING is not listed,
 * except the one attack that is illegal on purpose: starttls-injection's pipelined
 * STARTTLS, which a strict server refusing is a pass.
 */
const track = serverPool();
// A clean server must not wait out the fallback timer. Any wait-out of the fallback timer takes all of it; a loaded machine may take half of it without one.
const FAST_MS = SENTINEL_QUIET_MS;

const WITH_PIPELINING = ['STARTTLS', 'AUTH PLAIN LOGIN', 'PIPELINING', '8BITMIME'];
const WITHOUT_PIPELINING = ['STARTTLS', 'AUTH PLAIN LOGIN', '8BITMIME'];

/** A secure, strict MX: smtpResponder's good server, with or without PIPELINING; STARTTLS only before TLS. */
const strictMx = (keywords: string[]) => track(startResponder(smtpResponder({ ehlo: (state) => keywords.filter((keyword) => keyword !== 'STARTTLS' || !state.tls) }), { strict: true }));

/** Write `bytes` in one go after EHLO, and read every reply until the server hangs up or goes quiet. */
async function repliesTo(port: number, bytes: string): Promise<number[]> {
  const session = await establishSession(coreOptions(port));
  session.sendRaw(bytes, 'command', bytes);
  const codes: number[] = [];
  try {
    for (let reply: Reply | null; (reply = await session.connection.readUnsolicitedReply('command', 300)); ) codes.push(reply.code);
  } catch {
    // The hang-up after the synchronization error.
  } finally {
    session.close();
  }
  return codes;
}

describe('the strict fake enforces RFC 2920 §3.1 like Exim', { concurrency: true }, () => {
  const writes: { name: string; keywords: string[]; bytes: string; codes: number[]; syncErrors: string[] }[] = [
    { name: 'anything behind NOOP in one write: 554 and a hang-up', keywords: WITH_PIPELINING, bytes: 'NOOP\r\nNOOP\r\n', codes: [554], syncErrors: ['NOOP'] },
    { name: 'the sentinels smtpcheck used to send in one write (an unknown verb, then NOOP): 554', keywords: WITH_PIPELINING, bytes: 'XSMTPCHECK\r\nNOOP\r\n', codes: [554], syncErrors: ['XSMTPCHECK'] },
    {
      name: 'with PIPELINING, RSET, MAIL, RCPT may lead a group that DATA ends',
      keywords: WITH_PIPELINING,
      bytes: 'RSET\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<john@example.org>\r\nDATA\r\n',
      codes: [250, 250, 250, 354],
      syncErrors: [],
    },
    { name: 'without PIPELINING, even RSET must wait for its reply', keywords: WITHOUT_PIPELINING, bytes: 'RSET\r\nRSET\r\n', codes: [554], syncErrors: ['RSET'] },
  ];
  for (const write of writes) {
    it(write.name, async () => {
      const server = await strictMx(write.keywords);
      assert.deepEqual(await repliesTo(server.port, write.bytes), write.codes);
      assert.deepEqual(server.syncErrors, write.syncErrors);
    });
  }

  it('without PIPELINING, nothing may follow the end of data in its write', async () => {
    const server = await strictMx(WITHOUT_PIPELINING);
    const session = await establishSession(coreOptions(server.port));
    await session.mailFrom('a@example.net');
    await session.rcptTo('john@example.org');
    assert.equal((await session.command('DATA', 'data')).code, 354);
    session.sendRaw('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n', 'data', 'message, then QUIT');
    assert.equal((await session.readReply('data')).code, 554);
    session.close();
    assert.deepEqual(server.syncErrors, ['.']);
  });
});

describe('checks that count unsolicited replies stay in sync on a strict server', { concurrency: true }, () => {
  for (const [label, keywords] of [
    ['with PIPELINING', WITH_PIPELINING],
    ['without PIPELINING', WITHOUT_PIPELINING],
  ] as const) {
    it(`smug-eod passes a strict, secure MX ${label}, without waiting out the timer`, async () => {
      const server = await strictMx(keywords);
      const result = await runCheck(findCheck('smug-eod')!, fakeCheckTarget(server.port, { recipientGiven: true }));
      assert.equal(result.verdict, 'pass', result.summary);
      assert.deepEqual(server.syncErrors, []);
      assert.ok(result.durationMs < FAST_MS, `${result.durationMs} ms`);
    });

    it(`starttls-injection passes a strict MX ${label} that refuses the pipelined STARTTLS with 554`, async () => {
      const server = await strictMx(keywords);
      const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
      assert.equal(result.verdict, 'pass', result.summary);
      assert.match(result.summary, /pipelined STARTTLS was refused \(554/);
      assert.deepEqual(server.syncErrors, ['STARTTLS'], 'the attack itself is the only input sent early');
    });
  }

  it('starttls-injection is inconclusive when the pipelined STARTTLS gets a deferral: TLS never started', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'starttls' ? '454 4.7.0 TLS not available due to local problem' : undefined) })));
    const result = await runCheck(findCheck('starttls-injection')!, fakeCheckTarget(server.port));
    assert.equal(result.verdict, 'inconclusive', result.summary);
  });

  for (const role of ['mta', 'submission'] as const) {
    it(`the whole ${role} suite sends nothing early but the pipelined STARTTLS of starttls-injection and the PROXY header of proxy-untrusted`, async () => {
      const server = await strictMx(WITH_PIPELINING);
      const checks = CHECKS.filter((check) => check.roles.includes(role));
      const results = await runChecks(checks, fakeCheckTarget(server.port, { role, recipientGiven: true, credentials: { user: 'john@example.org', password: 'summersun' } }));
      // proxy-untrusted's header goes before the greeting on purpose: a strict server refuses it, which passes the check.
      assert.deepEqual(server.syncErrors.filter((line) => !line.startsWith('PROXY ')), ['STARTTLS']);
      assert.equal(results.find((result) => result.id === 'proxy-untrusted')?.verdict, 'pass');
      assert.ok(results.filter((result) => result.verdict !== 'skip').length > checks.length / 2, 'most checks ran');
    });
  }
});

const benchOptions = (port: number, overrides: Partial<BenchOptions>): BenchOptions => ({
  session: { host: '127.0.0.1', port, heloName: 'bench.example', tlsMode: 'none', timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataMs: 2000 } },
  auth: null,
  from: 'load@example.net',
  to: ['john@example.org', 'jane@example.org'],
  connections: 2,
  messages: 6,
  size: 600,
  reuse: true,
  pipeline: true,
  rate: null,
  ...overrides,
});

describe('bench --pipeline stays in sync on a strict server', { concurrency: true }, () => {
  for (const reuse of [true, false]) {
    it(`with PIPELINING${reuse ? ' and --reuse: envelopes behind each end of data' : ': QUIT behind each end of data'}, every message accepted, nothing early`, async () => {
      const server = await strictMx(WITH_PIPELINING);
      const { stats } = await runBench(benchOptions(server.port, { reuse }));
      assert.equal(stats.accepted, 6);
      assert.deepEqual(server.syncErrors, []);
      assert.equal(stats.sessions, reuse ? 2 : 6);
    });
  }

  it('without PIPELINING, --pipeline sends one command at a time and says so', async () => {
    const server = await strictMx(WITHOUT_PIPELINING);
    const warnings: string[] = [];
    const { stats } = await runBench({ ...benchOptions(server.port, {}), onWarning: (message) => warnings.push(message) });
    assert.equal(stats.accepted, 6);
    assert.deepEqual(server.syncErrors, []);
    assert.deepEqual(warnings, ['server does not offer PIPELINING; sending one command at a time']);
  });
});
