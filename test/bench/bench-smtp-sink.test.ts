import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { runCli } from '../e2e/postfix-lab.js';

/**
 * `smtpcheck bench` against Postfix's smtp-sink, the server its reference tool
 * (smtp-source) is measured against: counts, sessions and reply-code grouping, as
 * the CLI reports them. smtp-sink comes with the postfix package the lab setup
 * installs; without it this test fails, it never skips.
 */
const SMTP_SINK = '/usr/sbin/smtp-sink';
const sinks: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Start smtp-sink on a free loopback port with extra options (e.g. -f RCPT), and wait until it listens. */
async function startSink(options: string[] = []): Promise<number> {
  assert.ok(existsSync(SMTP_SINK), `${SMTP_SINK} is missing: install postfix (bash test/lab/setup.sh installs it); the bench tests need Postfix's smtp-sink`);
  const port = await freePort();
  // smtp-sink refuses to run as root without somewhere to drop privileges to.
  const privileges = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const sink = spawn(SMTP_SINK, [...privileges, ...options, `127.0.0.1:${port}`, '64'], { stdio: ['ignore', 'ignore', 'pipe'] });
  sinks.push(sink);
  let stderr = '';
  sink.stderr!.on('data', (chunk) => (stderr += chunk));
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await acceptsConnections(port)) return port;
    assert.equal(sink.exitCode, null, `smtp-sink exited: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`smtp-sink did not listen on 127.0.0.1:${port} within 2.5 s: ${stderr}`);
}

const bench = (port: number, ...flags: string[]) => runCli(['bench', '--server', `127.0.0.1:${port}`, '--from', 'load@example.org', '--to', 'sink@example.org', '--timeout', '5', '--json', ...flags], { timeoutMs: 15_000 });

describe('bench against smtp-sink', { timeout: 20_000 }, () => {
  after(() => {
    for (const sink of sinks) sink.kill('SIGKILL');
  });

  it('reuses each of N sessions for many messages, with and without pipelining', async () => {
    const port = await startSink();
    for (const pipelining of [[], ['--pipeline']]) {
      const result = await bench(port, '-c', '4', '-m', '400', '--size', '1024', '--reuse', ...pipelining);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout).result;
      assert.deepEqual(report.messages, { attempted: 400, accepted: 400, refused: 0, failed: 0 });
      assert.equal(report.sessions, 4);
      assert.equal(report.steps.connect.count, 4);
      assert.equal(report.steps.mail.count, 400);
      assert.equal(report.steps.data.count, 400);
      assert.ok(report.messagesPerSecond > 0 && Math.abs(report.bytesPerSecond / report.messagesPerSecond - 1024) < 1, JSON.stringify(report));
    }
  });

  it('opens one connection per message without --reuse', async () => {
    const port = await startSink();
    const result = await bench(port, '-c', '5', '-m', '40');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.equal(report.sessions, 40);
    assert.equal(report.steps.connect.count, 40);
    assert.equal(report.messages.accepted, 40);
  });

  it('groups refusals by step and code and exits 5 (smtp-sink -f RCPT refuses every recipient with 500)', async () => {
    const port = await startSink(['-f', 'RCPT']);
    const result = await bench(port, '-c', '2', '-m', '30', '--reuse');
    assert.equal(result.code, 5, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.deepEqual(report.messages, { attempted: 30, accepted: 0, refused: 30, failed: 0 });
    assert.deepEqual(report.errors, [{ step: 'rcpt', code: 500, kind: 'refused', count: 30, example: '500 5.3.0 Error: command failed' }]);
    assert.equal(report.sessions, 2, 'RSET after a refusal keeps the session');
  });

  it('counts a refused end of data and carries on in the same session (smtp-sink -r . answers 450)', async () => {
    const port = await startSink(['-r', '.']);
    const result = await bench(port, '-m', '10', '--reuse', '--pipeline');
    assert.equal(result.code, 5, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.deepEqual(report.errors, [{ step: 'data', code: 450, kind: 'refused', count: 10, example: '450 4.3.0 Error: command failed' }]);
    assert.equal(report.sessions, 1);
  });

  it('exits 2 with the failures grouped when nothing listens', async () => {
    const port = await freePort();
    const result = await bench(port, '-c', '2', '-m', '6');
    assert.equal(result.code, 2, result.stderr);
    const report = JSON.parse(result.stdout).result;
    assert.deepEqual(report.messages, { attempted: 6, accepted: 0, refused: 0, failed: 6 });
    assert.deepEqual(report.errors.map((group: { step: string; kind: string; count: number; example: string }) => [group.step, group.kind, group.count, group.example]), [['connect', 'connect', 6, 'ECONNREFUSED']]);
  });

  it('a load split into shards at a rate gives each shard its share, and report merge adds them up exactly', async () => {
    const port = await startSink();
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-bench-shards-'));
    try {
      const files: string[] = [];
      for (const shard of ['1/2', '2/2']) {
        const result = await bench(port, '-c', '2', '-m', '31', '--reuse', '--rate', '400', '--shard', shard);
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout).result;
        assert.equal(report.parameters.rate, 200, 'each of 2 shards sends at half the rate');
        assert.deepEqual(report.parameters.shard, { index: Number(shard[0]), total: 2, messages: 31, rate: 400 });
        assert.equal(report.steps.message.count, report.messages.attempted, 'every message has its open-loop latency');
        const file = join(dir, `bench-${shard[0]}.json`);
        writeFileSync(file, result.stdout);
        files.push(file);
      }
      const [first, second] = files.map((file) => JSON.parse(readFileSync(file, 'utf8')).result);
      assert.deepEqual([first.messages.attempted, second.messages.attempted], [16, 15]);
      const merged = await runCli(['report', 'merge', '--json', ...files], { timeoutMs: 15_000 });
      assert.equal(merged.code, 0, merged.stderr);
      const report = JSON.parse(merged.stdout).result;
      assert.deepEqual(report.messages, { attempted: 31, accepted: 31, refused: 0, failed: 0 });
      assert.equal(report.parameters.messages, 31);
      assert.equal(report.parameters.rate, 400);
      assert.deepEqual(report.merged.notes, []);
      for (const step of ['mail', 'data', 'message']) {
        assert.equal(report.steps[step].count, first.steps[step].count + second.steps[step].count);
        assert.equal(report.steps[step].max, Math.max(first.steps[step].max, second.steps[step].max));
        assert.equal(report.histograms[step].sumMicros, first.histograms[step].sumMicros + second.histograms[step].sumMicros);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--workers 2 delivers exactly the messages asked for, over the sessions asked for, in one report whose histograms count every message', async () => {
    const port = await startSink();
    for (const pipelining of [[], ['--pipeline']]) {
      const result = await bench(port, '-c', '4', '-m', '401', '--reuse', '--workers', '2', ...pipelining);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout).result;
      assert.equal(report.parameters.workers, 2);
      assert.equal(report.parameters.messages, 401, 'the parameters are the whole load, not one worker\'s');
      assert.deepEqual(report.messages, { attempted: 401, accepted: 401, refused: 0, failed: 0 });
      assert.equal(report.sessions, 4);
      assert.equal(report.steps.connect.count, 4);
      for (const step of ['mail', 'rcpt', 'data', 'message']) {
        assert.equal(report.histograms[step].count, 401, step);
        assert.equal(report.histograms[step].buckets.reduce((total: number, [, count]: [number, number]) => total + count, 0), 401, step);
      }
      assert.equal(report.acceptedBytes, 401 * 1024);
    }
  });

  it('--workers 2: refusals and failures counted in each worker merge into one group each', async () => {
    const refusing = await startSink(['-f', 'RCPT']);
    const refused = await bench(refusing, '-c', '2', '-m', '31', '--reuse', '--workers', '2');
    assert.equal(refused.code, 5, refused.stderr);
    const report = JSON.parse(refused.stdout).result;
    assert.deepEqual(report.messages, { attempted: 31, accepted: 0, refused: 31, failed: 0 });
    assert.deepEqual(report.errors, [{ step: 'rcpt', code: 500, kind: 'refused', count: 31, example: '500 5.3.0 Error: command failed' }]);
    assert.equal(report.sessions, 2);

    const failed = await bench(await freePort(), '-c', '2', '-m', '7', '--workers', '2');
    assert.equal(failed.code, 2, failed.stderr);
    const failures = JSON.parse(failed.stdout).result;
    assert.deepEqual(failures.messages, { attempted: 7, accepted: 0, refused: 0, failed: 7 });
    assert.deepEqual(failures.errors.map((group: { step: string; kind: string; count: number }) => [group.step, group.kind, group.count]), [['connect', 'connect', 7]]);
  });

  it('--workers that is not a whole number from 1 to the number of sessions is a one-line usage error (exit 1), before anything connects', async () => {
    const port = await freePort();
    for (const workers of ['0', '1.5', 'two', '3']) {
      const result = await runCli(['bench', '--server', `127.0.0.1:${port}`, '--from', 'load@example.org', '--to', 'sink@example.org', '-c', '2', '-m', '10', '--workers', workers], { timeoutMs: 15_000 });
      assert.equal(result.code, 1, `--workers ${workers}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`--workers ${workers.replace('.', '\\.')} `));
      assert.equal(result.stdout, '');
    }
  });

  it('text output: a report with rates and the latency table, no progress bar when not on a terminal', async () => {
    const port = await startSink();
    const result = await runCli(['bench', '--server', `127.0.0.1:${port}`, '--from', 'load@example.org', '--to', 'sink@example.org', '-m', '20', '--reuse'], { timeoutMs: 15_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^bench 127\.0\.0\.1:\d+: 20 of 20 messages of 1024 octets over 1 connection\(s\), reusing sessions$/m);
    assert.match(result.stdout, /^ {2}accepted 20 {3}refused 0 {3}failed 0 {3}in \d+\.\d\d s over 1 session\(s\)$/m);
    assert.match(result.stdout, /^ {2}STEP +COUNT +P50 +P95 +P99 +MAX$/m);
    assert.match(result.stdout, /^ {2}data +20 +[\d.]+ ms/m);
    assert.match(result.stdout, /✔ 20 messages accepted in \d+\.\d\d s, [\d.]+ messages\/s/);
    assert.equal(result.stderr, '');
  });
});
