import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helpLines, META_COMMANDS, parseInput } from '../../src/repl/meta-commands.js';

const context = { checkIds: ['conn-greeting', 'relay-percent'] };
const meta = (line: string) => {
  const parsed = parseInput(line, context);
  assert.equal(parsed.kind, 'meta', `${line} parses as a meta-command: ${JSON.stringify(parsed)}`);
  return (parsed as Extract<typeof parsed, { kind: 'meta' }>).command;
};
const invalid = (line: string) => {
  const parsed = parseInput(line, context);
  assert.equal(parsed.kind, 'invalid', `${line} is refused`);
  return parsed as Extract<typeof parsed, { kind: 'invalid' }>;
};

describe('typed lines', () => {
  it('sends anything not starting with ":" to the server exactly as typed', () => {
    assert.deepEqual(parseInput('MAIL FROM:<a@example.org> SIZE=10', context), { kind: 'raw', line: 'MAIL FROM:<a@example.org> SIZE=10' });
    assert.deepEqual(parseInput(' rcpt to:<b@example.org>', context), { kind: 'raw', line: ' rcpt to:<b@example.org>' });
  });

  it('treats a blank line as nothing and refuses a NUL byte', () => {
    assert.deepEqual(parseInput('   ', context), { kind: 'empty' });
    assert.match(invalid('NOOP \0x').message, /NUL/);
    assert.match(invalid(':b64 encode a\0b').message, /NUL/);
  });
});

describe('meta-commands', () => {
  it('parses the commands without arguments, case-insensitively, and refuses arguments to them', () => {
    for (const name of ['starttls', 'ehlo', 'caps', 'send', 'data', 'reconnect', 'quit']) assert.deepEqual(meta(`:${name.toUpperCase()}`), { name });
    assert.match(invalid(':starttls now').message, /takes no arguments/);
  });

  it(':auth takes a known mechanism first, then a user; a lone word that is no mechanism is the user', () => {
    assert.deepEqual(meta(':auth'), { name: 'auth' });
    assert.deepEqual(meta(':auth plain john@example.org'), { name: 'auth', mechanism: 'PLAIN', user: 'john@example.org' });
    assert.deepEqual(meta(':auth scram-sha-256'), { name: 'auth', mechanism: 'SCRAM-SHA-256' });
    assert.deepEqual(meta(':auth john@example.org'), { name: 'auth', user: 'john@example.org' });
    assert.match(invalid(':auth digest-md5 john').message, /digest-md5 is not a SASL mechanism/);
    assert.match(invalid(':auth plain a b').message, /too many arguments/);
  });

  it(':b64 keeps the rest of the line, spaces included, as TEXT', () => {
    assert.deepEqual(meta(':b64 encode \\0john@example.org\\0two words'), { name: 'b64', mode: 'encode', text: '\\0john@example.org\\0two words' });
    assert.deepEqual(meta(':b64 DECODE AGpv'), { name: 'b64', mode: 'decode', text: 'AGpv' });
    assert.match(invalid(':b64 rot13 x').message, /encode or decode/);
    assert.match(invalid(':b64 encode').message, /give the TEXT/);
  });

  it(':check accepts only known check ids', () => {
    assert.deepEqual(meta(':check relay-percent'), { name: 'check', id: 'relay-percent' });
    const refused = invalid(':check relay-everything');
    assert.match(refused.message, /unknown check id relay-everything/);
    assert.match(refused.hint, /Tab/);
  });

  it(':plain needs one user, :save a file (spaces allowed), :help at most one known topic', () => {
    assert.deepEqual(meta(':plain john@example.org'), { name: 'plain', user: 'john@example.org' });
    invalid(':plain');
    assert.deepEqual(meta(':save /tmp/my session.txt'), { name: 'save', file: '/tmp/my session.txt' });
    invalid(':save');
    assert.deepEqual(meta(':help :auth'), { name: 'help', topic: 'auth' });
    assert.match(invalid(':help frobnicate').message, /no meta-command frobnicate/);
  });

  it('names an unknown meta-command and points to :help', () => {
    const refused = invalid(':starttsl');
    assert.match(refused.message, /unknown meta-command :starttsl/);
    assert.match(refused.hint, /:help/);
  });

  it('has help for every command, listed in :help and detailed in :help NAME', () => {
    const list = helpLines().join('\n');
    for (const spec of META_COMMANDS) {
      assert.ok(list.includes(spec.usage), `${spec.usage} in :help`);
      assert.ok(spec.details.length > 0 && spec.summary.length > 0);
      assert.equal(helpLines(spec.name)[0], spec.usage);
    }
  });
});
