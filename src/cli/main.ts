import { Command, CommanderError } from 'commander';
import { addConnectionOptions } from '../options/connection-options.js';
import { SMTPCHECK_VERSION } from './version.js';
import { addXclientOptions } from '../options/xclient-flags.js';
import { addReportFormatOptions } from './report-formats.js';
import { swaksSpellingError } from './swaks-spellings.js';

/**
 * commander wiring only. Each command's module is imported when it runs, so what
 * commander answers on its own (help, usage errors) loads nothing but commander
 * (start-up is a measured goal; bin/smtpcheck answers the plain help forms from
 * texts that help-snapshot.ts renders from buildProgram() at build time).
 */

const withOutput = (command: Command) =>
  command
    .option('--json', 'print one JSON document (events and result) instead of text')
    .option('-q, --quiet', 'print only the summary line')
    .option('--show-time', 'show the latency of each reply');

const withAuth = (command: Command) =>
  command
    .option('-u, --auth-user <user>', 'user name to authenticate as')
    .option('--auth-password <password>', 'password (visible to other users in ps: prefer the two below or the prompt)')
    .option('--auth-password-file <file>', 'read the password from FILE')
    .option('--auth-mech <mechanism>', 'force a SASL mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SCRAM-SHA-1, XOAUTH2, OAUTHBEARER); `all` tries each one (auth)')
    .option('--allow-plaintext-auth', 'allow sending credentials without TLS');

type Action = (flags: Record<string, unknown>) => Promise<number>;
const run = (load: () => Promise<Action>) => async (flags: Record<string, unknown>) => {
  process.exitCode = (await promptSecrets(flags)) ?? (await (await load())(flags));
};

/**
 * The SOCKS5 password, when only a prompt can give it, is asked for before the
 * command starts (docs/connection.md#socks5). Null when the command may run; else
 * the exit code of the failed prompt (130 for Ctrl-C), its one line already written.
 */
async function promptSecrets(flags: Record<string, unknown>): Promise<number | null> {
  if (flags.socks5User === undefined) return null;
  const { promptSocks5Password } = await import('../options/socks5-flags.js');
  try {
    await promptSocks5Password(flags);
    return null;
  } catch (error) {
    const { writeErrorLine } = await import('./output.js');
    const { describeError } = await import('../outcome/describe-error.js');
    const { paletteFor } = await import('../render/palette.js');
    const described = describeError(error);
    writeErrorLine(described, paletteFor(process.stderr));
    return described.exitCode;
  }
}

const withTarget = (command: Command) =>
  withAuth(withOutput(addConnectionOptions(command)))
    .option('--role <role>', 'mta, submission or submissions (default from the port: 25, 587, 465)')
    .option('--local-recipient <address>', 'a mailbox the server hosts (default postmaster@<local domain>); checks that deliver mail send only to it')
    .option('--local-domain <domain>', 'a domain the server hosts (default: the domain of --local-recipient or --auth-user)')
    .option('--foreign-domain <domain>', 'a domain the server does not host (default example.net)')
    .option('--alias <address>', 'an address the login owns besides its own (spoof-owned-alias)')
    .option('--other-sender <address>', 'a hosted address the login does not own (spoofing checks)')
    .option('--concurrency <n>', 'connections open at once to the server (default 16)')
    .option('--retry-deferred <seconds>', 'after a deferral (greylisting, 4xx), wait SECONDS and ask once more (default 0: report it inconclusive)')
    .option('-v, --verbose', 'show the evidence transcript of every check');

/** The whole command line, not yet parsed: main() runs it, help-snapshot.ts renders its help. */
export function buildProgram(): Command {
  const program = new Command()
    .name('smtpcheck')
    .description('Test and diagnose SMTP servers: ESMTP, STARTTLS, AUTH, relay and sender checks with colour transcripts and verdicts.')
    .version(SMTPCHECK_VERSION, '-V, --version')
    // A fixed width, not the terminal's: the help rendered at build time must be
    // what commander prints in any terminal. Set before .command(), which copies it.
    .configureHelp({ helpWidth: 80 })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withOutput(addConnectionOptions(program.command('caps').description('show the EHLO capabilities before and after STARTTLS, with what each means'))).action(
    run(async () => (await import('./caps.js')).runCaps as Action),
  );

  withAuth(withOutput(addConnectionOptions(program.command('auth').description('log in and report whether the credentials work (AUTH)'))))
    .action(run(async () => (await import('./auth.js')).runAuth as Action));

  addXclientOptions(withAuth(withOutput(addConnectionOptions(program.command('send').description('send a message, showing every step of the conversation')))))
    .option('-f, --from <address>', 'envelope sender and From: header')
    .option('-t, --to <addresses...>', 'recipients (repeat the flag or separate with commas)')
    .option('--cc <addresses...>', 'Cc recipients (also added to the envelope)')
    .option('--bcc <addresses...>', 'envelope-only recipients')
    .option('--subject <text>', 'Subject (default: "smtpcheck test <token>")')
    .option('--header <header...>', 'extra header "Name: value"; replaces a default header of the same name')
    .option('--body <text|@file|->', 'message body: text, @file, or - for standard input')
    .option('--attach <@file...>', 'attach a file (repeatable); MIME type from the extension')
    .option('--data <@file|->', 'send a complete raw RFC 5322 message instead of building one')
    .option('--pipeline', 'pipeline MAIL, RCPT and DATA when the server offers PIPELINING')
    .option('--chunking', 'send with BDAT when the server offers CHUNKING')
    .option('--dsn-notify <list>', 'DSN NOTIFY=, e.g. SUCCESS,FAILURE or NEVER')
    .option('--dsn-ret <FULL|HDRS>', 'DSN RET=')
    .option('--dsn-envid <id>', 'DSN ENVID=')
    .option('--smtputf8', 'send SMTPUTF8 with MAIL (automatic for non-ASCII addresses)')
    .option('--quit-after <step>', 'stop after: connect, proxy (the PROXY header taken), banner, first-ehlo (before STARTTLS), tls (the handshake), ehlo, xclient, xclient-ehlo, auth, mail, rcpt (then QUIT); data (the 354: hang up, message not sent); dot (the message); swaks names too')
    .action(run(async () => (await import('./send.js')).runSend as Action));

  addReportFormatOptions(withTarget(program.command('check').description('run every applicable check and give verdicts with evidence and fixes')))
    .option('--checks <ids>', 'only these check ids (comma-separated)')
    .option('--skip <ids>', 'leave out these check ids')
    .option('--strict', 'warnings fail the run too')
    .option('--list', 'list every check id with its roles and severity, and exit')
    .option('--config <file>', 'run the suite described in a YAML file (see docs/ci.md)')
    .option('--baseline <file>', 'compare with a saved baseline: fail (exit 13) only when a check got worse')
    .option('--save-baseline <file>', 'write the verdicts as a baseline to commit next to the deployment')
    .option('--shard <i/n>', 'with --config: run the i-th of n slices of the targets (default: CI_NODE_INDEX/CI_NODE_TOTAL)')
    .option('--shard-total <n>', 'with --config and JOB_COMPLETION_INDEX (Kubernetes indexed Jobs): the number of slices')
    .action(run(async () => (await import('./check.js')).runCheckCommand as Action));

  addReportFormatOptions(withTarget(program.command('relay-test').description('probe every relay address form (percent hack, quoted, source routes, bang paths…)'))).action(
    run(async () => (await import('./relay-test.js')).runRelayTest as Action),
  );

  addReportFormatOptions(withOutput(addConnectionOptions(program.command('domain').argument('<domain>', 'the mail domain (the part after @)').description('test every MX of a domain: DNS, DNSSEC, DANE, MTA-STS, TLS-RPT and the MTA checks on each address (docs/domain.md)'))))
    .option('--resolver <ip[:port]>', 'validating resolver to ask; repeatable (default: the nameservers of /etc/resolv.conf)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--mta-sts-port <port>', 'HTTPS port of the MTA-STS policy fetch (default 443; for labs)')
    .option('--only-addresses <cidrs>', 'contact only addresses in these ranges (comma-separated CIDR; default SMTPCHECK_ONLY_ADDRESSES); DNS naming another stops the run, exit 2')
    .option('--local-recipient <address>', 'a mailbox the domain hosts (default postmaster@<domain>)')
    .option('--foreign-domain <domain>', 'a domain the servers do not host (default example.net)')
    .option('--concurrency <n>', 'connections open at once to each MX address (default 16)')
    .option('--retry-deferred <seconds>', 'after a deferral (greylisting, 4xx), wait SECONDS and ask once more (default 0)')
    .option('--checks <ids>', 'only these check ids (comma-separated; domain and MTA checks)')
    .option('--skip <ids>', 'leave out these check ids')
    .option('--strict', 'warnings fail the run too')
    .option('-v, --verbose', 'show the evidence of every check')
    .option('--baseline <file>', 'compare with a saved baseline: fail (exit 13) only when a check got worse')
    .option('--save-baseline <file>', 'write the verdicts as a baseline (domain-wide checks under the domain, the rest per MX address)')
    .action(async (domain: string, flags: Record<string, unknown>) => {
      process.exitCode = (await promptSecrets(flags)) ?? (await (await import('./domain.js')).runDomainCommand(domain, flags));
    });

  withAuth(withOutput(addConnectionOptions(program.command('bench').description('load-test a staging server: messages per second, latency per step, errors by reply code (docs/bench.md)'))))
    .option('-f, --from <address>', 'envelope sender and From: header')
    .option('-t, --to <addresses...>', 'recipients of every message (repeat the flag or separate with commas)')
    .option('-c, --connections <n>', 'sessions open at once (default 1)')
    .option('-m, --messages <n>', 'messages to send in all (default 100)')
    .option('--size <bytes>', 'octets per message, headers included (default 1024)')
    .option('--reuse', 'send message after message in each session instead of one connection per message')
    .option('--pipeline', 'pipeline MAIL, RCPT and DATA when the server offers PIPELINING, and (without --rate) the next message or QUIT behind each end of data')
    .option('--rate <per-second>', 'start at most this many messages per second, over all connections')
    .option('--shard <i/n>', 'run slice i of a load spread over n machines: 1/n of --messages and of --rate (default: CI_NODE_INDEX/CI_NODE_TOTAL); merge with report merge')
    .option('--shard-total <n>', 'with JOB_COMPLETION_INDEX (Kubernetes indexed Jobs): the number of slices')
    .option('--workers <n>', 'spread the sessions over n worker threads, for loads one core cannot drive (default 1); one report')
    .action(run(async () => (await import('./bench.js')).runBenchCommand as Action));

  withAuth(addConnectionOptions(program.command('repl').description('type an SMTP session by hand, with TLS, AUTH and sending as meta-commands (:help); reads a script from a pipe')))
    .option('--role <role>', 'mta, submission or submissions, for :check (default from the port)')
    .option('--local-recipient <address>', 'a mailbox the server hosts, for :check')
    .option('--local-domain <domain>', 'a domain the server hosts, for :check')
    .option('--no-history', 'neither read nor write the history file')
    .action(run(async () => (await import('./repl.js')).runRepl as Action));

  program
    .command('lab')
    .description('run the embedded demo mail server (secure and deliberately broken services) on loopback')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--base-port <port>', 'listen on fixed ports from this number on (default: free ports)')
    .option('--services <names...>', 'only these services')
    .option('--json', 'print the lab description as JSON')
    .option('--ca-out <file>', 'write the demo CA certificate here (default: a temporary file)')
    .action(
      run(async () => {
        const { runLabCommand } = await import('./lab.js');
        return (flags) =>
          runLabCommand({
            host: flags.host as string,
            ...(flags.basePort !== undefined ? { basePort: Number(flags.basePort) } : {}),
            ...(flags.services !== undefined ? { services: flags.services as string[] } : {}),
            json: Boolean(flags.json),
            ...(flags.caOut !== undefined ? { caOut: flags.caOut as string } : {}),
          });
      }),
    );

  const merge = program
    .command('report')
    .description('work with saved JSON reports (docs/ci.md#shards)')
    .command('merge')
    .description('merge the JSON reports of a sharded suite (or of several runs) into one report, with the exit code of the whole')
    .argument('<files...>', 'JSON reports written by check --config FILE --json')
    .option('--json', 'print the merged report as one JSON document')
    .option('-q, --quiet', 'print only the summary line');
  addReportFormatOptions(merge).action(async (files: string[], flags: Record<string, unknown>) => {
    process.exitCode = await (await import('./report-merge.js')).runReportMerge(files, flags);
  });

  program
    .command('demo')
    .description('start the embedded lab and run the main job against it: caps, AUTH, a message, and the checks on a secure and an open-relay server')
    .option('--quick', 'skip the check suites')
    .action(run(async () => (await import('./demo.js')).runDemo as Action));

  return program;
}

/** Help and version exit 0; every parsing error is a usage error (docs/exit-codes.md). */
export const exitCodeOf = (error: CommanderError): number => (error.exitCode === 0 ? 0 : 1);

export async function main(argv: string[]): Promise<void> {
  try {
    const program = buildProgram();
    const [name, ...args] = argv.slice(2);
    const refusal = swaksSpellingError(program.commands.find((command) => command.name() === name), args);
    if (refusal) throw refusal;
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = exitCodeOf(error);
    } else {
      const { writeErrorLine } = await import('./output.js');
    const { describeError } = await import('../outcome/describe-error.js');
      const { paletteFor } = await import('../render/palette.js');
      const described = describeError(error);
      writeErrorLine(described, paletteFor(process.stderr));
      if (process.env.SMTPCHECK_DEBUG) console.error(error);
      process.exitCode = described.exitCode;
    }
  }
}
