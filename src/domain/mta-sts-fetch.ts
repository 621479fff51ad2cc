import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIPv6 } from 'node:net';

/**
 * The HTTPS fetch of an MTA-STS policy (RFC 8461 §3.3): no redirects followed, a
 * bounded body, text/plain, and a certificate valid for mta-sts.DOMAIN from a
 * trusted CA. The host is resolved by the caller's resolver (the one --resolver
 * names), not the system's, so the whole run asks one DNS view.
 */

// RFC 8461 §3.3: "senders MAY impose a limit on the size of the policy file"; §3.2
// suggests 64 KiB as a sane maximum.
export const MAX_STS_POLICY_BYTES = 65_536;
export const MTA_STS_PORT = 443;

export type PolicyFetchProblem = 'no-address' | 'connect' | 'not-https' | 'certificate' | 'timeout' | 'redirect' | 'status' | 'content-type' | 'too-large';

export type PolicyFetch = { ok: true; url: string; address: string; text: string } | { ok: false; url: string; problem: PolicyFetchProblem; detail: string };

export interface PolicyFetchOptions {
  /** The addresses of mta-sts.DOMAIN, from the run's resolver. */
  addresses: readonly string[];
  caPem?: string;
  port?: number;
  timeoutMs: number;
}

// OpenSSL's verification codes (X509_V_ERR_*) as Node names them, and Node's own for the name.
const CERTIFICATE_CODES = /^(CERT_|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF|DECRYPT_CERT)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

export function fetchStsPolicy(domain: string, options: PolicyFetchOptions): Promise<PolicyFetch> {
  const host = `mta-sts.${domain}`;
  const port = options.port ?? MTA_STS_PORT;
  const url = `https://${host}${port === MTA_STS_PORT ? '' : `:${port}`}/.well-known/mta-sts.txt`;
  const address = options.addresses[0];
  if (address === undefined) return Promise.resolve({ ok: false, url, problem: 'no-address', detail: `${host} has no address` });
  const family = isIPv6(address) ? 6 : 4;
  const lookup = ((_name: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
  return new Promise<PolicyFetch>((resolve) => {
    const settle = (outcome: PolicyFetch): void => {
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const failWith = (problem: PolicyFetchProblem, detail: string): void => settle({ ok: false, url, problem, detail });
    const timer = setTimeout(() => failWith('timeout', `no complete answer within ${options.timeoutMs / 1000} s`), options.timeoutMs);
    const request = https.request(
      { host, port, path: '/.well-known/mta-sts.txt', method: 'GET', lookup, agent: false, ...(options.caPem ? { ca: options.caPem } : {}), headers: { 'user-agent': 'smtpcheck' } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) return failWith('redirect', `HTTP ${status} to ${response.headers.location ?? '(no Location)'}: redirects are not followed (RFC 8461 §3.3)`);
        if (status !== 200) return failWith('status', `HTTP ${status}`);
        const mediaType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (mediaType !== 'text/plain') return failWith('content-type', `Content-Type ${JSON.stringify(response.headers['content-type'] ?? null)}, not text/plain`);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_STS_POLICY_BYTES) return failWith('too-large', `more than ${MAX_STS_POLICY_BYTES} bytes`);
          chunks.push(chunk);
        });
        response.on('end', () => settle({ ok: true, url, address, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error: NodeJS.ErrnoException) => failWith('connect', error.code ?? 'connection lost'));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (CERTIFICATE_CODES.test(code)) return failWith('certificate', `certificate not valid for ${host} from a trusted CA (${code})`);
      if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return failWith('not-https', `${host}:${port} does not speak TLS (${code})`);
      failWith('connect', `${address}:${port}: ${code || 'connection failed'}`);
    });
    request.end();
  });
}
