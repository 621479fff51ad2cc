import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabDescription } from '../../src/lab/lab-description.js';

/**
 * The real Postfix + Dovecot lab, started by test/run-all.sh before the test run
 * (test/lab/start.sh). A missing lab is a failure, never a skip: the only way to
 * leave these tests out is SMTPCHECK_SKIP_POSTFIX_LAB=1, which run-all.sh announces.
 */
export const LAB_DIR = process.env.SMTPCHECK_LAB_DIR ?? '/tmp/smtpcheck-lab';

export type RealLab = LabDescription & { dir: string; caFile: string; maildir: string };

/** A real lab's lab.json; a missing one is a failure that says how to start that lab. */
export function readLab(file: string, name: string, startScript: string): RealLab {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the ${name} lab is not running (${file} missing): start it with bash ${startScript}, or run the whole suite with npm test`);
  }
  return JSON.parse(text) as RealLab;
}

export function postfixLab(): RealLab {
  return readLab(`${LAB_DIR}/lab.json`, 'Postfix', 'test/lab/start.sh');
}

export type EximLab = RealLab & { eximVersion: string; eximLog: string };

/** The real Exim lab (test/lab/exim/start.sh), started by run-all.sh after the Postfix lab, in the same lab directory. */
export function eximLab(): EximLab {
  return readLab(`${LAB_DIR}/exim/lab.json`, 'Exim', 'test/lab/exim/start.sh') as EximLab;
}


export function servicePort(name: string): number {
  const service = postfixLab().services[name];
  if (!service) throw new Error(`the Postfix lab has no service ${name}`);
  return service.port;
}

const BIN = fileURLToPath(new URL('../../../bin/smtpcheck', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the real CLI as a user would, colour off, with a hard time limit.
 * `filePermissionsApply`: root reads any file whatever its mode; this runs the CLI
 * without the capabilities that let it (setpriv(1), util-linux), so a mode-0 file is
 * unreadable to it as to any user, wherever the checkout lives.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number; filePermissionsApply?: boolean } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const asRoot = options.filePermissionsApply && process.getuid?.() === 0;
    const command = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', process.execPath] : [process.execPath];
    const child = spawn(command[0]!, [...command.slice(1), BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', SMTPCHECK_PASSWORD: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`smtpcheck ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The text of the delivered message containing `token`, polling the Maildir for up to 10 s; throws if it never arrives. */
export async function waitForDelivery(maildir: string, token: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivered = readdirSync(maildir).map((file) => readFileSync(join(maildir, file), 'utf8')).find((text) => text.includes(token));
    if (delivered) return delivered;
    if (Date.now() > deadline) throw new Error(`message ${token} not delivered to ${maildir} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
