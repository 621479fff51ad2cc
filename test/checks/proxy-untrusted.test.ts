import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxyVerdict } from '../../src/checks/proxy-untrusted.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, text = 'x'): Reply => ({ code, enhanced: parseEnhancedStatus(text), lines: [text], raw: [`${code} ${text}`] });
const accepted = (rcpt: Reply | null, mail = reply(250, '2.1.0 Ok')) => proxyVerdict({ header: 'accepted', mail, rcpt }, 'r@example.net');

describe('proxy-untrusted verdict rules', () => {
  it('passes when the header is refused (hung up on, or answered as a command)', () => assert.equal(proxyVerdict({ header: 'refused' }, 'r@example.net').verdict, 'pass'));
  it('fails when the claimed loopback address relays', () => assert.equal(accepted(reply(250, '2.1.5 Ok')).verdict, 'fail'));
  it('warns when the header is taken but the claim does not relay: address rules are still void', () => assert.equal(accepted(reply(554, '5.7.1 <r@example.net>: Relay access denied')).verdict, 'warn'));
  it('a relay refusal sent as 454 (Postfix defer_unauth_destination) is a refusal, not a deferral', () => assert.equal(accepted(reply(454, '4.7.1 <r@example.net>: Relay access denied')).verdict, 'warn'));
  it('is inconclusive, never a pass, when a greylisting 450 answers RCPT', () => assert.equal(accepted(reply(450, '4.2.0 Greylisted')).verdict, 'inconclusive'));
  it('is inconclusive when MAIL is not accepted', () => assert.equal(accepted(null, reply(451, '4.3.0 try later')).verdict, 'inconclusive'));
});
