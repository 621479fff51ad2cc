import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/main.js';
import type { HelpSnapshot } from '../../src/cli/help-snapshot.js';

/**
 * bin/smtpcheck answers the plain help forms from dist/src/cli/help-snapshot.json;
 * SMTPCHECK_NO_HELP_CACHE=1 makes it ask commander. Both must print the same bytes
 * with the same exit code, in any terminal.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SNAPSHOT_FILE = join(ROOT, 'dist/src/cli/help-snapshot.json');

// Preloaded into the child: on exit, report on file descriptor 3 how many of
// commander's files were loaded (it is CommonJS, so they are in require.cache).
const COMMANDER_COUNT_HOOK = `data:text/javascript,${encodeURIComponent(
  "import { createRequire } from 'node:module'; import { writeSync } from 'node:fs'; const { cache } = createRequire('/'); process.on('exit', () => writeSync(3, String(Object.keys(cache).filter((file) => file.includes('/node_modules/commander/')).length)));",
)}`;

// Preloaded into the child: standard output and error look like a 200-column colour
// terminal to commander, which reads exactly these properties.
const WIDE_COLOUR_TERMINAL_HOOK = `data:text/javascript,${encodeURIComponent(
  'for (const stream of [process.stdout, process.stderr]) Object.assign(stream, { isTTY: true, columns: 200, hasColors: () => true });',
)}`;

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  commanderFiles: number;
}

interface RunOptions {
  env?: Record<string, string>;
  hook?: string;
  root?: string;
}

async function runBin(args: string[], options: RunOptions = {}): Promise<Run> {
  const { NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE, COLUMNS, SMTPCHECK_NO_HELP_CACHE, ...inherited } = process.env;
  const imports = ['--import', COMMANDER_COUNT_HOOK, ...(options.hook ? ['--import', options.hook] : [])];
  const child = spawn(process.execPath, [...imports, join(options.root ?? ROOT, 'bin/smtpcheck'), ...args], {
    env: { ...inherited, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const [stdout, stderr, commanderFiles, [code]] = await Promise.all([text(child.stdout!), text(child.stderr!), text(child.stdio[3] as Readable), once(child, 'close')]);
  return { stdout, stderr, code, commanderFiles: Number(commanderFiles) };
}

const fastAndSlow = (args: string[], options: RunOptions = {}) =>
  Promise.all([runBin(args, options), runBin(args, { ...options, env: { ...options.env, SMTPCHECK_NO_HELP_CACHE: '1' } })]);

async function assertSameAsCommander(args: string[], options: RunOptions = {}): Promise<Run> {
  const [fast, slow] = await fastAndSlow(args, options);
  const label = `smtpcheck ${args.join(' ')}`;
  assert.ok(slow.commanderFiles > 0, `${label}: SMTPCHECK_NO_HELP_CACHE=1 did not reach commander`);
  assert.equal(fast.stdout, slow.stdout, `${label}: standard output`);
  assert.equal(fast.stderr, slow.stderr, `${label}: standard error`);
  assert.equal(fast.code, slow.code, `${label}: exit code`);
  return fast;
}

const commandNames = buildProgram().commands.map((command) => command.name());
const TOP_LEVEL_FORMS = [['--help'], ['-h'], ['help'], []];
const formsFor = (name: string) => [[name, '--help'], [name, '-h'], ['help', name]];

describe('help answered from the build-time snapshot', () => {
  it('holds the top level, no arguments and every command, so none of them needs commander', () => {
    const snapshot = JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8')) as HelpSnapshot;
    assert.ok(snapshot.program, 'no top-level help: is commander styling it?');
    assert.ok(snapshot.noArguments, 'no help for a bare smtpcheck: is commander styling it?');
    assert.deepEqual(Object.keys(snapshot.commands), commandNames);
  });

  it('prints what commander prints for --help, -h, help and no arguments', async () => {
    const runs = await Promise.all(TOP_LEVEL_FORMS.map((args) => assertSameAsCommander(args)));
    assert.match(runs[0]!.stdout, /^Usage: smtpcheck \[options\] \[command\]/);
    assert.equal(runs[0]!.code, 0);
    assert.equal(runs[3]!.stdout, '', 'a bare smtpcheck prints its help on standard error');
    assert.equal(runs[3]!.stderr, runs[0]!.stdout);
    assert.equal(runs[3]!.code, 1);
  });

  for (const name of commandNames) {
    it(`prints what commander prints for ${name} --help, ${name} -h and help ${name}`, async () => {
      const runs = await Promise.all(formsFor(name).map((args) => assertSameAsCommander(args)));
      for (const run of runs) {
        assert.match(run.stdout, new RegExp(`^Usage: smtpcheck ${name} \\[options\\]`));
        assert.equal(run.code, 0);
      }
    });
  }

  it('leaves every other command line to commander, unknown and prototype names included', async () => {
    const forms = [['help', 'nosuch'], ['nosuchcommand'], ['help', 'help'], ['constructor', '--help'], ['help', '__proto__'], ['--help', 'send'], ['send', '--help', '--json']];
    const runs = await Promise.all(forms.map((args) => assertSameAsCommander(args)));
    for (const run of runs) assert.ok(run.commanderFiles > 0);
  });

  it('prints the same on a wide colour terminal and with FORCE_COLOR or NO_COLOR (help wraps at 80 columns)', async () => {
    const settings: RunOptions[] = [{ hook: WIDE_COLOUR_TERMINAL_HOOK }, { hook: WIDE_COLOUR_TERMINAL_HOOK, env: { FORCE_COLOR: '1', COLUMNS: '200' } }, { env: { FORCE_COLOR: '1' } }, { env: { NO_COLOR: '1' } }];
    for (const options of settings) {
      const runs = await Promise.all([['--help'], ['send', '--help'], []].map((args) => assertSameAsCommander(args, options)));
      for (const run of runs) {
        const longest = Math.max(...(run.stdout + run.stderr).split('\n').map((line) => line.length));
        assert.ok(longest <= 80, `a line of ${longest} columns with ${JSON.stringify(options)}`);
      }
    }
  });

  it('does not load commander for the help forms', async () => {
    const runs = await Promise.all([['--help'], ['help'], [], ['send', '--help'], ['help', 'check']].map((args) => runBin(args)));
    for (const run of runs) assert.equal(run.commanderFiles, 0);
  });
});

describe('help without a usable snapshot', () => {
  // A copy of the built tree, so that ageing or removing its snapshot disturbs no one.
  const copy = mkdtempSync(join(tmpdir(), 'smtpcheck-help-'));
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist/src'), join(copy, 'dist/src'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  after(() => rmSync(copy, { recursive: true, force: true }));

  it('asks commander when the code is newer than the snapshot (tsc run alone)', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'dist/src/options/connection-options.js'), later, later);
    const run = await runBin(['send', '--help'], { root: copy });
    assert.ok(run.commanderFiles > 0);
    assert.equal(run.stdout, (await runBin(['send', '--help'])).stdout);
  });

  it('asks commander, silently, when there is no snapshot', async () => {
    rmSync(join(copy, 'dist/src/cli/help-snapshot.json'));
    const run = await runBin(['--help'], { root: copy });
    assert.ok(run.commanderFiles > 0);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
  });
});
