import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnumerationPair } from '../../src/checks/enumeration.js';
import { judgeEnumeration } from '../../src/checks/enumeration.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, text: string): Reply => ({ code, enhanced: parseEnhancedStatus(text), lines: [text], raw: [`${code} ${text}`] });
const pair = (hostedReply: Reply, randomReply: Reply): EnumerationPair => ({ hosted: 'john@example.org', hostedReply, random: 'zz-1@example.org', randomReply });

describe('enum-vrfy and enum-expn verdict rules (docs/checks.md#enum-expn)', () => {
  it('fails when EXPN expands a hosted address', () => {
    assert.equal(judgeEnumeration('EXPN', [pair(reply(250, '<john@example.org>'), reply(550, '5.1.1 no such user'))]).verdict, 'fail');
  });

  it('fails when a hosted address is accepted and a random one refused', () => {
    assert.equal(judgeEnumeration('VRFY', [pair(reply(252, '2.0.0 john@example.org'), reply(550, '5.1.1 <zz-1@example.org>: Recipient address rejected'))]).verdict, 'fail');
    assert.equal(judgeEnumeration('EXPN', [pair(reply(251, 'forwarded'), reply(553, 'zz-1@example.org is undeliverable'))]).verdict, 'fail');
  });

  it('passes only on proof that the command is off: 500/502/504, 252 for all, a policy refusal, or one answer for all', () => {
    assert.equal(judgeEnumeration('EXPN', [pair(reply(502, '5.5.2 Error: command not recognized'), reply(502, '5.5.2 Error: command not recognized'))]).verdict, 'pass');
    assert.equal(judgeEnumeration('VRFY', [pair(reply(252, 'cannot verify'), reply(252, 'cannot verify'))]).verdict, 'pass');
    assert.equal(judgeEnumeration('EXPN', [pair(reply(550, 'Administrative prohibition'), reply(550, 'Administrative prohibition'))]).verdict, 'pass');
    assert.equal(judgeEnumeration('EXPN', [pair(reply(502, '5.7.0 Sorry, we do not allow this operation'), reply(502, '5.7.0 Sorry, we do not allow this operation'))]).verdict, 'pass');
  });

  it('is inconclusive, not a pass, when a working EXPN calls the hosted address unknown (the old false pass)', () => {
    const outcome = judgeEnumeration('EXPN', [pair(reply(550, '5.1.1 postmaster@example.org... No such user or list'), reply(550, '5.1.1 zz-1@example.org... No such user or list'))]);
    assert.equal(outcome.verdict, 'inconclusive');
    assert.match(outcome.summary, /--local-recipient/);
    assert.equal(judgeEnumeration('EXPN', [pair(reply(553, 'postmaster@example.org is undeliverable'), reply(553, 'zz-1@example.org is undeliverable'))]).verdict, 'inconclusive');
  });

  it('is inconclusive on a deferral, naming its class', () => {
    const outcome = judgeEnumeration('VRFY', [pair(reply(450, '4.3.2 Service currently unavailable'), reply(450, '4.3.2 Service currently unavailable'))]);
    assert.equal(outcome.verdict, 'inconclusive');
    assert.match(outcome.summary, /screening/);
  });
  // Exim without acl_smtp_vrfy: 252 for every full address, 501 for every bare local part.
  const bare = (hostedReply: Reply, randomReply: Reply): EnumerationPair => ({ hosted: 'john', hostedReply, random: 'zz-1', randomReply });
  const noDomain = (local: string): Reply => reply(501, `${local}: recipient address must contain a domain`);

  it('never counts a syntax refusal as "no such user": the form is left out and the other answers judged', () => {
    const outcome = judgeEnumeration('VRFY', [pair(reply(252, 'Administrative prohibition'), reply(252, 'Administrative prohibition')), bare(noDomain('john'), noDomain('zz-1'))]);
    assert.equal(outcome.verdict, 'pass');
    assert.match(outcome.summary, /1 of 2 address forms refused as a syntax error/);
    assert.equal(judgeEnumeration('VRFY', [pair(reply(250, '<john@example.org>'), reply(501, '5.1.3 bad address syntax'))]).verdict, 'inconclusive');
    assert.equal(judgeEnumeration('VRFY', [pair(reply(250, '<john@example.org>'), reply(550, '5.5.4 invalid parameter'))]).verdict, 'inconclusive');
  });

  it('still fails on the forms that work when another form is a syntax error', () => {
    const outcome = judgeEnumeration('VRFY', [pair(reply(250, '<john@example.org>'), reply(550, '<zz-1@example.org> Unrouteable address')), bare(noDomain('john'), noDomain('zz-1'))]);
    assert.equal(outcome.verdict, 'fail');
  });

  it('is inconclusive when every form is refused as a syntax error', () => {
    const outcome = judgeEnumeration('VRFY', [pair(reply(501, '5.5.2 syntax error'), reply(501, '5.5.2 syntax error')), bare(noDomain('john'), noDomain('zz-1'))]);
    assert.equal(outcome.verdict, 'inconclusive');
    assert.match(outcome.summary, /syntax error/);
  });

  it('keeps 502 5.5.1 (Postfix disable_vrfy_command) as "not available" and 501 5.7.x as policy, not as syntax errors', () => {
    const off = reply(502, '5.5.1 VRFY command is disabled');
    assert.equal(judgeEnumeration('VRFY', [pair(off, off), bare(off, off)]).verdict, 'pass');
    const policy = reply(501, '5.7.1 VRFY refused');
    assert.match(judgeEnumeration('VRFY', [pair(policy, policy)]).summary, /refused by policy/);
  });
});
