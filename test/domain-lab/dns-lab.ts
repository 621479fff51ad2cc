import { readFileSync } from 'node:fs';

/**
 * The real DNS lab (NSD + validating Unbound), started by test/run-all.sh before the
 * run (test/lab/dns/start.sh). A missing lab is a failure, never a skip: the only way
 * to leave these tests out is SMTPCHECK_SKIP_DNS_LAB=1, which run-all.sh announces.
 */
export interface DnsLab {
  /** The lab's loopback /24, e.g. 127.53.0: MX targets are NET.11 and up (test/lab/dns/start.sh), MTA-STS NET.10. */
  net: string;
  nameserver: string;
  resolver: string;
  ipv6: string;
  smtpPort: number;
  httpsPort: number;
  stsId: string;
  certs: { ca: string; mxCert: string; mxKey: string; webCert: string; webKey: string; wrongCert: string; wrongKey: string; expiredCert: string; expiredKey: string };
}

const LAB_DIR = process.env.SMTPCHECK_LAB_DIR ?? '/tmp/smtpcheck-lab';

export function dnsLab(): DnsLab {
  let text: string;
  try {
    text = readFileSync(`${LAB_DIR}/dns/dns-lab.json`, 'utf8');
  } catch {
    throw new Error(`the DNS lab is not running (${LAB_DIR}/dns/dns-lab.json missing): start it with bash test/lab/dns/start.sh, or run the whole suite with npm test`);
  }
  return JSON.parse(text) as DnsLab;
}
