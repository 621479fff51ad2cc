import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import { terminalSafe } from '../../src/render/terminal-safe.js';
import { parseEhloReply } from '../../src/core/capabilities.js';
import { capabilityFindings } from '../../src/core/capability-findings.js';
import { ReplyReader } from '../../src/core/reply-reader.js';
import { renderCapabilityTable } from '../../src/render/capability-table.js';

/** An EHLO answer framed as the client reads it off the wire. */
function ehlo(...lines: string[]) {
  const reader = new ReplyReader();
  reader.push(Buffer.from(lines.map((line) => `${line}\r\n`).join('')));
  return parseEhloReply(reader.shift()!);
}

// A server that colours its SIZE red, hides text in a keyword (SGR 8, conceal) and
// clears the screen from inside an AUTH mechanism, which the AUTH finding quotes.
const hostile = ehlo('250-fake.example.org', '250-SIZE \x1b[31m10240000\x1b[0m', '250-X\x1b[8mHIDDEN', '250 AUTH PLAIN \x1b[2JLOGIN');

const rendered = (level: 0 | 1) => renderCapabilityTable([{ label: 'BEFORE STARTTLS', capabilities: hostile }], capabilityFindings(hostile, null, false), new Chalk({ level }));

/** The table as `caps` prints it: rendered, then through the output's own escaping. */
const printed = (level: 0 | 1) => rendered(level).map((line) => terminalSafe(line, true)).join('\n');

describe('renderCapabilityTable with a server that sends terminal escapes', () => {
  for (const level of [1, 0] as const) {
    const mode = level ? 'coloured' : 'uncoloured';

    it(`${mode}: the server's SGR colour codes are shown as \\x1b, not passed to the terminal`, () => {
      const text = printed(level);
      assert.ok(!text.includes('\x1b[31m10240000'), 'the red SIZE reached the terminal');
      assert.ok(!text.includes('\x1b[8m') && !text.includes('\x1B[8M'), 'the concealing keyword reached the terminal');
      assert.match(text, /\\x1b\[31m10240000\\x1b\[0m/);
      assert.match(text, /X\\x1b\[8MHIDDEN/);
    });

    it(`${mode}: a finding quoting the server's mechanism names is escaped by the table itself`, () => {
      const text = rendered(level).join('\n');
      assert.match(text, /! AUTH PLAIN \\x1b\[2JLOGIN offered before TLS/);
      assert.ok(!text.includes('\x1b[2J'), 'the clear-screen reached the terminal');
    });
  }

  it('uncoloured: no ESC at all in the output', () => {
    assert.ok(!printed(0).includes('\x1b'));
  });

  it('coloured: every ESC left opens or closes one of the table\'s own colours', () => {
    const c = new Chalk({ level: 1 });
    const ours = new Set([c.bold, c.dim, c.yellow, c.cyan].flatMap((style) => style('x').split('x')));
    const left = printed(1).match(/\x1b\[[0-9;]*[A-Za-z]/g) ?? [];
    assert.ok(left.length > 0, 'the table is coloured');
    assert.deepEqual(left.filter((sequence) => !ours.has(sequence)), []);
  });
});

describe('terminalSafe, the output\'s last escaping step', () => {
  const formatted = 'PLAIN  535 5.7.8 \x1b[31mred\x1b[0m\n\tnext';

  it('with colours off, escapes colour sequences even in text a renderer did not escape, keeping line feeds and tabs', () => {
    assert.equal(terminalSafe(formatted, true, false), 'PLAIN  535 5.7.8 \\x1b[31mred\\x1b[0m\n\tnext');
  });

  it('with colours on, keeps colour sequences, which is why the table escapes server text itself', () => {
    assert.equal(terminalSafe(formatted, true), formatted);
  });
});
