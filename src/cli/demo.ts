import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { ExitCode } from '../outcome/exit-codes.js';
import { startEmbeddedLab } from '../lab/embedded-lab.js';
import { paletteFor } from '../render/palette.js';
import { runAuth } from './auth.js';
import { runCaps } from './caps.js';
import { runCheckCommand } from './check.js';
import { runDomainCommand } from './domain.js';
import { runSend } from './send.js';

/**
 * `smtpcheck demo`: the main job against the embedded lab, with nothing installed.
 * Capabilities, AUTH, a message, then the check suite on a secure and an insecure
 * service, and last `smtpcheck domain` on the lab's domain through the lab's own DNS. It exits 0 when every step behaved as the lab is built to behave
 * (the insecure service must fail its checks), and leaves nothing running.
 */
export async function runDemo(options: { quick?: boolean } = {}): Promise<number> {
  const c = paletteFor(process.stdout);
  const lab = await startEmbeddedLab({ services: ['mta', 'submission', 'open-relay'], dns: true });
  const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-demo-'));
  const caFile = join(dir, 'demo-ca.pem');
  const passwordFile = join(dir, 'password');
  writeFileSync(caFile, lab.caPem!);
  const john = lab.users[0]!;
  writeFileSync(passwordFile, john.password, { mode: 0o600 });
  const server = (name: string) => `${lab.host}:${lab.services[name]!.port}`;
  const common = { tlsCa: caFile, protocol: 'smtp' };
  const problems: string[] = [];
  const expect = (step: string, code: number, wanted: number) => {
    if (code !== wanted) problems.push(`${step} exited ${code}, expected ${wanted}`);
  };
  try {
    heading(c, `The embedded lab is running on ${lab.host}: ${Object.entries(lab.services).map(([name, service]) => `${name} :${service.port}`).join(', ')}`);
    heading(c, '1. What does the MX offer, before and after STARTTLS?', `smtpcheck caps --server ${server('mta')} --tls-ca ${caFile}`);
    expect('caps', await runCaps({ ...common, server: server('mta') }), ExitCode.ok);

    heading(c, '2. Does AUTH work on the submission port (over TLS only)?', `smtpcheck auth --server ${server('submission')} --tls --tls-ca ${caFile} --auth-user ${john.user} --auth-password-file ${passwordFile}`);
    expect('auth', await runAuth({ ...common, server: server('submission'), tls: true, authUser: john.user, authPasswordFile: passwordFile }), ExitCode.ok);

    heading(c, '3. Send a message through submission', `smtpcheck send --server ${server('submission')} --tls --tls-ca ${caFile} --auth-user ${john.user} --auth-password-file ${passwordFile} --to ${lab.users[1]!.user} --subject 'Hello from the smtpcheck demo'`);
    expect('send', await runSend({ ...common, server: server('submission'), tls: true, authUser: john.user, authPasswordFile: passwordFile, from: john.user, to: [lab.users[1]!.user], subject: 'Hello from the smtpcheck demo' }), ExitCode.ok);

    if (!options.quick) {
      heading(c, '4. The check suite against the secure MX', `smtpcheck check --server ${server('mta')} --role mta --tls-ca ${caFile} --local-recipient ${john.user} --skip smug-eod`);
      expect('check (secure)', await runCheckCommand({ ...common, server: server('mta'), role: 'mta', localRecipient: john.user, skip: 'smug-eod' }), ExitCode.ok);

      heading(c, '5. …and against a deliberately open relay: every relay form must be caught', `smtpcheck check --server ${server('open-relay')} --role mta --tls-ca ${caFile} --local-recipient ${john.user} --skip smug-eod`);
      expect('check (open relay)', await runCheckCommand({ ...common, server: server('open-relay'), role: 'mta', localRecipient: john.user, skip: 'smug-eod' }), ExitCode.checksFailed);

      // The lab's own DNS is not signed: dnssec-signed warns and the TLSA is unusable;
      // docs/domain.md#the-dns-lab shows DNSSEC, DANE and MTA-STS for real.
      const resolver = `${lab.host}:${lab.dnsPort!}`;
      heading(c, '6. The whole mail domain: its MX from the lab\'s DNS, then every check on each address', `smtpcheck domain ${lab.domain} --resolver ${resolver} --port ${lab.services.mta!.port} --tls-ca ${caFile}`);
      expect('domain', await runDomainCommand(lab.domain, { ...common, resolver: [resolver], port: String(lab.services.mta!.port) }), ExitCode.ok);
    }
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('\n');
  if (problems.length > 0) {
    process.stdout.write(`${c.red('✘ demo did not behave as expected:')} ${problems.join('; ')}\n`);
    return ExitCode.internal;
  }
  const outcome = options.quick ? 'capabilities, AUTH and a message worked' : 'the secure services passed, the open relay was caught, the domain was tested MX by MX';
  process.stdout.write(`${c.green('✔ demo finished:')} ${outcome}. Point smtpcheck at your own server next: smtpcheck check --server mail.example.org:25 --local-recipient postmaster@example.org\n`);
  return ExitCode.ok;
}

function heading(c: ChalkInstance, title: string, command?: string): void {
  process.stdout.write(`\n${c.bold.underline(title)}\n`);
  if (command) process.stdout.write(`${c.dim(`$ ${command}`)}\n`);
}
