import { findMechanism } from '../core/sasl.js';

/**
 * The REPL's own commands, written with a leading colon so that nothing an SMTP
 * server understands is ever taken for one. Each has its usage, help text and a way
 * to complete its arguments; parsing and validation are pure.
 */
export type MetaCommand =
  | { name: 'starttls' }
  | { name: 'auth'; mechanism?: string; user?: string }
  | { name: 'ehlo' }
  | { name: 'caps' }
  | { name: 'send' }
  | { name: 'data' }
  | { name: 'b64'; mode: 'encode' | 'decode'; text: string }
  | { name: 'plain'; user: string }
  | { name: 'check'; id: string }
  | { name: 'reconnect' }
  | { name: 'save'; file: string }
  | { name: 'help'; topic?: MetaCommandName }
  | { name: 'quit' };

export type MetaCommandName = MetaCommand['name'];

/** What the arguments of a command complete to. */
export type ArgumentKind = 'mechanism' | 'b64-mode' | 'check-id' | 'meta-command' | 'file' | 'none';

export interface MetaCommandSpec {
  name: MetaCommandName;
  usage: string;
  summary: string;
  /** Longer help for `:help NAME`. */
  details: string;
  arguments: ArgumentKind;
}

export const META_COMMANDS: readonly MetaCommandSpec[] = [
  {
    name: 'starttls',
    usage: ':starttls',
    summary: 'upgrade this connection to TLS, verify the certificate, EHLO again and show what changed',
    details: 'Sends EHLO first if none was sent. The certificate is verified as with --tls (give --tls-ca for a private CA, --insecure to continue past a failure). Typing STARTTLS does the same.',
    arguments: 'none',
  },
  {
    name: 'auth',
    usage: ':auth [MECHANISM] [USER]',
    summary: 'log in; the password is asked for masked and never shown or saved',
    details: 'USER defaults to --auth-user; MECHANISM to --auth-mech or the strongest offered. Refused without TLS unless --allow-plaintext-auth. In script mode the password comes from SMTPCHECK_PASSWORD or --auth-password-file.',
    arguments: 'mechanism',
  },
  { name: 'ehlo', usage: ':ehlo', summary: 'send EHLO with the --helo name and remember the capabilities', details: 'Falls back to HELO when the server does not know EHLO. To send another name, type EHLO NAME.', arguments: 'none' },
  { name: 'caps', usage: ':caps', summary: 'show the capabilities (before and after STARTTLS) with what each means', details: 'Sends EHLO first if none was sent.', arguments: 'none' },
  {
    name: 'send',
    usage: ':send',
    summary: 'compose a message (from, to, subject, body, attachments) and send it with MAIL, RCPT and DATA',
    details: 'The body ends with a line holding only "."; an empty body sends a test text with a unique token. Attachments are file paths, separated by commas.',
    arguments: 'none',
  },
  {
    name: 'data',
    usage: ':data',
    summary: 'type a message (headers, empty line, body) ending with a lone ".", then send it with DATA',
    details: 'Lines are sent as typed: line ends become CRLF and a line starting with "." is dot-stuffed for you (RFC 5321 §4.5.2), so type ".hidden" to send ".hidden". Typing DATA and getting 354 enters the same mode.',
    arguments: 'none',
  },
  {
    name: 'b64',
    usage: ':b64 encode|decode TEXT',
    summary: 'base64 for hand-made AUTH lines; \\0 in TEXT is a NUL byte (never kept in the history)',
    details: 'encode understands \\0, \\n, \\t and \\\\; decode shows NUL bytes as \\0 and other control characters escaped.',
    arguments: 'b64-mode',
  },
  {
    name: 'plain',
    usage: ':plain USER',
    summary: 'print the AUTH PLAIN line for USER (password asked for masked)',
    details: 'The printed line is the password merely encoded, as `printf \'\\0USER\\0PASSWORD\' | base64` gives it: treat it as the password itself.',
    arguments: 'none',
  },
  {
    name: 'check',
    usage: ':check ID',
    summary: 'run one check against this server (on its own connections) and show the verdict with evidence',
    details: 'Checks needing a login use the one from the last successful :auth. --role, --local-recipient and --local-domain work as for `smtpcheck check`. Ctrl-C stops a running check (no verdict) and leaves this session as it was.',
    arguments: 'check-id',
  },
  { name: 'reconnect', usage: ':reconnect', summary: 'QUIT if still connected, then connect again with the same options', details: 'The transcript continues.', arguments: 'none' },
  { name: 'save', usage: ':save FILE', summary: 'write the transcript so far to FILE, secrets redacted', details: 'Credentials appear as <credentials for USER> even with --show-secrets. Tab completes the path.', arguments: 'file' },
  { name: 'help', usage: ':help [COMMAND]', summary: 'list the meta-commands, or explain one', details: 'Anything not starting with ":" is sent to the server as typed (CRLF added).', arguments: 'meta-command' },
  { name: 'quit', usage: ':quit', summary: 'send QUIT and leave (Ctrl-D does the same)', details: 'To send QUIT and stay, type QUIT.', arguments: 'none' },
];

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'raw'; line: string }
  | { kind: 'meta'; command: MetaCommand }
  | { kind: 'invalid'; message: string; hint: string };

export interface ParseContext {
  checkIds: readonly string[];
}

export function findMetaCommand(name: string): MetaCommandSpec | undefined {
  const bare = name.replace(/^:/, '').toLowerCase();
  return META_COMMANDS.find((spec) => spec.name === bare);
}

/** A typed line: nothing, a line for the server, or a meta-command with checked arguments. */
export function parseInput(line: string, context: ParseContext): ParsedInput {
  if (line.includes('\0')) return invalid('the line contains a NUL byte', 'SMTP forbids NUL in commands; remove it');
  if (line.trim() === '') return { kind: 'empty' };
  if (!line.trimStart().startsWith(':')) return { kind: 'raw', line };
  const text = line.trim();
  const nameEnd = text.search(/\s/);
  const name = (nameEnd < 0 ? text : text.slice(0, nameEnd)).slice(1).toLowerCase();
  const rest = nameEnd < 0 ? '' : text.slice(nameEnd).trim();
  const args = rest === '' ? [] : rest.split(/\s+/);
  const spec = findMetaCommand(name);
  if (!spec) return invalid(`unknown meta-command :${name}`, 'type :help for the list; lines for the server do not start with ":"');
  const usage = (problem: string): ParsedInput => invalid(`${spec.usage}: ${problem}`, `type :help ${spec.name} for details`);
  const noArguments = (command: MetaCommand): ParsedInput => (args.length > 0 ? usage('takes no arguments') : { kind: 'meta', command });
  switch (spec.name) {
    case 'starttls':
    case 'ehlo':
    case 'caps':
    case 'send':
    case 'data':
    case 'reconnect':
    case 'quit':
      return noArguments({ name: spec.name });
    case 'auth': {
      if (args.length > 2) return usage('too many arguments');
      const [first, second] = args;
      if (first === undefined) return { kind: 'meta', command: { name: 'auth' } };
      const mechanism = findMechanism(first);
      if (mechanism) return { kind: 'meta', command: { name: 'auth', mechanism: mechanism.name, ...(second !== undefined ? { user: second } : {}) } };
      if (second !== undefined) return usage(`${first} is not a SASL mechanism smtpcheck knows`);
      return { kind: 'meta', command: { name: 'auth', user: first } };
    }
    case 'b64': {
      const mode = args[0]?.toLowerCase();
      if (mode !== 'encode' && mode !== 'decode') return usage('say encode or decode');
      const payload = rest.slice(args[0]!.length).trim();
      if (payload === '') return usage('give the TEXT');
      return { kind: 'meta', command: { name: 'b64', mode, text: payload } };
    }
    case 'plain':
      if (args.length !== 1) return usage('give exactly one USER');
      return { kind: 'meta', command: { name: 'plain', user: args[0]! } };
    case 'check': {
      if (args.length !== 1) return usage('give exactly one check ID');
      const id = args[0]!.toLowerCase();
      if (!context.checkIds.includes(id)) return invalid(`unknown check id ${args[0]}`, 'press Tab after :check for the ids, or see docs/checks.md');
      return { kind: 'meta', command: { name: 'check', id } };
    }
    case 'save':
      if (rest === '') return usage('give the FILE to write');
      return { kind: 'meta', command: { name: 'save', file: rest } };
    case 'help': {
      if (args.length > 1) return usage('give at most one COMMAND');
      if (args[0] === undefined) return { kind: 'meta', command: { name: 'help' } };
      const topic = findMetaCommand(args[0]);
      if (!topic) return invalid(`no meta-command ${args[0]}`, 'type :help for the list');
      return { kind: 'meta', command: { name: 'help', topic: topic.name } };
    }
  }
}

function invalid(message: string, hint: string): ParsedInput {
  return { kind: 'invalid', message, hint };
}

/** The `:help` text: one line per command, or the details of one. */
export function helpLines(topic?: MetaCommandName): string[] {
  if (topic) {
    const spec = findMetaCommand(topic)!;
    return [spec.usage, `  ${spec.summary}`, `  ${spec.details}`];
  }
  const width = Math.max(...META_COMMANDS.map((spec) => spec.usage.length));
  return [
    'Lines not starting with ":" go to the server as typed (CRLF added); Tab completes SMTP verbs and meta-commands.',
    ...META_COMMANDS.map((spec) => `  ${spec.usage.padEnd(width)}  ${spec.summary}`),
    'Ctrl-C cancels the line being typed (or stops waiting for the server); Ctrl-D quits with QUIT.',
  ];
}
