import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The CLI as a child process, for what runCli (test/e2e/postfix-lab.ts) cannot see:
 * the peak memory of the run and the process while it is still alive.
 */
const BIN = fileURLToPath(new URL('../../../bin/smtpcheck', import.meta.url));

// Preloaded into the child: on exit, report VmHWM (peak resident set, in kB) from
// /proc/self/status on file descriptor 3, which only this harness reads.
const PEAK_RSS_HOOK = `data:text/javascript,${encodeURIComponent(
  "import { readFileSync, writeSync } from 'node:fs'; process.on('exit', () => { const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')); writeSync(3, m ? m[1] : '-1'); });",
)}`;

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** Peak resident set size of the CLI process, in MB. */
  peakRssMb: number;
}

const childEnv = (env: Record<string, string> = {}) => ({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '', SMTPCHECK_PASSWORD: '', ...env });

/** Run the CLI to the end with a hard time limit, measuring its peak memory. */
export async function runCliMeasured(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_RSS_HOOK, BIN, ...args], { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let peak = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => (peak += chunk));
  const ended = await untilExit(child, args, options.timeoutMs);
  return { ...ended, elapsedMs: performance.now() - started, peakRssMb: Number(peak) / 1024 };
}

// Preloaded into the child: every TCP connection it tries (net, tls, https all go
// through net.Socket#connect) is written as JSON on file descriptor 3 and refused
// before any packet is sent, so a test can show that nothing was dialled, and a bug
// could not dial out. DNS over UDP (node:dgram) is left alone.
const REFUSE_DIALS_HOOK = `data:text/javascript,${encodeURIComponent(
  "import net from 'node:net'; import { writeSync } from 'node:fs'; net.Socket.prototype.connect = function (...args) { const first = Array.isArray(args[0]) ? args[0][0] : args[0]; const to = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }; writeSync(3, JSON.stringify({ host: to.host ?? to.path ?? null, port: to.port ?? null }) + '\\n'); process.nextTick(() => this.destroy(Object.assign(new Error('connect EPERM (refused by the test)'), { code: 'EPERM' }))); return this; };",
)}`;

export interface RefusedDialsRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every TCP connection the CLI tried, in order; none of them was made. */
  dials: { host: string | null; port: number | null }[];
}

/** Run the CLI to the end with every TCP connection refused and recorded. */
export async function runCliRefusingDials(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RefusedDialsRun> {
  const child = spawn(process.execPath, ['--import', REFUSE_DIALS_HOOK, BIN, ...args], { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let log = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => (log += chunk));
  const ended = await untilExit(child, args, options.timeoutMs);
  return { ...ended, dials: log.split('\n').filter(Boolean).map((line) => JSON.parse(line) as RefusedDialsRun['dials'][number]) };
}

export interface LiveCli {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Start the CLI and hand back the running process (for /proc/<pid> inspection). */
export function startCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: untilExit(child, args, options.timeoutMs) };
}

/** The child's output and exit code; it is killed, and the wait fails, after `timeoutMs` (default 20 s). */
function untilExit(child: ChildProcess, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`smtpcheck ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
