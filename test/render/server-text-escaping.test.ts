import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import type { ChalkInstance } from 'chalk';
import { BenchStats, benchReport } from '../../src/bench/bench-stats.js';
import { renderBenchReport } from '../../src/bench/bench-report.js';
import type { CheckResult } from '../../src/checks/check.js';
import { renderMechanismTable } from '../../src/cli/auth.js';
import { terminalSafe } from '../../src/render/terminal-safe.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { CertificateSummary, TlsSessionInfo } from '../../src/core/tls-session.js';
import type { TranscriptEvent } from '../../src/core/transcript.js';
import { renderCheckReport } from '../../src/render/check-report.js';
import { renderGithubAnnotations } from '../../src/render/github-annotations.js';
import { printable } from '../../src/render/printable.js';
import { renderEvent } from '../../src/render/text-transcript.js';
import { ScriptFront } from '../../src/repl/script.js';
import { TerminalFront } from '../../src/repl/terminal.js';
import { runCli } from '../e2e/postfix-lab.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';
import { linesEvidence } from '../../src/checks/evidence.js';

/**
 * A server's colour codes and terminal commands never reach the terminal, coloured
 * or not: every renderer escapes server text before colouring it, because the
 * output's last step (terminalSafe) keeps colour sequences while colours are on.
 */

// Red text, then an OSC that sets the window title (ended by BEL).
const HOSTILE = '\x1b[31mRED\x1b[0m \x1b]0;title\x07';
const LEVELS = [1, 0] as const;

/** What CommandOutput.print writes for these lines. */
const printed = (lines: string[], c: ChalkInstance) => lines.map((line) => terminalSafe(line, true, c.level > 0)).join('\n');

/** Every opening and closing sequence chalk writes for the styles smtpcheck uses. */
function chalkSequences(c: ChalkInstance): Set<string> {
  const styles = [c.bold, c.dim, c.red, c.green, c.yellow, c.blue, c.magenta, c.cyan, c.magentaBright.dim, c.cyan.dim, c.bold.underline];
  return new Set(styles.flatMap((style) => style('x').split('x')).filter(Boolean));
}

function assertNoServerEscapes(text: string, c: ChalkInstance): void {
  assert.ok(!text.includes('\x1b[31mRED'), 'the server\'s red reached the terminal');
  assert.ok(!text.includes('\x1b]') && !text.includes('\x07'), 'the server\'s title sequence reached the terminal');
  assert.ok(text.includes('\\x1b[31mRED\\x1b[0m \\x1b]0;title\\x07'), 'the server\'s text is shown, escaped');
  if (c.level === 0) {
    assert.ok(!text.includes('\x1b'), 'an ESC without colours');
    return;
  }
  const ours = chalkSequences(c);
  const left = text.match(/\x1b\[[0-9;]*[A-Za-z]/g) ?? [];
  assert.ok(left.length > 0, 'the output is coloured');
  assert.deepEqual(left.filter((sequence) => !ours.has(sequence)), []);
}

const checkResult = (extra: Partial<CheckResult> = {}): CheckResult => ({
  id: 'conn-greeting',
  title: 'Correct greeting',
  verdict: 'warn',
  severity: 'func',
  summary: `greeting names "${HOSTILE}", not a fully qualified domain`,
  evidence: linesEvidence([`<-  220 ${HOSTILE}`, `*** server said ${HOSTILE}`]),
  fix: 'the server must greet with "220 <its FQDN> ESMTP"',
  durationMs: 3,
  ...extra,
});

const certificate = (name: string): CertificateSummary => ({
  subject: name,
  subjectAltNames: [name],
  issuer: name,
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2027-01-01T00:00:00.000Z',
  daysLeft: 200,
  notYetValid: false,
  serialNumber: '01',
  fingerprint256: 'AA',
  publicKey: 'EC 256 bits',
  selfSigned: true,
  derBase64: '',
});

const tlsSession: TlsSessionInfo = {
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  cipherStandardName: 'TLS_AES_256_GCM_SHA384',
  servername: null,
  chainVerified: false,
  chainError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  nameChecked: '127.0.0.1',
  nameMatches: false,
  nameError: null,
  chain: [certificate(`CN=${HOSTILE}`)],
  keyExchange: null,
};

/** A writable that keeps what was written, for the REPL fronts. */
function collector(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('server text in every renderer is escaped before it is coloured', () => {
  for (const level of LEVELS) {
    const mode = level ? 'coloured' : 'uncoloured';
    const c = new Chalk({ level });

    it(`${mode}: check report summaries and -v evidence show the server's sequences as \\x1b`, () => {
      const text = printed(renderCheckReport({ target: '127.0.0.1:25', role: 'mta' }, [checkResult()], c, { verbose: true, durationMs: 3 }), c);
      assertNoServerEscapes(text, c);
      assert.match(text, /│ <- {2}220 \\x1b\[31mRED/, 'the evidence line is there, escaped');
    });

    it(`${mode}: the auth --auth-mech all table escapes mechanism names and replies`, () => {
      const rows = [
        { mechanism: `X-${HOSTILE}`, result: 'not supported by smtpcheck', ok: null },
        { mechanism: 'PLAIN', result: `535 5.7.8 ${HOSTILE}`, ok: false },
      ];
      const text = printed(renderMechanismTable(rows, c), c);
      assertNoServerEscapes(text, c);
      assert.match(text, /PLAIN.*535 5\.7\.8 \\x1b\[31mRED/);
    });

    it(`${mode}: bench error groups show the first example escaped`, () => {
      const stats = new BenchStats();
      stats.recordRefused([{ step: 'rcpt', code: 550, kind: 'refused', text: `550 5.1.1 ${HOSTILE}` }]);
      const report = benchReport(stats, { server: '127.0.0.1:25', connections: 1, messages: 1, size: 1024, reuse: false, pipeline: false, rate: null }, 10, false);
      const text = printed(renderBenchReport(report, c), c);
      assertNoServerEscapes(text, c);
      assert.match(text, /RCPT .*550 5\.1\.1 \\x1b\[31mRED/);
    });

    it(`${mode}: transcript notes, warnings and errors quoting the server are escaped`, () => {
      const events: TranscriptEvent[] = [
        { type: 'info', at: 0, message: `after STARTTLS: ${HOSTILE}` },
        { type: 'warn', at: 0, message: `recipient b@example.org refused: 550 ${HOSTILE}` },
        { type: 'error', at: 0, step: 'mail', message: `MAIL refused: 550 ${HOSTILE}` },
      ];
      const text = printed(events.flatMap((event) => renderEvent(event, { palette: c })), c);
      assertNoServerEscapes(text, c);
      assert.equal(text.split('\\x1b[31mRED').length - 1, 3, 'each of the three lines quotes the server, escaped');
    });

    it(`${mode}: certificate subject, names and issuer are escaped in the TLS lines`, () => {
      const text = printed(renderEvent({ type: 'tls', at: 0, session: tlsSession }, { palette: c }), c);
      assertNoServerEscapes(text, c);
      assert.match(text, /certificate 0: CN=\\x1b\[31mRED/);
      assert.match(text, /names: {2}CN=\\x1b\[31mRED/);
      assert.match(text, /issuer: CN=\\x1b\[31mRED/);
    });

    it(`${mode}: the REPL's script and terminal fronts keep colour sequences only when colours are on`, () => {
      for (const make of [
        (output: Writable) => new ScriptFront(new PassThrough(), output, async () => '', c),
        (output: Writable) => new TerminalFront({ input: new PassThrough() as unknown as NodeJS.ReadStream, output: output as unknown as NodeJS.WriteStream, historyFile: null, passwordSource: async () => '', palette: c }),
      ]) {
        const out = collector();
        const front = make(out.stream);
        // A line as the transcript renderer makes it, and one a careless caller left unescaped.
        front.print([...renderEvent({ type: 'warn', at: 0, message: `server said ${HOSTILE}` }, { palette: c }), c.dim(`raw ${HOSTILE}`)]);
        if (front instanceof ScriptFront) front.close();
        const text = out.text();
        assert.ok(!text.includes('\x1b]') && !text.includes('\x07'), `${front.constructor.name}: the title sequence reached the terminal`);
        assert.match(text, /\*\*\* server said \\x1b\[31mRED/);
        if (level === 0) assert.ok(!text.includes('\x1b'), `${front.constructor.name}: an ESC without colours`);
        else assert.ok(text.includes(`${c.yellow('x').split('x')[0]}*** server said`), `${front.constructor.name}: our colours are kept`);
      }
    });
  }

  it('GitHub annotations carry no ESC or BEL from the server', () => {
    const lines = renderGithubAnnotations('mx', [checkResult({ verdict: 'fail' })]);
    assert.equal(lines.length, 1);
    assert.ok(!/[\x1b\x07]/.test(lines[0]!), 'a raw ESC or BEL in the annotation');
    assert.match(lines[0]!, /greeting names "\\x1b\[31mRED/);
  });

  it('printable escapes C0, DEL and C1 but keeps tabs and line feeds, and escaping twice changes nothing', () => {
    const once = printable('a\tb\nc\x00\x1b\x7f\x85\x9b\x9fé');
    assert.equal(once, 'a\tb\nc\\x00\\x1b\\x7f\\x85\\x9b\\x9fé');
    assert.equal(printable(once), once);
  });
});

describe('check through the CLI, coloured, against a server that sends escape sequences', () => {
  const track = serverPool();

  it('prints the greeting and EHLO domain escaped in summaries and evidence, with only chalk\'s colours', async () => {
    const server = await track(
      startResponder(
        smtpResponder({
          ehlo: () => ['PIPELINING'],
          override: (step) => (step === 'ehlo' ? `250-${HOSTILE.replace(' ', '')}.example.org\n250 PIPELINING` : undefined),
        }),
        { greeting: `220 ${HOSTILE} ESMTP` },
      ),
    );
    const result = await runCli(['check', '--server', `127.0.0.1:${server.port}`, '--checks', 'conn-greeting,esmtp-ehlo', '--local-domain', 'example.org', '--timeout', '2', '-v'], { env: { FORCE_COLOR: '1', NO_COLOR: '' }, timeoutMs: 20_000 });
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    const c = new Chalk({ level: 1 });
    assert.ok(result.stdout.includes(c.green(`✔ ${'PASS'.padEnd(12)}`)), 'the report is coloured');
    assert.match(result.stdout, /conn-greeting .*greeting names "\\x1b\[31mRED\\x1b\[0m"/);
    assert.match(result.stdout, /esmtp-ehlo .*EHLO answered by \\x1b\[31mRED\\x1b\[0m\\x1b\]0;title\\x07\.example\.org/);
    assertNoServerEscapes(result.stdout, c);
    assert.ok(!/[\x1b\x07]/.test(result.stderr));
  });
});
