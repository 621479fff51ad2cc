import { capabilityFindings } from '../core/capability-findings.js';
import { establishSession } from '../core/establish.js';
import { ExitCode } from '../outcome/exit-codes.js';
import { renderCapabilityTable } from '../render/capability-table.js';
import type { ConnectionFlags } from '../options/connection-options.js';
import { establishOptionsFrom, saveChain } from '../options/connection-options.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';

export type CapsFlags = ConnectionFlags & OutputFlags;

/** `smtpcheck caps`: EHLO before and after STARTTLS, side by side, with what each keyword means. */
export async function runCaps(flags: CapsFlags): Promise<number> {
  const output = new CommandOutput('caps', flags);
  try {
    // STARTTLS is used when offered, so both lists can be shown; --tls makes it mandatory.
    const options = establishOptionsFrom(flags, output.transcript, 'starttls-optional');
    const session = await establishSession(options);
    saveChain(flags, session.tls?.chain);
    await session.quit();
    const implicit = options.tlsMode === 'implicit';
    const before = implicit ? null : (session.capabilitiesBeforeTls ?? session.capabilities);
    const after = implicit ? session.capabilities : session.capabilitiesBeforeTls ? session.capabilities : null;
    const findings = capabilityFindings(implicit ? session.capabilities : before, implicit ? null : after, implicit);
    const columns = implicit
      ? [{ label: 'TLS (implicit)', capabilities: after }]
      : [
          { label: 'BEFORE TLS', capabilities: before },
          { label: after ? 'AFTER STARTTLS' : 'AFTER STARTTLS (n/a)', capabilities: after },
        ];
    output.print('');
    output.print(renderCapabilityTable(columns, findings, output.palette).join('\n'));
    const warnings = findings.filter((finding) => finding.level === 'warn').length;
    output.summary(`${options.host}:${options.port}: ${(after ?? before)?.extensions.size ?? 0} capabilities${session.tls ? `, TLS ${session.tls.protocol}` : ', no TLS'}${warnings ? `, ${warnings} warning(s)` : ''}`, warnings === 0);
    return output.finish({ server: `${options.host}:${options.port}`, greeting: session.greeting, beforeTls: before, afterTls: after, tls: session.tls, findings }, ExitCode.ok);
  } catch (error) {
    return output.fail(error);
  }
}

