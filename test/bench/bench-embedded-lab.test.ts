import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchOptions } from '../../src/bench/bench-runner.js';
import { runBench } from '../../src/bench/bench-runner.js';
import { runBenchOnWorkers } from '../../src/bench/bench-workers.js';
import type { EmbeddedLab } from '../../src/lab/embedded-lab.js';
import { startEmbeddedLab } from '../../src/lab/embedded-lab.js';
import { runCli } from '../e2e/postfix-lab.js';

/**
 * `smtpcheck bench` against the embedded lab's secure MX (in-process, smtp-server):
 * every message it counts as accepted is one the lab recorded, of the size asked
 * for, and the refusals it counts are the lab's.
 */
const TIMEOUTS = { connectMs: 5000, greetingMs: 5000, commandMs: 5000, dataMs: 5000 };

describe('bench against the embedded lab', { timeout: 20_000 }, () => {
  let lab: EmbeddedLab;
  let caFile: string;
  before(async () => {
    lab = await startEmbeddedLab({ services: ['mta'] });
    caFile = join(mkdtempSync(join(tmpdir(), 'smtpcheck-bench-')), 'ca.pem');
    writeFileSync(caFile, lab.caPem!);
  });
  after(async () => {
    await lab.close();
  });

  const options = (overrides: Partial<BenchOptions>): BenchOptions => ({
    session: { host: lab.host, port: lab.services.mta!.port, heloName: 'bench.example', tlsMode: 'starttls', tls: { caPem: lab.caPem!, servername: lab.hostname }, timeouts: TIMEOUTS },
    auth: null,
    from: 'load@example.net',
    to: ['john@example.org'],
    connections: 3,
    messages: 12,
    size: 2000,
    reuse: true,
    pipeline: false,
    rate: null,
    ...overrides,
  });
  /** What the lab received from the run that just ended (the lab is shared by the tests). */
  const receivedSince = (count: number) => lab.received.slice(count);

  it('reusing sessions over STARTTLS: every message delivered once, at the size asked, with one connect per session', async () => {
    const before = lab.received.length;
    const { stats } = await runBench(options({}));
    const received = receivedSince(before);
    assert.equal(stats.accepted, 12);
    assert.equal(stats.refused + stats.failed, 0);
    assert.equal(stats.sessions, 3);
    assert.equal(received.length, 12);
    assert.ok(received.every((message) => message.to.join() === 'john@example.org' && message.from === 'load@example.net'));
    assert.ok(received.every((message) => message.data.length === 2000), `sizes ${received.map((message) => message.data.length).join(' ')}`);
    assert.equal(new Set(received.map((message) => /Message-ID: (.*)/.exec(message.data.toString())![1])).size, 12);
    assert.deepEqual(
      Object.fromEntries(['connect', 'greeting', 'ehlo', 'starttls', 'mail', 'rcpt', 'data'].map((step) => [step, stats.latency(step as never).count])),
      { connect: 3, greeting: 3, ehlo: 6, starttls: 3, mail: 12, rcpt: 12, data: 12 },
    );
  });

  it('without --reuse, one session per message; with --pipeline, the same messages arrive', async () => {
    const before = lab.received.length;
    const single = await runBench(options({ reuse: false, messages: 5 }));
    assert.equal(single.stats.sessions, 5);
    assert.equal(single.stats.latency('connect').count, 5);
    const pipelined = await runBench(options({ pipeline: true, messages: 6, connections: 2 }));
    assert.equal(pipelined.stats.accepted, 6);
    assert.equal(pipelined.stats.latency('data').count, 6);
    assert.equal(receivedSince(before).length, 11);
  });

  it('counts refused recipients by reply code, and still delivers to the recipients that were accepted', async () => {
    const before = lab.received.length;
    const { stats } = await runBench(options({ to: ['john@example.org', 'nobody@example.org', 'r@example.net'], messages: 4, connections: 2 }));
    assert.equal(stats.accepted, 0);
    assert.equal(stats.refused, 4);
    assert.deepEqual(
      stats.errors.list().map(({ step, code, count }) => [step, code, count]),
      [
        ['rcpt', 454, 4],
        ['rcpt', 550, 4],
      ],
    );
    assert.match(stats.errors.list()[0]!.example, /^454 4\.7\.1 <r@example\.net>: Relay access denied/);
    assert.equal(receivedSince(before).length, 4);
  });

  it('--rate spreads the starts: message k no earlier than k/R seconds into the run', async () => {
    const { stats, durationMs } = await runBench(options({ messages: 6, connections: 3, rate: 50 }));
    assert.equal(stats.accepted, 6);
    assert.ok(durationMs >= 100, `6 messages at 50/s took ${durationMs.toFixed(0)} ms; the last may start at 100 ms`);
  });

  it('an abort (Ctrl-C) starts no further message, ends the open sessions and says it was interrupted', async () => {
    const interrupt = new AbortController();
    const run = runBench(options({ messages: 1000, connections: 2, rate: 100, signal: interrupt.signal }));
    setTimeout(() => interrupt.abort(), 150);
    const { stats, interrupted } = await run;
    assert.equal(interrupted, true);
    assert.ok(stats.attempted < 100, `${stats.attempted} messages attempted after the abort`);
    assert.equal(stats.failed, 0, 'sessions ended by the abort are not counted as failures');
  });

  it('two worker threads over STARTTLS: every message delivered once, distinct Message-IDs, one first TLS session reported', async () => {
    const before = lab.received.length;
    const firstTls: string[] = [];
    const { stats, interrupted } = await runBenchOnWorkers(options({ connections: 4, messages: 13, onFirstTls: (tls) => firstTls.push(tls.chain[0]!.subject) }), 2);
    const received = receivedSince(before);
    assert.equal(interrupted, false);
    assert.equal(stats.accepted, 13);
    assert.equal(stats.sessions, 4);
    assert.equal(received.length, 13);
    assert.equal(new Set(received.map((message) => /Message-ID: (.*)/.exec(message.data.toString())![1])).size, 13, 'each worker numbers its messages under its own run id');
    assert.equal(stats.latency('starttls').count, 4);
    assert.equal(stats.latency('message').count, 13);
    assert.equal(firstTls.length, 1, 'only the first worker reports its first TLS session (--tls-save-chain saves one chain)');
  });

  it('the CLI prints the JSON report and exits 0 when all were accepted, 5 when some were refused', async () => {
    const common = ['bench', '--server', `${lab.host}:${lab.services.mta!.port}`, '--tls', '--tls-ca', caFile, '--tls-servername', lab.hostname, '--from', 'load@example.net', '--timeout', '5', '--json'];
    const ok = await runCli([...common, '--to', 'john@example.org', '-c', '2', '-m', '6', '--size', '1500', '--reuse'], { timeoutMs: 15_000 });
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.command, 'bench');
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.result.messages, { attempted: 6, accepted: 6, refused: 0, failed: 0 });
    assert.deepEqual(Object.keys(report.result.steps), ['connect', 'greeting', 'ehlo', 'starttls', 'mail', 'rcpt', 'data', 'message']);
    for (const summary of Object.values(report.result.steps) as { p50: number; p95: number; p99: number; max: number }[]) {
      assert.ok(summary.p50 <= summary.p95 && summary.p95 <= summary.p99 && summary.p99 <= summary.max, JSON.stringify(summary));
    }
    const refused = await runCli([...common, '--to', 'nobody@example.org', '-m', '3'], { timeoutMs: 15_000 });
    assert.equal(refused.code, 5, refused.stderr);
    assert.deepEqual(JSON.parse(refused.stdout).result.errors.map((group: { step: string; code: number; count: number }) => [group.step, group.code, group.count]), [['rcpt', 550, 3]]);
  });
});
