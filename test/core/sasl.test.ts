import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseMechanism, findMechanism, MAX_SCRAM_ITERATIONS } from '../../src/core/sasl.js';

const context = { host: 'mail.example.org', port: 587 };
const b64 = (text: string) => Buffer.from(text, 'utf8');

describe('SASL mechanisms', () => {
  it('PLAIN encodes NUL user NUL password as in the guide', () => {
    const exchange = findMechanism('PLAIN')!.start({ user: 'john@example.org', secret: 'summersun' }, context);
    assert.equal(exchange.initialResponse!.response.toString('base64'), 'AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu');
    assert.equal(exchange.initialResponse!.redacted, '<credentials for john@example.org>');
  });

  it('LOGIN answers the Username: and Password: prompts', async () => {
    const exchange = findMechanism('LOGIN')!.start({ user: 'john@example.org', secret: 'summersun' }, context);
    assert.equal(exchange.initialResponse, null);
    assert.equal((await exchange.respond(Buffer.from('VXNlcm5hbWU6', 'base64'))).response.toString(), 'john@example.org');
    const password = await exchange.respond(Buffer.from('UGFzc3dvcmQ6', 'base64'));
    assert.equal(password.response.toString(), 'summersun');
    assert.equal(password.redacted, '<password>');
  });

  it('CRAM-MD5 matches the RFC 2195 example', async () => {
    const exchange = findMechanism('CRAM-MD5')!.start({ user: 'tim', secret: 'tanstaaftanstaaf' }, context);
    const answer = await exchange.respond(b64('<1896.697170952@postoffice.reston.mci.net>'));
    assert.equal(answer.response.toString(), 'tim b913a602c7eda7a495b4e6e7334d3890');
    assert.equal(answer.response.toString('base64'), 'dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
  });

  it('SCRAM-SHA-1 matches the RFC 5802 §5 example, including the server signature', async () => {
    const exchange = findMechanism('SCRAM-SHA-1')!.start({ user: 'user', secret: 'pencil' }, { ...context, clientNonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    assert.equal(exchange.initialResponse!.response.toString(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await exchange.respond(b64('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'));
    assert.equal(final.response.toString(), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    assert.equal(exchange.verifyServerFinal!(b64('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')), true);
    assert.equal(exchange.verifyServerFinal!(b64('v=AAAApqV8S7suAoZWja4dJRkFsKQ=')), false);
  });

  it('SCRAM-SHA-256 matches the RFC 7677 §3 example', async () => {
    const exchange = findMechanism('SCRAM-SHA-256')!.start({ user: 'user', secret: 'pencil' }, { ...context, clientNonce: 'rOprNGfwEbeRWgbNEkqO' });
    assert.equal(exchange.initialResponse!.response.toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await exchange.respond(b64('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    assert.equal(final.response.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    assert.equal(exchange.verifyServerFinal!(b64('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), true);
  });

  it('SCRAM refuses a server nonce that does not extend the client nonce', async () => {
    const exchange = findMechanism('SCRAM-SHA-256')!.start({ user: 'user', secret: 'pencil' }, { ...context, clientNonce: 'abc' });
    await assert.rejects(async () => exchange.respond(b64('r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /malformed SCRAM/);
  });

  it('SCRAM refuses more iterations than MAX_SCRAM_ITERATIONS, and reports a server error attribute', async () => {
    const exchange = findMechanism('SCRAM-SHA-256')!.start({ user: 'user', secret: 'pencil' }, { ...context, clientNonce: 'abc' });
    await assert.rejects(async () => exchange.respond(b64(`r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=${MAX_SCRAM_ITERATIONS + 1}`)), /more than the 1000000/);
    const other = findMechanism('SCRAM-SHA-256')!.start({ user: 'user', secret: 'pencil' }, { ...context, clientNonce: 'abc' });
    await assert.rejects(async () => other.respond(b64('e=unknown-user')), /e=unknown-user/);
  });

  it('XOAUTH2 builds the user/auth string', () => {
    const exchange = findMechanism('XOAUTH2')!.start({ user: 'someuser@example.com', secret: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' }, context);
    assert.equal(exchange.initialResponse!.response.toString(), 'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01');
  });

  it('OAUTHBEARER follows RFC 7628 §4.1 and acknowledges errors with %x01', async () => {
    const exchange = findMechanism('OAUTHBEARER')!.start({ user: 'user@example.com', secret: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==' }, { host: 'server.example.com', port: 143 });
    assert.equal(exchange.initialResponse!.response.toString(), 'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01');
    assert.equal((await exchange.respond(b64('{"status":"invalid_token"}'))).response.toString(), '\x01');
  });

  it('picks the strongest password mechanism both sides support, never a token one', () => {
    assert.equal(chooseMechanism(['PLAIN', 'LOGIN'])!.name, 'PLAIN');
    assert.equal(chooseMechanism(['LOGIN', 'CRAM-MD5', 'PLAIN'])!.name, 'CRAM-MD5');
    assert.equal(chooseMechanism(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-1'])!.name, 'SCRAM-SHA-256');
    assert.equal(chooseMechanism(['XOAUTH2']), null);
    assert.equal(chooseMechanism(['XOAUTH2', 'OAUTHBEARER'], true)!.name, 'OAUTHBEARER');
    assert.equal(chooseMechanism(['GSSAPI']), null);
  });
});
