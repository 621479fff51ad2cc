import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { PolicyFetchProblem } from '../../src/domain/mta-sts-fetch.js';
import { fetchStsPolicy, MAX_STS_POLICY_BYTES } from '../../src/domain/mta-sts-fetch.js';
import { dnsLab } from './dns-lab.js';

/**
 * The MTA-STS fetch against scripted HTTPS servers with the DNS lab's certificate for
 * mta-sts.good.test: every way a policy server can go wrong is a typed problem, never
 * a policy (RFC 8461 §3.3).
 */
type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;
const servers: http.Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: Handler, secure = true): Promise<number> {
  const lab = dnsLab();
  const server = secure ? https.createServer({ key: readFileSync(lab.certs.webKey), cert: readFileSync(lab.certs.webCert, 'utf8') + readFileSync(lab.certs.ca, 'utf8') }, handler) : http.createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const fetchFrom = (port: number, domain = 'good.test', timeoutMs = 2000) => fetchStsPolicy(domain, { addresses: ['127.0.0.1'], port, caPem: readFileSync(dnsLab().certs.ca, 'utf8'), timeoutMs });

async function failsWith(port: number, problem: PolicyFetchProblem, options: { domain?: string; timeoutMs?: number } = {}): Promise<void> {
  const fetched = await fetchFrom(port, options.domain, options.timeoutMs);
  assert.equal(fetched.ok, false, 'expected a failed fetch');
  if (!fetched.ok) assert.equal(fetched.problem, problem, fetched.detail);
}

const POLICY = 'version: STSv1\nmode: enforce\nmx: mx1.good.test\nmax_age: 86400\n';

describe('fetchStsPolicy', () => {
  it('a 200 text/plain policy with a certificate for mta-sts.DOMAIN is fetched', async () => {
    const port = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY));
    const fetched = await fetchFrom(port);
    assert.ok(fetched.ok);
    if (fetched.ok) assert.equal(fetched.text, POLICY);
  });

  it('the request asks for /.well-known/mta-sts.txt with Host mta-sts.DOMAIN', async () => {
    let seen = '';
    const port = await serve((request, response) => {
      seen = `${request.headers.host} ${request.url}`;
      response.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    });
    await fetchFrom(port);
    assert.equal(seen, `mta-sts.good.test:${port} /.well-known/mta-sts.txt`);
  });

  it('a redirect is not followed', async () => {
    const port = await serve((_request, response) => response.writeHead(301, { location: 'https://elsewhere.test/' }).end());
    await failsWith(port, 'redirect');
  });

  it('another content type is refused', async () => {
    const port = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(POLICY));
    await failsWith(port, 'content-type');
  });

  it(`more than ${MAX_STS_POLICY_BYTES} bytes is refused`, async () => {
    const port = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY + '#'.repeat(MAX_STS_POLICY_BYTES)));
    await failsWith(port, 'too-large');
  });

  it('a server that never answers times out', async () => {
    const port = await serve(() => undefined);
    await failsWith(port, 'timeout', { timeoutMs: 300 });
  });

  it('plain HTTP on the port is not HTTPS', async () => {
    const port = await serve((_request, response) => response.end(POLICY), false);
    await failsWith(port, 'not-https');
  });

  it('a certificate not valid for mta-sts.DOMAIN is refused', async () => {
    const port = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY));
    await failsWith(port, 'certificate', { domain: 'other.test' });
  });

  it('no address is a problem, not a connection to somewhere else', async () => {
    const fetched = await fetchStsPolicy('good.test', { addresses: [], timeoutMs: 100 });
    assert.equal(fetched.ok, false);
    if (!fetched.ok) assert.equal(fetched.problem, 'no-address');
  });
});
