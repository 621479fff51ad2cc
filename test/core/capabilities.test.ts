import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffCapabilities, heloCapabilities, parseEhloReply } from '../../src/core/capabilities.js';
import { capabilityFindings } from '../../src/core/capability-findings.js';
import type { Reply } from '../../src/core/reply.js';

const reply = (code: number, lines: string[]): Reply => ({ code, enhanced: null, lines, raw: lines.map((line, i) => `${code}${i === lines.length - 1 ? ' ' : '-'}${line}`) });

// The guide's Postfix answers, before and after STARTTLS.
const beforeTls = reply(250, ['mailtest', 'PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING']);
const afterTls = reply(250, ['mailtest', 'PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN']);

describe('parseEhloReply', () => {
  it('models the guide\'s Postfix capability list', () => {
    const caps = parseEhloReply(beforeTls);
    assert.equal(caps.domain, 'mailtest');
    assert.equal(caps.size, 10240000);
    assert.equal(caps.pipelining, true);
    assert.equal(caps.startTls, true);
    assert.equal(caps.vrfy, true);
    assert.equal(caps.etrn, true);
    assert.equal(caps.enhancedStatusCodes, true);
    assert.equal(caps.eightBitMime, true);
    assert.equal(caps.dsn, true);
    assert.equal(caps.smtpUtf8, true);
    assert.equal(caps.chunking, true);
    assert.deepEqual(caps.authMechanisms, []);
  });

  it('reads AUTH mechanisms after TLS', () => {
    assert.deepEqual(parseEhloReply(afterTls).authMechanisms, ['PLAIN', 'LOGIN']);
  });

  it('merges the legacy AUTH= form and notes when it is the only one', () => {
    const legacy = parseEhloReply(reply(250, ['mx', 'AUTH=LOGIN PLAIN']));
    assert.deepEqual(legacy.authMechanisms, ['LOGIN', 'PLAIN']);
    assert.equal(legacy.authLegacyOnly, true);
    const both = parseEhloReply(reply(250, ['mx', 'AUTH PLAIN', 'AUTH=LOGIN']));
    assert.deepEqual(both.authMechanisms.sort(), ['LOGIN', 'PLAIN']);
    assert.equal(both.authLegacyOnly, false);
  });

  it('keeps unknown keywords verbatim and upper-cases keywords', () => {
    const caps = parseEhloReply(reply(250, ['mx Hello there', 'x-shiny-thing a b', 'pipelining', 'XCLIENT NAME ADDR', 'DELIVERBY 60', 'REQUIRETLS', 'PRDR', 'BINARYMIME']));
    assert.deepEqual(caps.extensions.get('X-SHINY-THING'), ['a', 'b']);
    assert.equal(caps.greetingText, 'Hello there');
    assert.equal(caps.pipelining, true);
    assert.deepEqual(caps.xclient, ['NAME', 'ADDR']);
    assert.equal(caps.deliverBy, 60);
    assert.equal(caps.requireTls, true);
    assert.equal(caps.prdr, true);
    assert.equal(caps.binaryMime, true);
  });

  it('reads SIZE without a number as "no fixed limit"', () => {
    assert.equal(parseEhloReply(reply(250, ['mx', 'SIZE'])).size, 0);
    assert.equal(parseEhloReply(reply(250, ['mx'])).size, null);
  });

  it('gives a HELO session no extensions', () => {
    const caps = heloCapabilities(reply(250, ['mx.example.org']));
    assert.equal(caps.helo, true);
    assert.equal(caps.extensions.size, 0);
  });

  it('diffs the lists before and after TLS', () => {
    const diff = diffCapabilities(parseEhloReply(beforeTls), parseEhloReply(afterTls));
    assert.deepEqual(diff.added, ['AUTH']);
    assert.deepEqual(diff.removed.sort(), ['CHUNKING', 'SMTPUTF8', 'STARTTLS']);
  });
});

describe('capabilityFindings', () => {
  it('warns about AUTH before TLS and notes VRFY', () => {
    const plaintextAuth = parseEhloReply(reply(250, ['mx', 'STARTTLS', 'AUTH PLAIN LOGIN', 'VRFY']));
    const findings = capabilityFindings(plaintextAuth, parseEhloReply(afterTls), false);
    assert.ok(findings.some((f) => f.level === 'warn' && f.keyword === 'AUTH' && /before TLS/.test(f.message)));
    assert.ok(findings.some((f) => f.keyword === 'VRFY'));
  });

  it('warns when STARTTLS is missing, and when it is offered again inside TLS', () => {
    const none = capabilityFindings(parseEhloReply(reply(250, ['mx', 'PIPELINING'])), null, false);
    assert.ok(none.some((f) => f.keyword === 'STARTTLS' && /not offered/.test(f.message)));
    const again = capabilityFindings(parseEhloReply(beforeTls), parseEhloReply(beforeTls), false);
    assert.ok(again.some((f) => f.keyword === 'STARTTLS' && /again inside TLS/.test(f.message)));
  });

  it('finds nothing to warn about on the guide\'s secure setup without VRFY', () => {
    const secureBefore = parseEhloReply(reply(250, ['mx', 'PIPELINING', 'STARTTLS']));
    const secureAfter = parseEhloReply(reply(250, ['mx', 'PIPELINING', 'AUTH PLAIN LOGIN']));
    assert.deepEqual(capabilityFindings(secureBefore, secureAfter, false), []);
  });
});

describe('parseEhloReply limits', () => {
  it('does not turn an absurd SIZE into Infinity', () => {
    const caps = parseEhloReply(reply(250, ['mx', `SIZE ${'9'.repeat(400)}`]));
    assert.equal(caps.size, 0);
  });
});
