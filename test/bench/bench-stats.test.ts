import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchParameters } from '../../src/bench/bench-stats.js';
import { BenchStats, benchExitCode, benchReport, loadShare, perSecond } from '../../src/bench/bench-stats.js';
import { refusal } from '../../src/bench/error-groups.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { Reply } from '../../src/core/reply.js';

const parameters: BenchParameters = { server: '127.0.0.1:25', connections: 2, messages: 4, size: 1000, reuse: true, pipeline: false, rate: null };
const reply = (line: string): Reply => ({ code: Number(line.slice(0, 3)), enhanced: null, lines: [line.slice(4)], raw: [line] });

describe('BenchStats and the report', () => {
  it('counts each message once as accepted, refused or failed, and the rates from accepted messages only', () => {
    const stats = new BenchStats();
    stats.recordAccepted(1000);
    stats.recordAccepted(1000);
    stats.recordRefused([refusal('rcpt', reply('550 no such user')), refusal('rcpt', reply('550 no such user'))]);
    stats.recordFailed({ step: 'data', code: null, kind: 'timeout', text: 'timed out' });
    stats.sessions = 2;
    const report = benchReport(stats, parameters, 500, false);
    assert.deepEqual(report.messages, { attempted: 4, accepted: 2, refused: 1, failed: 1 });
    assert.equal(report.messagesPerSecond, 4);
    assert.equal(report.bytesPerSecond, 4000);
    assert.equal(report.errors.length, 2);
    assert.deepEqual(report.errors[0], { step: 'rcpt', code: 550, kind: 'refused', count: 2, example: '550 no such user' });
  });

  it('reports only the steps that happened, with percentiles in milliseconds', () => {
    const stats = new BenchStats();
    for (const ms of [1, 2, 3, 4]) stats.recordStep('mail', ms);
    const report = benchReport(stats, parameters, 10, false);
    assert.deepEqual(Object.keys(report.steps), ['mail']);
    const { p50, ...exact } = report.steps.mail!;
    assert.deepEqual(exact, { count: 4, min: 1, mean: 2.5, p95: 4, p99: 4, max: 4 });
    // Bucket precision: at most 1/128 above the true value.
    assert.ok(p50 >= 2 && p50 <= 2 * (1 + 1 / 128), `p50 ${p50}`);
  });

  it('computes rates to one decimal and zero for an empty run', () => {
    assert.equal(perSecond(20_000, 850), 23529.4);
    assert.equal(perSecond(5, 0), 0);
  });
});

describe('adding tallies (bench --workers)', () => {
  it('two tallies added give the report one tally of every message would have', () => {
    const whole = new BenchStats();
    const parts = [new BenchStats(), new BenchStats()];
    for (let index = 0; index < 50; index += 1) {
      const part = parts[index % 2]!;
      for (const stats of [whole, part]) {
        stats.recordStep('mail', 0.1 + index * 0.37);
        if (index % 7 === 0) stats.recordRefused([refusal('rcpt', reply(`550 no such user ${index}`))]);
        else if (index % 11 === 0) stats.recordFailed({ step: 'data', code: null, kind: 'timeout', text: 'timed out' });
        else stats.recordAccepted(1000);
      }
    }
    whole.sessions = 4;
    parts[0]!.sessions = 3;
    parts[1]!.sessions = 1;
    const added = new BenchStats();
    for (const part of parts) added.add(structuredClone(part.snapshot()));
    assert.deepEqual(benchReport(added, parameters, 500, false), benchReport(whole, parameters, 500, false));
  });

  it('a load split N ways: the messages add up to the whole, differing by one at most, and the rates add up to the whole rate', () => {
    const load = { connections: 10, messages: 1001, size: 1000, reuse: true, pipeline: false, rate: 300 };
    for (const total of [1, 2, 3, 7]) {
      const shares = Array.from({ length: total }, (_, index) => loadShare(load, index + 1, total));
      assert.equal(shares.reduce((sum, share) => sum + share.messages, 0), 1001);
      assert.ok(Math.max(...shares.map((share) => share.messages)) - Math.min(...shares.map((share) => share.messages)) <= 1);
      assert.ok(Math.abs(shares.reduce((sum, share) => sum + share.rate!, 0) - 300) < 1e-9);
    }
  });
});

describe('benchExitCode (docs/bench.md)', () => {
  const exitFor = (record: (stats: BenchStats) => void, interrupted = false) => {
    const stats = new BenchStats();
    record(stats);
    return benchExitCode(benchReport(stats, parameters, 100, interrupted));
  };

  it('is 0 when every message was accepted', () => {
    assert.equal(exitFor((stats) => [1, 2, 3, 4].forEach(() => stats.recordAccepted(1000))), ExitCode.ok);
  });

  it('is 5 when the server refused some and nothing else went wrong', () => {
    assert.equal(exitFor((stats) => { stats.recordAccepted(1000); stats.recordRefused([refusal('data', reply('552 too big'))]); }), ExitCode.rejected);
  });

  it('is the code of a failure without a verdict, before refusals: the smallest if several', () => {
    assert.equal(
      exitFor((stats) => {
        stats.recordRefused([refusal('rcpt', reply('550 no'))]);
        stats.recordFailed({ step: 'data', code: null, kind: 'timeout', text: 'timed out' });
        stats.recordFailed({ step: 'starttls', code: null, kind: 'tls', text: 'handshake failed' });
      }),
      ExitCode.tls,
    );
    assert.equal(exitFor((stats) => stats.recordFailed({ step: 'connect', code: null, kind: 'connect', text: 'ECONNREFUSED' })), ExitCode.connect);
    assert.equal(exitFor((stats) => stats.recordFailed({ step: 'auth', code: 535, kind: 'auth', text: '535' })), ExitCode.auth);
  });

  it('is 130 when interrupted, whatever was counted', () => {
    assert.equal(exitFor((stats) => stats.recordAccepted(1000), true), ExitCode.interrupted);
  });
});
