import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../e2e/postfix-lab.js';
import { serverPool } from '../fakes/hostile-peer.js';
import type { ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * bench's load path reads replies through callbacks instead of promises
 * (sendMailThen, docs/performance.md#throughput-near-the-floor), through the same ReplyReader and
 * deadlines: a hostile server stays bounded there too. Each server here misbehaves
 * at one step; every message ends as a failure of the kind that step calls for, the
 * run ends, and the exit code is the protocol's (6).
 */
const track = serverPool();
const MODES = [['--reuse'], ['--reuse', '--pipeline'], ['--pipeline']];

interface ErrorGroup {
  step: string;
  kind: string;
  count: number;
  example: string;
}

async function benchAgainst(override: (step: ServerStep) => string | null | undefined, mode: string[]) {
  const server = await track(startResponder(smtpResponder({ override })));
  const result = await runCli(['bench', '--server', `127.0.0.1:${server.port}`, '--from', 'load@example.org', '--to', 'sink@example.org', '-m', '2', '--timeout', '1', '--json', ...mode], { timeoutMs: 15_000 });
  assert.equal(result.code, 6, `${mode.join(' ')}: ${result.stderr}`);
  const report = JSON.parse(result.stdout).result;
  assert.deepEqual(report.messages, { attempted: 2, accepted: 0, refused: 0, failed: 2 }, mode.join(' '));
  return report.errors as ErrorGroup[];
}

describe('bench against hostile servers', { concurrency: true }, () => {
  it('no reply to RCPT: each message fails with a timeout, at RCPT, or pipelined at DATA', async () => {
    for (const mode of MODES) {
      const errors = await benchAgainst((step) => (step === 'rcpt' ? null : undefined), mode);
      // Pipelined, the 354 to DATA comes second and stands for RCPT's reply: replies are
      // counted, not labelled (RFC 2920 §3.1), so the missing one is the last.
      const step = mode.includes('--pipeline') ? 'data' : 'rcpt';
      assert.deepEqual(errors.map((group) => [group.step, group.kind, group.count]), [[step, 'timeout', 2]], mode.join(' '));
    }
  });

  it('a reply line longer than the reader takes: a protocol failure, not a buffer that grows', async () => {
    for (const mode of MODES) {
      const errors = await benchAgainst((step) => (step === 'mail' ? `250 ${'x'.repeat(10_000)}` : undefined), mode);
      assert.deepEqual(errors.map((group) => [group.step, group.kind, group.count]), [['mail', 'protocol', 2]], mode.join(' '));
      assert.match(errors[0]!.example, /longer than 8192 bytes/);
    }
  });

  it('garbage instead of the verdict on the message: a protocol failure at DATA', async () => {
    for (const mode of MODES) {
      const errors = await benchAgainst((step) => (step === 'dot' ? 'thanks, got it' : undefined), mode);
      assert.deepEqual(errors.map((group) => [group.step, group.kind, group.count]), [['data', 'protocol', 2]], mode.join(' '));
      assert.match(errors[0]!.example, /malformed reply line/);
    }
  });

  it('two verdicts for one message: the surplus reply ends the session, neither is taken as the verdict', async () => {
    // In lockstep only: with --pipeline, QUIT or the next envelope follows the end of
    // data in the same write, their replies follow at once, and which command the
    // surplus is charged to depends on how the replies are chunked. The responder
    // writes both verdicts at once, so they arrive, and are judged, together.
    for (const mode of [['--reuse']]) {
      const errors = await benchAgainst((step) => (step === 'dot' ? '250 2.0.0 Ok: queued\n250 2.0.0 Ok: queued again' : undefined), mode);
      assert.deepEqual(errors.map((group) => [group.step, group.kind, group.count]), [['data', 'protocol', 2]], mode.join(' '));
      assert.match(errors[0]!.example, /nobody asked for/);
    }
  });
});
