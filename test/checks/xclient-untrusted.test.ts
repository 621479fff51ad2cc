import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xclientVerdict } from '../../src/checks/xclient-untrusted.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, text = 'x'): Reply => ({ code, enhanced: parseEnhancedStatus(text), lines: [text], raw: [`${code} ${text}`] });

describe('xclient-untrusted verdict rules', () => {
  it('passes when XCLIENT is not listed to this client', () => assert.equal(xclientVerdict(false, null).verdict, 'pass'));
  it('fails when XCLIENT is listed and answered 220', () => assert.equal(xclientVerdict(true, reply(220, 'mail.example.org ESMTP')).verdict, 'fail'));
  it('passes when XCLIENT is listed but refused (550 5.7.0)', () => assert.equal(xclientVerdict(true, reply(550, '5.7.0 Error: insufficient authorization')).verdict, 'pass'));
});
