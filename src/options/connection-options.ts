import type { Command } from 'commander';
import { Option } from 'commander';
import { writeFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { Timeouts } from '../core/timeouts.js';
import { DEFAULT_TIMEOUTS } from '../core/timeouts.js';
import type { ConnectionSpec } from '../core/connection-spec.js';
import type { TlsMode } from '../core/establish.js';
import { UsageError } from '../core/errors.js';
import { chainToPem } from '../core/tls-session.js';
import { assertSingleLine } from '../core/wire-text.js';
import type { ProxyFlags } from './proxy-flags.js';
import { proxyHeaderFrom } from './proxy-flags.js';
import type { Socks5Flags } from './socks5-flags.js';
import { socks5ProxyFrom } from './socks5-flags.js';
import { defaultHeloName, parsePort, parseServer } from './target.js';

/** Flags shared by every command that talks to a server (docs/connection.md). */
export interface ConnectionFlags extends ProxyFlags, Socks5Flags {
  server?: string;
  port?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  localAddress?: string;
  helo?: string;
  protocol?: string;
  timeout?: string;
  connectTimeout?: string;
  greetingTimeout?: string;
  commandTimeout?: string;
  dataTimeout?: string;
  tls?: boolean;
  tlsOptional?: boolean;
  tlsOnConnect?: boolean;
  tlsCa?: string;
  tlsServername?: string;
  insecure?: boolean;
  tlsMin?: string;
  tlsMax?: string;
  tlsCiphers?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSaveChain?: string;
  showSecrets?: boolean;
}

export function addConnectionOptions(command: Command, options: { tlsDefault?: string } = {}): Command {
  return command
    .option('-s, --server <host[:port]>', 'server to test; IPv6 as [::1]:25')
    .option('-p, --port <port>', 'port (default 25, or 465 with --tls-on-connect)')
    .option('-4, --ipv4', 'connect over IPv4 only')
    .option('-6, --ipv6', 'connect over IPv6 only')
    .option('--local-address <ip>', 'source address to connect from')
    .option('--helo <name>', 'name to send with EHLO/HELO (default: this host\'s FQDN)')
    .addOption(new Option('--protocol <protocol>', 'SMTP or LMTP (LHLO)').choices(['smtp', 'lmtp']).default('smtp'))
    .option('--timeout <seconds>', 'set every timeout below at once')
    .option('--connect-timeout <seconds>', `TCP connect and TLS handshake (default ${DEFAULT_TIMEOUTS.connectMs / 1000})`)
    .option('--greeting-timeout <seconds>', `wait for the 220 greeting (default ${DEFAULT_TIMEOUTS.greetingMs / 1000})`)
    .option('--command-timeout <seconds>', `wait for each command's reply (default ${DEFAULT_TIMEOUTS.commandMs / 1000})`)
    .option('--data-timeout <seconds>', `wait for the reply to the end of the message (default ${DEFAULT_TIMEOUTS.dataMs / 1000})`)
    .option('--tls', `require STARTTLS; stop if it is not offered or fails${options.tlsDefault ? ` (${options.tlsDefault})` : ''}`)
    .option('--tls-optional', 'use STARTTLS when it works; go on in plaintext when it is missing, refused or fails')
    .option('--tls-on-connect', 'implicit TLS from the first byte (port 465)')
    .option('--tls-ca <file>', 'trust this CA (PEM) instead of the system roots')
    .option('--tls-servername <name>', 'name for SNI and certificate verification (default: the host)')
    .option('--insecure', 'continue when the certificate does not verify (still reported)')
    .addOption(new Option('--tls-min <version>', 'lowest TLS version').choices(TLS_VERSIONS))
    .addOption(new Option('--tls-max <version>', 'highest TLS version').choices(TLS_VERSIONS))
    .option('--tls-ciphers <list>', 'OpenSSL cipher list, e.g. DEFAULT@SECLEVEL=0 for legacy servers')
    .option('--tls-cert <file>', 'client certificate (PEM)')
    .option('--tls-key <file>', 'client key (PEM)')
    .option('--tls-save-chain <file>', 'write the server\'s certificate chain to FILE as PEM')
    .option('--show-secrets', 'show credentials in the transcript (decoded) instead of redacting them')
    .addOption(new Option('--proxy-protocol <version>', 'send a PROXY protocol header first (as a load balancer does)').choices(['v1', 'v2']))
    .option('--proxy-source <ip:port>', 'the client the PROXY header claims')
    .option('--proxy-dest <ip:port>', 'the destination the PROXY header claims (default: the server, when it is an IP)')
    .option('--socks5 <host:port>', 'connect through this SOCKS5 proxy (RFC 1928); it resolves the server name')
    .option('--socks5-user <user>', 'SOCKS5 user (RFC 1929); password from SMTPCHECK_SOCKS5_PASSWORD or --socks5-password-file')
    .option('--socks5-password-file <file>', 'read the SOCKS5 password from FILE');
}

const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a number of seconds`, `give a positive number, e.g. ${flag} 10`);
  return Math.round(number * 1000);
}

/** The four timeouts; `allMs` (a suite target's `timeout:`) stands where --timeout would. */
export function timeoutsFrom(flags: ConnectionFlags, allMs?: number): Timeouts {
  const all = allMs ?? seconds(flags.timeout, '--timeout');
  return {
    connectMs: seconds(flags.connectTimeout, '--connect-timeout') ?? all ?? DEFAULT_TIMEOUTS.connectMs,
    greetingMs: seconds(flags.greetingTimeout, '--greeting-timeout') ?? all ?? DEFAULT_TIMEOUTS.greetingMs,
    commandMs: seconds(flags.commandTimeout, '--command-timeout') ?? all ?? DEFAULT_TIMEOUTS.commandMs,
    dataMs: seconds(flags.dataTimeout, '--data-timeout') ?? all ?? DEFAULT_TIMEOUTS.dataMs,
  };
}

export function tlsModeFrom(flags: ConnectionFlags, fallback: TlsMode = 'none'): TlsMode {
  const chosen = [flags.tls && '--tls', flags.tlsOptional && '--tls-optional', flags.tlsOnConnect && '--tls-on-connect'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be combined`, 'pick one TLS mode');
  if (flags.tls) return 'starttls';
  if (flags.tlsOptional) return 'starttls-optional';
  if (flags.tlsOnConnect) return 'implicit';
  return fallback;
}

/**
 * The connection flags as one ConnectionSpec (src/core/connection-spec.ts), checked
 * once: every command and every check target of a run carries the result whole.
 * `fallbackTlsMode` is the command's default TLS mode when no TLS flag is given.
 */
export function connectionSpecFrom(flags: ConnectionFlags, fallbackTlsMode: TlsMode = 'none'): ConnectionSpec {
  if (!flags.server) throw new UsageError('no server given', 'add --server HOST[:PORT], e.g. --server mail.example.org:587');
  const tlsMode = tlsModeFrom(flags, fallbackTlsMode);
  const explicitPort = flags.port === undefined ? undefined : parsePort(flags.port, '--port');
  const target = parseServer(flags.server, explicitPort, tlsMode === 'implicit' ? 465 : 25);
  return { ...connectionSettingsFrom(flags, target, tlsMode), host: target.host, port: target.port };
}

/** Typed values that stand where the flags would: a suite file's entries, an MX host's name. */
export interface ConnectionOverrides {
  tlsMode?: TlsMode;
  caFile?: string;
  servername?: string;
  heloName?: string;
  /** Every timeout, as a suite's `timeout:` sets them; a step timeout flag is still more specific. */
  timeoutMs?: number;
}

/**
 * A ConnectionSpec for `server` from the command line's flags with `overrides` on top,
 * as values (never turned back into flag strings). `defaultHelo` stands where no
 * --helo and no override name one (the checks' smtpcheck.example).
 */
export function connectionSpecWith(server: { host: string; port: number }, overrides: ConnectionOverrides, flags: ConnectionFlags, defaultHelo: string): ConnectionSpec {
  const settings = connectionSettingsFrom(flags, server, overrides.tlsMode ?? tlsModeFrom(flags));
  return {
    ...settings,
    host: server.host,
    port: server.port,
    heloName: overrides.heloName ?? (flags.helo === undefined ? defaultHelo : settings.heloName),
    tls: { ...settings.tls, ...(overrides.caFile ? { caFile: overrides.caFile } : {}), ...(overrides.servername ? { servername: overrides.servername } : {}) },
    timeouts: timeoutsFrom(flags, overrides.timeoutMs),
  };
}

/**
 * Everything of a ConnectionSpec but the server: what the command line's flags say
 * for every target of a suite, whose own servers (and TLS modes, names, timeouts)
 * come from its file (src/cli/suite.ts).
 */
export function connectionSettingsFrom(flags: ConnectionFlags, server: { host: string; port: number }, tlsMode: TlsMode): Omit<ConnectionSpec, 'host' | 'port'> {
  if (flags.ipv4 && flags.ipv6) throw new UsageError('-4 and -6 cannot be combined', 'pick one address family');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together', 'give both, or neither');
  const proxyHeader = proxyHeaderFrom(flags, server);
  const socks5 = socks5ProxyFrom(flags);
  return {
    ...(socks5 ? { socks5 } : {}),
    ...(proxyHeader ? { proxyHeader } : {}),
    family: flags.ipv4 ? 4 : flags.ipv6 ? 6 : 0,
    ...(flags.localAddress ? { localAddress: flags.localAddress } : {}),
    heloName: assertSingleLine(flags.helo ?? defaultHeloName(), '--helo'),
    protocol: flags.protocol === 'lmtp' ? 'lmtp' : 'smtp',
    timeouts: timeoutsFrom(flags),
    tlsMode,
    tls: {
      ...(flags.tlsCa ? { caFile: flags.tlsCa } : {}),
      ...(flags.tlsServername ? { servername: flags.tlsServername } : {}),
      insecure: flags.insecure ?? false,
      ...(flags.tlsMin ? { minVersion: flags.tlsMin as SecureVersion } : {}),
      ...(flags.tlsMax ? { maxVersion: flags.tlsMax as SecureVersion } : {}),
      ...(flags.tlsCiphers ? { ciphers: flags.tlsCiphers } : {}),
      ...(flags.tlsCert ? { certFile: flags.tlsCert } : {}),
      ...(flags.tlsKey ? { keyFile: flags.tlsKey } : {}),
    },
    revealSecrets: flags.showSecrets ?? false,
  };
}

/** --tls-save-chain: the certificate chain the server sent, as PEM. */
export function saveChain(flags: ConnectionFlags, chain: Parameters<typeof chainToPem>[0] | undefined): void {
  if (!flags.tlsSaveChain || !chain) return;
  writeFileSync(flags.tlsSaveChain, chainToPem(chain));
}
