import type { ChalkInstance } from 'chalk';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { EmbeddedLab } from '../lab/embedded-lab.js';
import { startEmbeddedLab } from '../lab/embedded-lab.js';
import type { LabDescription } from '../lab/lab-description.js';
import { paletteFor } from '../render/palette.js';

export interface LabCommandOptions {
  host: string;
  basePort?: number;
  services?: string[];
  json?: boolean;
  /** Write the demo CA here and keep it; by default it goes to a temporary file removed on exit. */
  caOut?: string;
}

/**
 * `smtpcheck lab`: runs the embedded lab until SIGINT or SIGTERM, printing where each
 * service listens, the demo users and how to point smtpcheck at it (docs/lab.md).
 */
export async function runLabCommand(options: LabCommandOptions): Promise<number> {
  if (!isLoopback(options.host)) {
    process.stderr.write(
      `warning: ${options.host} is not a loopback address. The lab's TLS key is public and its passwords are printed\n` +
        'below, so anyone who can reach it can log in; it keeps mail in memory and forwards nothing.\n',
    );
  }
  const lab = await startLab(options);
  try {
    const caFile = await writeCaFile(lab.caPem ?? '', options.caOut);
    try {
      const { received: _received, close: _close, ...description } = lab;
      const shown: ShownLab = { ...description, caFile: caFile.path };
      process.stdout.write(
        options.json ? `${JSON.stringify(shown, null, 2)}\n` : renderLabText(shown, paletteFor(process.stdout)),
      );
      await untilStopSignal();
    } finally {
      await caFile.remove();
    }
  } finally {
    await lab.close();
  }
  return ExitCode.ok;
}

async function startLab(options: LabCommandOptions): Promise<EmbeddedLab> {
  try {
    return await startEmbeddedLab({
      host: options.host,
      ...(options.basePort === undefined ? {} : { basePort: options.basePort }),
      ...(options.services === undefined ? {} : { services: options.services }),
      // DNS for the lab's domain, its MX the mta service, so `smtpcheck domain` can be tried too.
      dns: options.services === undefined || options.services.includes('mta'),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      const port = (error as { port?: number }).port;
      throw new UsageError(
        `port ${port ?? '?'} on ${options.host} is already in use`,
        'pick another --base-port, or leave it out to listen on free ports',
      );
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new UsageError(`${options.host} is not an address of this machine`, 'use --host 127.0.0.1 or ::1');
    }
    throw error;
  }
}

interface CaFile {
  path: string;
  remove(): Promise<void>;
}

async function writeCaFile(caPem: string, requestedPath: string | undefined): Promise<CaFile> {
  if (requestedPath !== undefined) {
    await writeFile(requestedPath, caPem);
    return { path: requestedPath, remove: async () => undefined };
  }
  const directory = await mkdtemp(join(tmpdir(), 'smtpcheck-lab-'));
  const path = join(directory, 'demo-ca.pem');
  await writeFile(path, caPem);
  return { path, remove: () => rm(directory, { recursive: true, force: true }) };
}

function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Quotes a path for a POSIX shell only when it needs it, so the usual case stays readable. */
function shellWord(text: string): string {
  return /^[\w./:@%+,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** What `lab` shows: the description, and the DNS port when the lab answers DNS. */
type ShownLab = LabDescription & { dnsPort?: number };

export function renderLabText(lab: ShownLab, palette: ChalkInstance): string {
  const rows = Object.entries(lab.services).map(([name, service]) => ({
    name,
    port: String(service.port),
    role: service.role,
    flaw: service.flaw,
  }));
  const nameWidth = Math.max('SERVICE'.length, ...rows.map((row) => row.name.length));
  const portWidth = Math.max('PORT'.length, ...rows.map((row) => row.port.length));
  const roleWidth = Math.max('ROLE'.length, ...rows.map((row) => row.role.length));
  const line = (name: string, port: string, role: string, flaw: string) =>
    `  ${name.padEnd(nameWidth)}  ${port.padStart(portWidth)}  ${role.padEnd(roleWidth)}  ${flaw}`;

  const out: string[] = [
    palette.bold(`smtpcheck lab: Postfix 3.7 + Dovecot imitated on ${lab.host} (server name ${lab.hostname})`),
    '',
    palette.dim(line('SERVICE', 'PORT', 'ROLE', 'FLAW')),
    ...rows.map((row) =>
      line(row.name, row.port, row.role, row.flaw === null ? palette.green('secure') : palette.yellow(row.flaw)),
    ),
    '',
    `Domain ${lab.domain} (mail for ${lab.foreignDomain} and others is relayed: recorded, never sent).`,
    'Users (AUTH PLAIN or LOGIN; the secure services take it inside TLS only):',
    ...lab.users.map((user) => {
      const alias = lab.alias.owner === user.user ? `   may also send as ${lab.alias.address}` : '';
      return `  ${user.user}  ${user.password}${alias}`;
    }),
    `Demo CA (trust it for the lab only): ${lab.caFile ?? ''}`,
    ...(lab.dnsPort !== undefined ? [`DNS for ${lab.domain} (its MX is the mta service; not signed): ${hostPort(lab.host, lab.dnsPort)}, UDP and TCP`] : []),
    '',
    'Try:',
    ...tryCommands(lab).map((command) => `  ${command}`),
    '',
    'Ctrl-C stops the lab.',
    '',
  ];
  return out.join('\n');
}

function tryCommands(lab: ShownLab): string[] {
  const ca = `--tls-ca ${shellWord(lab.caFile ?? '')}`;
  const at = (service: string) => hostPort(lab.host, lab.services[service]!.port);
  const [john] = lab.users;
  // The password goes in the environment, as we recommend for real servers (argv is visible in ps).
  const login = john === undefined ? '' : ` -u ${john.user}`;
  const password = john === undefined ? '' : `SMTPCHECK_PASSWORD=${john.password} `;
  const commands: string[] = [];
  if ('mta' in lab.services) commands.push(`smtpcheck caps --server ${at('mta')} --tls ${ca}`);
  if ('submission' in lab.services) commands.push(`${password}smtpcheck auth --server ${at('submission')} --tls ${ca}${login}`);
  if ('submissions' in lab.services) commands.push(`smtpcheck caps --server ${at('submissions')} --tls-on-connect ${ca}`);
  if ('plaintext-auth' in lab.services) commands.push(`smtpcheck caps --server ${at('plaintext-auth')} --tls ${ca}`);
  if (lab.dnsPort !== undefined && 'mta' in lab.services) commands.push(`smtpcheck domain ${lab.domain} --resolver ${hostPort(lab.host, lab.dnsPort)} --port ${lab.services.mta!.port} ${ca}`);
  return commands;
}
