import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates that are wrong in exactly one way each, made at test time with the
 * `openssl` CLI (OpenSSL 3.0) in a temporary directory, so no test depends on a
 * fixture that expires. A private test root signs everything that should chain; EC
 * P-256 keys keep generation fast (about 100 ms for the whole set). Past and future
 * validity need `openssl ca -startdate/-enddate`: `req -x509` and `x509 -req` in 3.0
 * can only start "now".
 */
export interface TestCredentials {
  /** PEM certificate(s) the server sends, leaf first. */
  cert: string;
  key: string;
}

export interface TestCertificates {
  dir: string;
  /** The test root, as PEM, and as a file for --tls-ca. */
  caPem: string;
  caFile: string;
  /** Valid, chains to the test root, names localhost and 127.0.0.1. */
  good: TestCredentials;
  selfSigned: TestCredentials;
  expired: TestCredentials;
  notYetValid: TestCredentials;
  /** Valid and trusted, but only for wrong.example. */
  wrongHost: TestCredentials;
  /** Leaf signed by an intermediate that the server does not send. */
  incompleteChain: TestCredentials;
  /** The same leaf with its intermediate: the control for incompleteChain. */
  completeChain: TestCredentials;
  /** RSA 1024, otherwise valid. */
  weakKey: TestCredentials;
  cleanup(): void;
}

const SERVER_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';
const LEAF_EXTENSIONS = ['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth'];
const CA_EXTENSIONS = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash'];
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

let cached: TestCertificates | null = null;

/** Make the set once per test process; later calls return the same files. */
export function testCertificates(): TestCertificates {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-certs-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');

  // Self-signed roots and leaves: `req -x509`, optionally signed by a CA with -CA.
  const selfIssued = (name: string, subject: string, extra: string[], key: string[] = EC_KEY) =>
    openssl('req', '-x509', ...key, '-noenc', '-days', '365', '-config', '/dev/null', '-subj', subject, ...extra, '-keyout', `${name}.key`, '-out', `${name}.pem`);
  selfIssued('ca', '/O=smtpcheck tests/CN=smtpcheck test root', CA_EXTENSIONS);
  selfIssued('intermediate', '/O=smtpcheck tests/CN=smtpcheck test intermediate', [...CA_EXTENSIONS, '-CA', 'ca.pem', '-CAkey', 'ca.key']);
  selfIssued('good', '/CN=localhost', ['-addext', SERVER_NAMES, ...LEAF_EXTENSIONS, '-CA', 'ca.pem', '-CAkey', 'ca.key']);
  selfIssued('self-signed', '/CN=localhost', ['-addext', SERVER_NAMES, ...LEAF_EXTENSIONS]);
  selfIssued('wrong-host', '/CN=wrong.example', ['-addext', 'subjectAltName=DNS:wrong.example', ...LEAF_EXTENSIONS, '-CA', 'ca.pem', '-CAkey', 'ca.key']);
  selfIssued('chained', '/CN=localhost', ['-addext', SERVER_NAMES, ...LEAF_EXTENSIONS, '-CA', 'intermediate.pem', '-CAkey', 'intermediate.key']);
  selfIssued('weak', '/CN=localhost', ['-addext', SERVER_NAMES, ...LEAF_EXTENSIONS, '-CA', 'ca.pem', '-CAkey', 'ca.key'], ['-newkey', 'rsa:1024']);

  // Out-of-date certificates: a CSR, then `openssl ca` with explicit dates.
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    ['[ca]', 'default_ca = test', '[test]', 'database = index.txt', 'new_certs_dir = issued', 'serial = serial', 'default_md = sha256', 'policy = anything', 'copy_extensions = copy', 'unique_subject = no', '[anything]', 'commonName = supplied', ''].join('\n'),
  );
  const dated = (name: string, start: string, end: string) => {
    openssl('req', '-new', ...EC_KEY, '-noenc', '-config', '/dev/null', '-subj', '/CN=localhost', '-addext', SERVER_NAMES, ...LEAF_EXTENSIONS, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-startdate', start, '-enddate', end, '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext');
  };
  dated('expired', '20200101000000Z', '20210101000000Z');
  dated('future', '20990101000000Z', '21000101000000Z');

  const credentials = (name: string, chain: string[] = []): TestCredentials => ({ cert: [read(`${name}.pem`), ...chain].join(''), key: read(`${name}.key`) });
  cached = {
    dir,
    caPem: read('ca.pem'),
    caFile: join(dir, 'ca.pem'),
    good: credentials('good'),
    selfSigned: credentials('self-signed'),
    expired: credentials('expired'),
    notYetValid: credentials('future'),
    wrongHost: credentials('wrong-host'),
    incompleteChain: credentials('chained'),
    completeChain: credentials('chained', [read('intermediate.pem')]),
    weakKey: credentials('weak'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return cached;
}
