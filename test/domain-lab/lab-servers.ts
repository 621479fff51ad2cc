import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { SMTPServer } from 'smtp-server';
import type { DnsLab } from './dns-lab.js';

/**
 * The servers behind the DNS lab's names, started by the tests: a small, strict MX
 * (smtp-server; STARTTLS with the lab's MX certificate and CA; RCPT only for plain
 * mailboxes of the lab domains, everything else "554 5.7.1 Relay access denied") on
 * port 25 of each MX address, and the MTA-STS HTTPS server on NET.10:443 that serves
 * each lab domain's policy, or its scripted fault. Addresses as in test/lab/dns/start.sh.
 * The addresses and ports are fixed: only one test file (domain-verdicts.test.ts)
 * starts them, since node --test runs files in parallel.
 */

/**
 * MX address (last octet) → whether STARTTLS is offered, whether the CA goes with the
 * leaf, and which leaf (the lab's expired one on NET.40, the one for wrong-name.test on NET.43); NET.34 (the dead primary)
 * and NET.39 (public-mx.test's backup, never to be contacted) are left without a server.
 */
type MxServer = { startTls: boolean; sendCa: boolean; leaf: 'mx' | 'expired' | 'wrong' };
const LEAF_BY_OCTET: Record<number, MxServer['leaf']> = { 40: 'expired', 43: 'wrong' };
const MX_SERVERS: Record<number, MxServer> = Object.fromEntries(
  [11, 12, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 35, 36, 37, 38, 40, 41, 42, 43].map((octet) => [octet, { startTls: octet !== 25, sendCa: octet !== 38, leaf: LEAF_BY_OCTET[octet] ?? 'mx' }]),
);

/** The policy each lab domain serves at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, or its HTTP status. */
const POLICIES: Record<string, string | number> = {
  'good.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: mx2.good.test\r\nmax_age: 86400\r\n',
  'sts-enforce-mismatch.test': 'version: STSv1\nmode: enforce\nmx: other.sts-enforce-mismatch.test\nmax_age: 86400\n',
  'sts-testing-mismatch.test': 'version: STSv1\nmode: testing\nmx: other.sts-testing-mismatch.test\nmax_age: 86400\n',
  'sts-wildcard.test': 'version: STSv1\nmode: enforce\nmx: *.sts-wildcard.test\nmax_age: 604800\n',
  'sts-missing.test': 404,
  'sts-badcert.test': 'version: STSv1\nmode: enforce\nmx: mx.sts-badcert.test\nmax_age: 86400\n',
  'sts-mxcert.test': 'version: STSv1\nmode: enforce\nmx: mx.sts-mxcert.test\nmax_age: 86400\n',
};

const PLAIN_LAB_MAILBOX = /^[a-z0-9._+-]+@[a-z0-9-]+\.test$/i;

export interface LabServers {
  /** The recipients an MX address has accepted so far, in order. */
  accepted(address: string): string[];
  close(): Promise<void>;
}

export async function startLabServers(lab: DnsLab): Promise<LabServers> {
  const read = (path: string) => readFileSync(path, 'utf8');
  const ca = read(lab.certs.ca);
  const leaves = {
    mx: { key: read(lab.certs.mxKey), cert: read(lab.certs.mxCert) },
    expired: { key: read(lab.certs.expiredKey), cert: read(lab.certs.expiredCert) },
    wrong: { key: read(lab.certs.wrongKey), cert: read(lab.certs.wrongCert) },
  };
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const closers: (() => Promise<void>)[] = [];
  const accepted = new Map<string, string[]>();

  const listenSmtp = async (host: string, { startTls, sendCa, leaf }: MxServer) => {
    const server = new SMTPServer({
      key: leaves[leaf].key,
      cert: sendCa ? leaves[leaf].cert + ca : leaves[leaf].cert,
      minVersion: 'TLSv1.2',
      name: 'mx.lab.test',
      banner: 'lab MX',
      authOptional: true,
      disabledCommands: startTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      hideSTARTTLS: !startTls,
      onRcptTo(address, _session, callback) {
        if (PLAIN_LAB_MAILBOX.test(address.address)) {
          accepted.set(host, [...(accepted.get(host) ?? []), address.address]);
          return callback();
        }
        const error = Object.assign(new Error('5.7.1 Relay access denied'), { responseCode: 554 });
        callback(error);
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(null, '2.0.0 Ok: queued'));
      },
    });
    server.on('error', () => undefined);
    server.server.on('connection', track);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(lab.smtpPort, host, () => resolve());
    });
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  };

  const contexts = {
    web: tls.createSecureContext({ key: read(lab.certs.webKey), cert: read(lab.certs.webCert) + ca }),
    wrong: tls.createSecureContext({ key: read(lab.certs.wrongKey), cert: read(lab.certs.wrongCert) + ca }),
  };
  const web = https.createServer(
    {
      SNICallback: (name, callback) => callback(null, name === 'mta-sts.sts-badcert.test' ? contexts.wrong : contexts.web),
      key: read(lab.certs.webKey),
      cert: read(lab.certs.webCert),
    },
    (request, response) => {
      const domain = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^mta-sts\./, '');
      const policy = POLICIES[domain];
      if (request.url !== '/.well-known/mta-sts.txt' || policy === undefined || typeof policy === 'number') {
        response.writeHead(typeof policy === 'number' ? policy : 404, { 'content-type': 'text/plain' }).end('not here\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(policy);
    },
  );
  web.on('connection', track);
  const listenWeb = async () => {
    await new Promise<void>((resolve, reject) => {
      web.once('error', reject);
      web.listen(lab.httpsPort, `${lab.net}.10`, () => resolve());
    });
    closers.push(() => new Promise<void>((resolve) => web.close(() => resolve())));
  };

  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(closers.map((closer) => closer()));
  };
  // Every listen is settled before any is judged, so a failed start closes all that did
  // start and the test process ends with the reason instead of hanging on open servers.
  const started = await Promise.allSettled([
    listenWeb(),
    ...Object.entries(MX_SERVERS).map(([octet, server]) => listenSmtp(`${lab.net}.${octet}`, server)),
    listenSmtp(lab.ipv6, { startTls: true, sendCa: true, leaf: 'mx' }),
  ]);
  const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) {
    await close();
    // [::1]:25 is the same for every lab: another test run on this machine may hold it.
    throw new Error(`the DNS lab's MX and MTA-STS servers did not start: ${(failed.reason as Error).message}`, { cause: failed.reason });
  }
  return { accepted: (address) => accepted.get(address) ?? [], close };
}
