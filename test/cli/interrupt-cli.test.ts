import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { LiveCli } from '../fakes/cli-process.js';
import { startCli } from '../fakes/cli-process.js';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * Ctrl-C on the built CLI: the child gets SIGINT while it waits on servers that
 * never answer, with timeouts of 30 s, so only the interruption can explain an end
 * within a second. The first SIGINT ends the run and prints what finished (exit
 * 130); a second exits at once.
 */
const track = serverPool();
const LONG_TIMEOUT = ['--timeout', '30'];
// "After ~300 ms" counted from the first connection, not from the spawn: the run is
// underway (its SIGINT handler installed) however slowly the CLI started.
const INTERRUPT_AFTER_MS = 300;
const PROMPT_EXIT_MS = 1000;
// Ends a test that hangs well before the 30 s timeouts would.
const CHILD_LIMIT_MS = 10_000;

/** A server that accepts connections and never says a word. */
const silentServer = () => track(startFakeServer(clientGone));

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Start the CLI, send SIGINT INTERRUPT_AFTER_MS after each of `servers` has seen
 * `connections` connections, and return how it ended and how long after the signal.
 */
/**
 * Start the CLI, wait until it is underway (`connections` to each server, and `ready`
 * when given: a state the test needs, however slow a loaded machine is to reach it),
 * then send SIGINT.
 */
async function interruptCli(args: string[], servers: FakeServer[], connections = 1, ready?: () => boolean): Promise<{ code: number | null; stdout: string; stderr: string; msAfterSigint: number }> {
  const cli: LiveCli = startCli(args, { timeoutMs: CHILD_LIMIT_MS });
  const underway = () => servers.every((server) => server.connections.length >= connections) && (ready?.() ?? true);
  await until(() => underway() || cli.child.exitCode !== null, CHILD_LIMIT_MS / 2, `${connections} connection(s) from the CLI to each server${ready ? ' and the state the test waits for' : ''}`);
  await new Promise((resolve) => setTimeout(resolve, INTERRUPT_AFTER_MS));
  const sentAt = performance.now();
  cli.child.kill('SIGINT');
  const ended = await cli.done;
  return { ...ended, msAfterSigint: performance.now() - sentAt };
}

function assertPromptInterruption(run: { code: number | null; stderr: string; msAfterSigint: number }): void {
  assert.equal(run.code, ExitCode.interrupted, run.stderr);
  assert.ok(run.msAfterSigint < PROMPT_EXIT_MS, `exited ${Math.round(run.msAfterSigint)} ms after SIGINT`);
}

describe('Ctrl-C on the CLI', { concurrency: true }, () => {
  it('check: exits 130 within a second, says how many checks did not start, and passes nothing', async () => {
    const server = await silentServer();
    const run = await interruptCli(['check', '--server', `127.0.0.1:${server.port}`, '--role', 'mta', '--local-domain', 'example.org', '--concurrency', '2', ...LONG_TIMEOUT], [server]);
    assertPromptInterruption(run);
    const note = /^\*\*\* interrupted: (\d+) of (\d+) checks did not start; the report shows the others$/m.exec(run.stdout);
    assert.ok(note, run.stdout);
    const [notStarted, selected] = [Number(note[1]), Number(note[2])];
    assert.ok(notStarted > 0, 'two at a time: most checks never started');
    const resultLines = run.stdout.split('\n').filter((line) => /^\s+\S+ (PASS|FAIL|WARN|INFO|SKIP|INCONCLUSIVE|ERROR)\s/.test(line));
    assert.equal(resultLines.length, selected - notStarted, 'the report shows exactly the checks that started');
    assert.doesNotMatch(run.stdout, /\bPASS\b/);
    const errors = resultLines.filter((line) => /\bERROR\b/.test(line));
    assert.ok(errors.length > 0 && errors.every((line) => /interrupted: no verdict/.test(line)), resultLines.join('\n'));
  });

  it('check --json: one JSON document with summary.interrupted, the started checks as error, none passed', async () => {
    const server = await silentServer();
    const run = await interruptCli(['check', '--server', `127.0.0.1:${server.port}`, '--role', 'mta', '--local-domain', 'example.org', '--concurrency', '2', '--json', ...LONG_TIMEOUT], [server]);
    assertPromptInterruption(run);
    const report = JSON.parse(run.stdout) as { exitCode: number; result: { checks: { verdict: string }[]; summary: { interrupted?: boolean; total: number } } };
    assert.equal(report.exitCode, ExitCode.interrupted);
    assert.equal(report.result.summary.interrupted, true);
    assert.ok(report.result.checks.length > 0 && report.result.checks.every((check) => check.verdict === 'error'), JSON.stringify(report.result.checks));
  });

  it('relay-test: exits 130 within a second and says "no verdict", never "none relayed"', async () => {
    const server = await silentServer();
    const run = await interruptCli(['relay-test', '--server', `127.0.0.1:${server.port}`, '--local-domain', 'example.org', ...LONG_TIMEOUT], [server]);
    assertPromptInterruption(run);
    assert.match(run.stdout, /^\*\*\* interrupted: \d+ of \d+ checks did not start; the report shows the others$/m);
    assert.match(run.stdout, /interrupted, no verdict/);
    assert.doesNotMatch(run.stdout, /none of \d+ address forms relayed|REFUSED/);
  });

  it('check --config: both targets end within a second with exit 130, and the JUnit file passes no interrupted check', async () => {
    const [first, second] = [await silentServer(), await silentServer()];
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-interrupt-'));
    const config = join(dir, 'suite.yml');
    const junit = join(dir, 'report.xml');
    // `expect: error` on an interrupted check must not turn it into an accepted result.
    writeFileSync(
      config,
      `targets:
  - name: first
    server: 127.0.0.1:${first.port}
    role: mta
    local-domain: example.org
    timeout: 30
    checks: [conn-greeting, esmtp-ehlo, relay-open-basic]
    expect:
      conn-greeting: error
  - name: second
    server: 127.0.0.1:${second.port}
    role: mta
    local-domain: example.org
    timeout: 30
    checks: [conn-greeting, esmtp-ehlo]
`,
    );
    const run = await interruptCli(['check', '--config', config, '--junit', junit], [first, second], 2);
    assertPromptInterruption(run);
    assert.match(run.stdout, /^\*\*\* first: interrupted: 0 of 3 checks did not start/m);
    assert.match(run.stdout, /^\*\*\* second: interrupted: 0 of 2 checks did not start/m);
    assert.doesNotMatch(run.stdout, /\bPASS\b/);
    assert.ok(existsSync(junit), 'the JUnit file is written');
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuite name="first" tests="3" failures="0" errors="3"/);
    assert.match(xml, /<testsuite name="second" tests="2" failures="0" errors="2"/);
    const testcases = xml.match(/<testcase [\s\S]*?<\/testcase>/g) ?? [];
    assert.equal(testcases.length, 5);
    for (const testcase of testcases) assert.match(testcase, /<error type="error" message="interrupted: no verdict"/, testcase);
  });

  it('bench: sessions waiting for a greeting end at once; nothing is counted and the report says interrupted', async () => {
    const server = await silentServer();
    const run = await interruptCli(['bench', '--server', `127.0.0.1:${server.port}`, '--from', 'load@example.net', '--to', 'r@example.org', '-c', '2', '-m', '10', '--json', ...LONG_TIMEOUT], [server], 2);
    assertPromptInterruption(run);
    const { result } = JSON.parse(run.stdout);
    assert.equal(result.interrupted, true);
    assert.deepEqual(result.messages, { attempted: 0, accepted: 0, refused: 0, failed: 0 });
    assert.deepEqual(result.errors, [], 'an interruption is not a failure of the server');
    assert.equal(result.sessions, 0);
  });

  it('bench --workers 2: every worker\'s sessions end at once, and the one report says interrupted', async () => {
    const server = await silentServer();
    const run = await interruptCli(['bench', '--server', `127.0.0.1:${server.port}`, '--from', 'load@example.net', '--to', 'r@example.org', '-c', '2', '-m', '10', '--workers', '2', '--json', ...LONG_TIMEOUT], [server], 2);
    assertPromptInterruption(run);
    const { result } = JSON.parse(run.stdout);
    assert.equal(result.interrupted, true);
    assert.equal(result.parameters.workers, 2);
    assert.deepEqual(result.messages, { attempted: 0, accepted: 0, refused: 0, failed: 0 });
    assert.deepEqual(result.errors, []);
  });

  it('bench: a session waiting for the reply to EHLO ends at once too', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'ehlo' ? null : undefined) })));
    const run = await interruptCli(['bench', '--server', `127.0.0.1:${server.port}`, '--from', 'load@example.net', '--to', 'r@example.org', '-m', '10', '--json', ...LONG_TIMEOUT], [server]);
    assertPromptInterruption(run);
    const { result } = JSON.parse(run.stdout);
    assert.equal(result.interrupted, true);
    assert.deepEqual(result.messages, { attempted: 0, accepted: 0, refused: 0, failed: 0 });
  });

  it('bench: messages accepted before Ctrl-C are counted, the one cut short is neither accepted nor failed', async () => {
    let queued = 0;
    // Accepts three messages, then never answers the end of the fourth.
    const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'dot' && ++queued > 3 ? null : undefined) })));
    const run = await interruptCli(['bench', '--server', `127.0.0.1:${server.port}`, '--from', 'load@example.net', '--to', 'r@example.org', '-m', '100', '--reuse', '--json', ...LONG_TIMEOUT], [server], 1, () => queued >= 4);
    assertPromptInterruption(run);
    const { result, exitCode } = JSON.parse(run.stdout);
    assert.equal(exitCode, ExitCode.interrupted);
    assert.equal(result.interrupted, true);
    assert.deepEqual(result.messages, { attempted: 3, accepted: 3, refused: 0, failed: 0 });
    assert.deepEqual(result.errors, []);
    assert.equal(queued, 4, 'the fourth message was on the wire when interrupted');
  });
});

/**
 * The second Ctrl-C, on the helper every interruptible command uses: the CLI's runs
 * end within milliseconds of the first, so the child here runs work that ignores
 * its signal, as a run whose sessions are slow to go would.
 */
const INTERRUPT_MODULE = fileURLToPath(new URL('../../src/cli/interrupt.js', import.meta.url));
const STUBBORN_RUN = `
import { interruptible } from ${JSON.stringify(INTERRUPT_MODULE)};
const { value } = await interruptible((signal) => new Promise((resolve) => {
  signal.addEventListener('abort', () => console.log('aborted'));
  console.log('running');
  setTimeout(resolve, 20000, 'finished');
}));
console.log(value);
`;

describe('a second Ctrl-C', () => {
  it('exits 130 at once, while the first only aborted and left the run to end on its own', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', STUBBORN_RUN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await until(() => stdout.includes('running'), CHILD_LIMIT_MS, 'the work to start');
      child.kill('SIGINT');
      await until(() => stdout.includes('aborted'), PROMPT_EXIT_MS, 'the first SIGINT to abort the signal');
      await new Promise((resolve) => setTimeout(resolve, INTERRUPT_AFTER_MS));
      assert.equal(child.exitCode, null, 'the first SIGINT does not end the process');
      const sentAt = performance.now();
      child.kill('SIGINT');
      assert.equal(await exited, ExitCode.interrupted);
      assert.ok(performance.now() - sentAt < PROMPT_EXIT_MS, `exited ${Math.round(performance.now() - sentAt)} ms after the second SIGINT`);
      assert.doesNotMatch(stdout, /finished/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
